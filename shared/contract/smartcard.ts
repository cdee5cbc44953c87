import { z } from 'zod';
import { Identity } from '../models';
import { AgentRef, Done, Empty, channel } from './define';

/** A PKCS#11 provider library in one of the usual places (docs/hardware-keys.md). */
export const SmartcardProvider = z.object({
  path: z.string(),
  /** What it is, e.g. "OpenSC (most PIV/CAC smartcards, YubiKey PIV)". */
  name: z.string(),
  /** Installed on this computer. */
  found: z.boolean(),
});
export type SmartcardProvider = z.infer<typeof SmartcardProvider>;

const ProviderPath = z.string().min(1).max(4096);

export const smartcardChannels = {
  /** The usual provider libraries of this OS, installed or not. */
  'smartcard:list-providers': channel(Empty, z.array(SmartcardProvider)),
  /**
   * Adds a token's keys to the agent (ssh-add -s). The PIN goes to main once and never comes back;
   * empty = a PIN remembered in the keychain for this provider, if any.
   */
  'smartcard:add': channel(
    AgentRef.extend({
      provider: ProviderPath,
      pin: z.string().max(256),
      remember: z.boolean().optional(),
      lifetimeSeconds: z.number().int().positive().max(31_536_000).optional(),
      confirm: z.boolean().optional(),
    }).strict(),
    z.array(Identity),
  ),
  /** Removes a provider's keys from the agent (ssh-add -e). */
  'smartcard:remove': channel(AgentRef.extend({ provider: ProviderPath }).strict(), Done),
} as const;
