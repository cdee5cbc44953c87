import { z } from 'zod';
import { channel } from './define';

// Key lifecycle: a key rotation (its plan, running it, resuming or rolling it back) and Git
// commit signing. Paths that come from the window are re-checked in main before anything reads
// them. Passphrases travel one way: the window may send one; no answer or event carries one.

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
    /** Servers to leave alone (a config alias or a `servers` value). */
    skipServers: z.array(z.string().min(1).max(512)).max(64).default([]),
    /** Remember the new key's passphrase in the keychain (default: when the old one was). */
    rememberNew: z.boolean().optional(),
  })
  .strict();

const Passphrase = z.string().max(1024);

/**
 * Runs (start), resumes or rolls back the rotation of KEYPATH with the same service as
 * `keydock rotate` (main/lifecycle/rotate.ts). The plan fields matter for `start` only; a
 * Git-host step that waits for the user ends the call with `status: 'waiting'` (resume after).
 */
export const RotateRequest = z
  .object({
    keyPath: Path,
    action: z.enum(['start', 'resume', 'rollback']),
    type: z.enum(['ed25519', 'ecdsa', 'rsa']).optional(),
    servers: z.array(z.string().min(1).max(512)).max(64).default([]),
    skipServers: z.array(z.string().min(1).max(512)).max(64).default([]),
    rememberNew: z.boolean().optional(),
    /** authorized_keys on the servers, relative to the account's home unless absolute (default .ssh/authorized_keys). */
    authorizedKeysFile: z.string().min(1).max(4096).optional(),
    /** The new key's passphrase (start: required; resume/rollback: when KeyDock needs to open the new key). */
    passphrase: Passphrase.optional(),
    /** The old key's passphrase, when it is encrypted and neither an agent nor the keychain has it. */
    oldPassphrase: Passphrase.optional(),
    /** Progress comes as lifecycle:rotation-progress events with this id. */
    runId: z.string().min(1).max(100).optional(),
  })
  .strict();

export const RotationStepState = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['pending', 'started', 'done', 'skipped', 'waiting', 'failed', 'undone']),
  detail: z.string().optional(),
});

/** Where a rotation is: its steps, what changed, what is left, and the page a waiting Git-host step needs. */
export const RotationOutcome = z.object({
  id: z.string().nullable(),
  status: z.string(),
  createdAt: z.string().nullable(),
  steps: z.array(RotationStepState),
  oldKey: z.object({ path: z.string(), fingerprint: z.string(), archivedTo: z.array(z.string()) }),
  newKey: z.object({ path: z.string(), publicPath: z.string(), fingerprint: z.string(), publicKey: z.string() }).nullable(),
  changes: z.array(z.object({ where: z.string(), what: z.string() })),
  todo: z.array(z.string()),
  /** A Git-host step waiting for the user to add the new key on the provider's page. */
  waiting: z
    .object({
      stepId: z.string(),
      provider: z.enum(['github', 'gitlab', 'bitbucket']),
      name: z.string(),
      alias: z.string(),
      addKeyUrl: z.string(),
      repo: z.string().nullable(),
      account: z.string().nullable(),
    })
    .nullable(),
  /** Why the last run stopped, when it failed. */
  error: z.object({ code: z.string(), message: z.string(), hint: z.string() }).nullable(),
  /** The old key is encrypted and no keychain entry opens it (the window may ask for its passphrase). */
  oldKeyNeedsPassphrase: z.boolean(),
  reportFile: z.string().nullable(),
});
export type RotationOutcome = z.infer<typeof RotationOutcome>;

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
  /** The saved rotation of a key that is not finished (to resume or roll back), else the last one, else null. */
  'lifecycle:rotation-status': channel(z.object({ keyPath: Path }).strict(), z.object({ saved: RotationOutcome.nullable() })),
  'lifecycle:rotate': channel(RotateRequest, RotationOutcome),
  'lifecycle:git-signing-status': channel(GitSigningScopeRequest, GitSigningStatus),
  'lifecycle:git-signing-setup': channel(GitSigningSetupRequest, GitSigningSetupResult),
};

export const lifecycleEvents = {
  /** Each step of a lifecycle:rotate with a runId as it starts (its title), or as it is undone. */
  'lifecycle:rotation-progress': z.object({ runId: z.string(), message: z.string() }),
};
