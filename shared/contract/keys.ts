import { z } from 'zod';
import { Done, Empty, channel } from './define';
import { KeyPath } from './agent';
import { SecurityKeyInfo } from '../models';

export const HealthFinding = z.object({
  code: z.string(),
  severity: z.enum(['info', 'warning', 'danger']),
  message: z.string(),
  fix: z.string(),
});
export type HealthFinding = z.infer<typeof HealthFinding>;

/** What KeyDock can tell about a key file without (or before) its passphrase. */
export const KeyFileInfo = z.object({
  path: z.string(),
  format: z.string(),
  type: z.string(),
  bits: z.number().int().nonnegative(),
  comment: z.string(),
  fingerprint: z.string(),
  publicKey: z.string(),
  encrypted: z.boolean(),
  kdf: z.string().nullable(),
  kdfCost: z.string().nullable(),
  mode: z.string().nullable(),
  remembered: z.boolean(),
  loaded: z.boolean().optional(),
  findings: z.array(HealthFinding),
  /** FIDO (sk-) keys only: application, touch / PIN flags, and the provider KeyDock's agent would use. */
  securityKey: SecurityKeyInfo.optional(),
});
export type KeyFileInfo = z.infer<typeof KeyFileInfo>;

export const GenerateRequest = z
  .object({
    type: z.enum(['ed25519', 'ecdsa', 'rsa']).default('ed25519'),
    bits: z.number().int().optional(),
    comment: z.string().max(1024).default(''),
    /** File name inside ~/.ssh (no directories): the renderer never picks arbitrary paths. */
    fileName: z.string().regex(/^(?!\.)[A-Za-z0-9._-]{1,128}$/, 'a plain file name inside ~/.ssh, not starting with a dot'),
    passphrase: z.string().max(1024).default(''),
    remember: z.boolean().default(false),
    overwrite: z.boolean().default(false),
  })
  .strict();

export const GeneratedKey = z.object({
  path: z.string(),
  publicPath: z.string(),
  fingerprint: z.string(),
  publicKey: z.string(),
  remembered: z.boolean(),
  /** The replaced key pair, kept by main and restorable (overwrite only). */
  previous: z.string().nullable().default(null),
});

/** A file KeyDock kept in ~/.ssh before replacing it (docs/architecture.md §7.2). */
export const BackupInfo = z.object({
  path: z.string(),
  original: z.string(),
  kind: z.enum(['key', 'ssh-config', 'known-hosts']),
  createdAt: z.number(),
  hasPublicKey: z.boolean(),
});
export type BackupInfo = z.infer<typeof BackupInfo>;

export const keysChannels = {
  'keys:list-files': channel(Empty, z.array(KeyFileInfo)),
  'keys:pick-files': channel(Empty, z.array(z.string())),
  'keys:inspect-file': channel(z.object({ path: KeyPath }).strict(), KeyFileInfo),
  'keys:read-public-key': channel(z.object({ path: KeyPath }).strict(), z.object({ publicKey: z.string(), fingerprint: z.string() })),
  'keys:generate-key': channel(GenerateRequest, GeneratedKey),
  'keys:forget-passphrase': channel(z.object({ fingerprint: z.string().min(1).max(200) }).strict(), Done),
  'keys:list-backups': channel(Empty, z.array(BackupInfo)),
  /** Restores a backup by its file name inside ~/.ssh; what it replaces is kept first. */
  'keys:restore-backup': channel(z.object({ name: z.string().min(1).max(255) }).strict(), z.object({ restored: z.string(), keptCurrentAs: z.string().nullable() })),
  'keys:load-remembered': channel(Empty, z.object({ loaded: z.array(z.string()), failed: z.array(z.object({ path: z.string(), message: z.string() })) })),
  /** The Host aliases of ~/.ssh/config (and the files it Includes) whose IdentityFile names this key. */
  'keys:config-hosts': channel(z.object({ path: KeyPath }).strict(), z.object({ hosts: z.array(z.string()) })),
} as const;

export const keysEvents = {} as const;
