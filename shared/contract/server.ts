import { z } from 'zod';
import { Done, Empty, channel } from './define';

/** One request KeyDock's own agent served; never holds key material or passphrases. */
export const ActivityEntry = z.object({
  id: z.number().int(),
  at: z.number(),
  client: z.string(),
  operation: z.string(),
  fingerprint: z.string().nullable(),
  destination: z.string().nullable(),
  outcome: z.enum(['allowed', 'denied', 'failed']),
  detail: z.string().nullable().optional(),
  /** The entry in plain words, built in main ("ssh asked to sign for github.com with work key — allowed"). */
  summary: z.string().optional(),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

export const ConfirmRequest = z.object({
  requestId: z.string(),
  fingerprint: z.string(),
  comment: z.string(),
  keyType: z.string(),
  client: z.string(),
  destination: z.string().nullable(),
  expiresAt: z.number(),
  /**
   * "passphrase": a key kept encrypted until first use needs its passphrase (answer with allow +
   * passphrase). "pin": a smartcard needs its PIN again (fingerprint = the provider library,
   * comment = the token's label; answered the same way, the PIN in `passphrase`).
   */
  kind: z.enum(['confirm', 'passphrase', 'pin', 'security-key-pin']).optional(),
});
export type ConfirmRequest = z.infer<typeof ConfirmRequest>;

export const ServerStatus = z.object({
  running: z.boolean(),
  socketPath: z.string().nullable(),
  keyCount: z.number().int().nonnegative(),
  locked: z.boolean(),
});
export type ServerStatus = z.infer<typeof ServerStatus>;

/** A key ↔ host pairing KeyDock's agent remembers (fingerprints; names from known_hosts when found). */
export const HostPairingEntry = z.object({
  key: z.string(),
  host: z.string(),
  hostNames: z.array(z.string()),
  firstSeen: z.number(),
  lastUsed: z.number(),
  source: z.enum(['agent', 'tester']),
});
export type HostPairingEntry = z.infer<typeof HostPairingEntry>;

const Fingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/);

export const serverChannels = {
  'server:get-status': channel(Empty, ServerStatus),
  'server:start-agent': channel(z.object({ socketPath: z.string().max(4096).optional() }).strict(), ServerStatus),
  'server:stop-agent': channel(Empty, ServerStatus),
  /** Drops every key from KeyDock's own agent: screen lock, sleep and idle timeout do this. */
  'server:remove-all-keys': channel(z.object({ reason: z.enum(['user', 'screen-locked', 'sleep', 'idle']).default('user') }).strict(), z.object({ removed: z.number().int().nonnegative() })),
  'server:list-activity': channel(z.object({ fingerprint: z.string().max(200).optional() }).strict(), z.array(ActivityEntry)),
  'server:answer-confirm': channel(z.object({ requestId: z.string().max(200), allow: z.boolean(), passphrase: z.string().max(1024).optional() }).strict(), Done),
  'server:list-pairings': channel(Empty, z.array(HostPairingEntry)),
  /** Forgets every pairing of `key`, of `host`, or the one pair when both are given. */
  'server:forget-pairing': channel(z.object({ key: Fingerprint.optional(), host: Fingerprint.optional() }).strict().refine((r) => r.key !== undefined || r.host !== undefined, 'name a key or a host'), z.object({ forgotten: z.number().int().nonnegative() })),
} as const;

export const serverEvents = {
  'server:confirm-request': ConfirmRequest,
  'server:confirm-closed': z.object({ requestId: z.string(), allowed: z.boolean() }),
  'server:activity': ActivityEntry,
} as const;
