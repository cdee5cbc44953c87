import { z } from 'zod';
import { AgentInfo, AgentSnapshot, Identity, IdentityList } from '../models';
import { AgentRef, Done, Empty, channel } from './define';

const Passphrase = z.string().max(1024);
/** A key file chosen in main (dialog, drop or the ~/.ssh list); main re-checks it before reading. */
export const KeyPath = z.string().min(1).max(4096);

export const agentChannels = {
  'agent:list-agents': channel(Empty, z.array(AgentInfo)),
  'agent:select-agent': channel(z.object({ agentId: z.string().max(512) }).strict(), AgentInfo),
  'agent:list-identities': channel(AgentRef.strict(), IdentityList),
  'agent:add-key': channel(
    AgentRef.extend({
      path: KeyPath,
      passphrase: Passphrase.optional(),
      remember: z.boolean().optional(),
      lifetimeSeconds: z.number().int().positive().max(31_536_000).optional(),
      confirm: z.boolean().optional(),
    }).strict(),
    Identity,
  ),
  'agent:remove-key': channel(AgentRef.extend({ fingerprint: z.string().min(1).max(200) }).strict(), Done),
  'agent:remove-all': channel(AgentRef.strict(), Done),
  'agent:lock': channel(AgentRef.extend({ passphrase: Passphrase.min(1) }).strict(), Done),
  'agent:unlock': channel(AgentRef.extend({ passphrase: Passphrase.min(1) }).strict(), Done),
} as const;

export const agentEvents = {
  'agent:changed': AgentSnapshot,
} as const;
