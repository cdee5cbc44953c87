import { z } from 'zod';
import { channel } from './define';

// Key lifecycle: the plan of a key rotation (what would change where) and Git commit signing.
// Paths that come from the window are re-checked in main before anything reads them.

const Path = z.string().min(1).max(4096);
const Fingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a SHA256: fingerprint');

export const RotationPlanRequest = z
  .object({
    /** The private key to replace. */
    keyPath: Path,
    /** Key type of the successor; default: the same, or ed25519 when the old one is weak. */
    type: z.enum(['ed25519', 'ecdsa', 'rsa']).optional(),
    /** Extra servers the old key opens: `user@host[:port]`. */
    servers: z.array(z.string().min(1).max(512)).max(64).default([]),
  })
  .strict();

export const RotationStepInfo = z.object({ id: z.string(), title: z.string() });

export const RotationPlan = z.object({
  oldKey: z.object({
    path: z.string(),
    publicPath: z.string().nullable(),
    fingerprint: z.string(),
    type: z.string(),
    bits: z.number().int().nonnegative(),
    comment: z.string(),
    publicKey: z.string(),
    encrypted: z.boolean(),
    remembered: z.boolean(),
    /** Health findings (main/keys/health.ts) by code. */
    findings: z.array(z.string()),
  }),
  newKey: z.object({
    path: z.string(),
    publicPath: z.string(),
    type: z.enum(['ed25519', 'ecdsa', 'rsa']),
    bits: z.number().int().optional(),
    comment: z.string(),
    /** Why this type. */
    reason: z.string(),
  }),
  /** IdentityFile lines naming the old key, in ~/.ssh/config and its Includes. */
  configLines: z.array(
    z.object({
      file: z.string(),
      line: z.number().int().positive(),
      text: z.string(),
      replacement: z.string(),
      /** The block it sits in: `Host a b`, `Match …`, or `(top of file)`. */
      block: z.string(),
      hosts: z.array(z.string()),
    }),
  ),
  /** Servers whose authorized_keys gets the new key (and loses the old one after a proof). */
  servers: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      alias: z.string(),
      user: z.string(),
      hostname: z.string(),
      port: z.number().int(),
      source: z.enum(['option', 'config']),
    }),
  ),
  /** GitHub / GitLab / Bitbucket hosts: the user adds the key on a page, KeyDock tests it. */
  gitHosts: z.array(
    z.object({
      id: z.string(),
      alias: z.string(),
      provider: z.enum(['github', 'gitlab', 'bitbucket']),
      name: z.string(),
      hostname: z.string(),
      addKeyUrl: z.string(),
      deployKeyUrl: z.string(),
    }),
  ),
  /** Agents holding the old key (swapped for the new one). */
  agents: z.array(z.object({ agentId: z.string(), label: z.string() })),
  remembered: z.boolean(),
  gitSigning: z
    .object({
      current: z.string(),
      replacement: z.string(),
      allowedSignersFile: z.string().nullable(),
      allowedSignerEntries: z.number().int().nonnegative(),
    })
    .nullable(),
  /**
   * Hosts the key is known to have opened: KeyDock's records (its agent's bound sessions and
   * successful connection tests, docs/architecture.md §7.6), named from known_hosts; when there
   * are none, the servers come from the config blocks naming the key.
   */
  knownHosts: z.object({
    source: z.enum(['test-history', 'config']),
    note: z.string(),
    hosts: z.array(z.object({ hostKey: z.string(), names: z.array(z.string()), lastUsed: z.string(), covered: z.boolean() })),
  }),
  archiveDir: z.string(),
  notes: z.array(z.string()),
  steps: z.array(RotationStepInfo),
});
export type RotationPlan = z.infer<typeof RotationPlan>;

export const GitSigningScopeRequest = z
  .object({
    /** A repository folder; omitted = the global Git config. */
    repo: Path.optional(),
  })
  .strict();

export const SigningKeyPage = z.object({ provider: z.string(), name: z.string(), url: z.string(), help: z.string() });

export const GitSigningProblem = z.object({ code: z.string(), message: z.string(), fix: z.string() });

export const GitSigningStatus = z.object({
  scope: z.enum(['global', 'repo']),
  repo: z.string().nullable(),
  gitVersion: z.string().nullable(),
  gitNewEnough: z.boolean(),
  format: z.string().nullable(),
  signingKey: z.string().nullable(),
  signingKeyKind: z.enum(['file', 'literal', 'none']),
  fingerprint: z.string().nullable(),
  keyFile: z.object({ path: z.string(), exists: z.boolean(), privateKey: z.boolean(), encrypted: z.boolean() }).nullable(),
  commitSign: z.boolean(),
  tagSign: z.boolean(),
  email: z.string().nullable(),
  allowedSignersFile: z.string().nullable(),
  allowedSignerListed: z.boolean(),
  agent: z.object({ path: z.string().nullable(), reachable: z.boolean(), keyLoaded: z.boolean() }),
  /** A signed commit in a scratch repository was made and verified just now. */
  works: z.boolean(),
  detail: z.string(),
  problems: z.array(GitSigningProblem),
  signingKeyPages: z.array(SigningKeyPage),
});
export type GitSigningStatus = z.infer<typeof GitSigningStatus>;

export const GitSigningSetupRequest = z
  .object({
    /** A key file (private or .pub); or `fingerprint` of a key in the agent; neither = KeyDock picks. */
    keyPath: Path.optional(),
    fingerprint: Fingerprint.optional(),
    repo: Path.optional(),
    signCommits: z.boolean().default(false),
    signTags: z.boolean().default(false),
    email: z.string().min(3).max(320).optional(),
  })
  .strict()
  .refine((r) => !(r.keyPath && r.fingerprint), { message: 'give a key file or a fingerprint, not both', path: ['fingerprint'] });

export const GitSigningSetupResult = z.object({
  scope: z.enum(['global', 'repo']),
  repo: z.string().nullable(),
  signingKey: z.string(),
  signingKeyKind: z.enum(['file', 'literal']),
  fingerprint: z.string(),
  publicKey: z.string(),
  email: z.string(),
  allowedSignersFile: z.string(),
  allowedSignersEntry: z.string(),
  settings: z.array(z.object({ key: z.string(), value: z.string() })),
  proof: z.object({ ok: z.boolean(), detail: z.string() }),
  signingKeyPages: z.array(SigningKeyPage),
});
export type GitSigningSetupResult = z.infer<typeof GitSigningSetupResult>;

export const lifecycleChannels = {
  'lifecycle:plan-rotation': channel(RotationPlanRequest, RotationPlan),
  'lifecycle:git-signing-status': channel(GitSigningScopeRequest, GitSigningStatus),
  'lifecycle:git-signing-setup': channel(GitSigningSetupRequest, GitSigningSetupResult),
};

export const lifecycleEvents = {};
