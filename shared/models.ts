import { z } from 'zod';

/** Where an agent lives and how KeyDock reaches it. */
export const AgentKind = z.enum([
  'ssh-auth-sock',
  'identity-agent',
  'keydock',
  '1password',
  'secretive',
  'gpg-agent',
  'openssh-pipe',
  'pageant-pipe',
  'pageant-window',
  'other',
]);
export type AgentKind = z.infer<typeof AgentKind>;

export const AgentInfo = z.object({
  id: z.string(),
  kind: AgentKind,
  label: z.string(),
  path: z.string(),
  reachable: z.boolean(),
  keyCount: z.number().int().nonnegative().nullable(),
  locked: z.boolean().nullable().optional(),
  reason: z.string().nullable(),
  usedBySsh: z.boolean(),
});
export type AgentInfo = z.infer<typeof AgentInfo>;

export const KeyType = z.string();

/**
 * What a FIDO security key (`sk-` key) needs in order to sign; public facts only. The flags are
 * read from the key file's private part, so a key only an agent lists has them as null (unknown).
 */
export const SecurityKeyInfo = z.object({
  /** FIDO application string the key was enrolled for, `ssh:` by default. */
  application: z.string(),
  /** Flag 0x01: every signature needs a touch of the authenticator. */
  touchRequired: z.boolean().nullable(),
  /** Flag 0x04 (verify-required): every signature needs the authenticator's PIN. */
  pinRequired: z.boolean().nullable(),
  /** Flag 0x20: the credential is resident on the authenticator (ssh-keygen -K can get it back). */
  resident: z.boolean().nullable(),
  /**
   * Key files only: the FIDO provider KeyDock's own agent would sign through here (a library
   * path), or null when this system has none; docs/hardware-keys.md says which hardware works where.
   */
  provider: z.string().nullable().optional(),
});
export type SecurityKeyInfo = z.infer<typeof SecurityKeyInfo>;

/** One key as an agent lists it; never carries private material. */
export const Identity = z.object({
  fingerprint: z.string(),
  md5: z.string().optional(),
  type: z.string(),
  bits: z.number().int().nonnegative(),
  comment: z.string(),
  publicKey: z.string(),
  isCertificate: z.boolean().optional(),
  constraints: z
    .object({
      expiresAt: z.number().nullable().optional(),
      confirm: z.boolean().optional(),
      destinations: z.array(z.string()).optional(),
    })
    .optional(),
  sourceFile: z.string().nullable().optional(),
  /** A key on a PKCS#11 token (its comment is the provider library's path): that provider. */
  smartcard: z.object({ provider: z.string() }).optional(),
  securityKey: SecurityKeyInfo.optional(),
});
export type Identity = z.infer<typeof Identity>;

export const IdentityList = z.object({
  agent: AgentInfo,
  identities: z.array(Identity),
});
export type IdentityList = z.infer<typeof IdentityList>;

export const AgentSnapshot = z.object({
  agentId: z.string(),
  identities: z.array(Identity),
  locked: z.boolean().nullable(),
  at: z.number(),
});
export type AgentSnapshot = z.infer<typeof AgentSnapshot>;
