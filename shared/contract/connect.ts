import { z } from 'zod';
import { Done, Empty, channel } from './define';

export const TestStep = z.object({ name: z.string(), ms: z.number(), ok: z.boolean(), detail: z.string().optional() });
export type TestStep = z.infer<typeof TestStep>;

export const Diagnosis = z.object({
  code: z.string(),
  message: z.string(),
  fix: z.string(),
  /** A fix KeyDock can apply itself (the UI shows a button), with what it needs. */
  action: z
    .object({
      kind: z.enum(['load-key', 'copy-public-key', 'trust-host-key', 'remove-stale-host-key', 'add-identities-only', 'start-agent', 'open-url']),
      keyPath: z.string().optional(),
      url: z.string().optional(),
      publicKey: z.string().optional(),
    })
    .nullable()
    .optional(),
});
export type Diagnosis = z.infer<typeof Diagnosis>;

export const HostKeyStatus = z.enum(['known', 'new', 'changed', 'revoked', 'provider-verified']);

export const TestReport = z.object({
  ok: z.boolean(),
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  account: z.string().nullable(),
  deployKeyRepo: z.string().nullable().optional(),
  acceptedKey: z.object({ fingerprint: z.string(), comment: z.string(), type: z.string() }).nullable(),
  offeredKeys: z.array(z.object({ fingerprint: z.string(), comment: z.string(), type: z.string(), source: z.string(), accepted: z.boolean() })),
  hostKey: z
    .object({
      type: z.string(),
      fingerprint: z.string(),
      status: HostKeyStatus,
      publishedFingerprint: z.string().nullable().optional(),
    })
    .nullable(),
  greeting: z.string().nullable(),
  diagnosis: Diagnosis.nullable(),
  steps: z.array(TestStep),
});
export type TestReport = z.infer<typeof TestReport>;

export const TestTarget = z
  .object({
    /** `[user@]host[:port]`, `ssh://user@host:port` or a preset id such as `github`. */
    target: z.string().min(1).max(512),
    runId: z.string().max(100).optional(),
  })
  .strict();

export const DoctorFinding = z.object({
  id: z.string(),
  severity: z.enum(['ok', 'info', 'warning', 'error']),
  title: z.string(),
  message: z.string(),
  fix: z.string().nullable(),
  canFix: z.boolean(),
  /**
   * What the window offers for this finding (the CLI prints `fix`, a keydock command or an exact
   * edit): load-key (the key named in `fixPath`), fix-permissions, add-identities-only (both the
   * "Fix" button), start-agent, choose-agent, edit-ssh-config (open the file at `fixPath`).
   */
  fixAction: z.enum(['load-key', 'fix-permissions', 'add-identities-only', 'start-agent', 'choose-agent', 'edit-ssh-config']).optional(),
  /** The file the fix is about (a key to load, a config file to open), when there is one. */
  fixPath: z.string().optional(),
});
export type DoctorFinding = z.infer<typeof DoctorFinding>;

/** `keydock which` / tester:which: what `ssh HOST` would do (names like `ssh -G`'s keywords). */
export const WhichReport = z.object({
  host: z.string(),
  hostname: z.string(),
  port: z.number().int(),
  user: z.string(),
  identityfile: z.array(z.string()),
  identityfiles: z.array(
    z.object({
      path: z.string(),
      exists: z.boolean(),
      encrypted: z.boolean(),
      fingerprint: z.string().nullable(),
      type: z.string().nullable(),
      loaded: z.boolean(),
      configured: z.boolean(),
    }),
  ),
  certificatefile: z.array(z.string()),
  identitiesonly: z.boolean(),
  identityagent: z.string().nullable(),
  agent: z.object({
    path: z.string().nullable(),
    source: z.enum(['config', 'env', 'windows-default', 'none']),
    state: z.enum(['running', 'not-running', 'disabled', 'unset', 'unreadable']),
    locked: z.boolean().nullable(),
    keycount: z.number().int().nullable(),
    keydock: z.boolean(),
    reason: z.string().nullable(),
  }),
  userknownhostsfile: z.array(z.string()),
  globalknownhostsfile: z.array(z.string()),
  hostkeyalias: z.string().nullable(),
  knownhostsname: z.string(),
  knownhostkeytypes: z.array(z.string()),
  hostkeyknown: z.boolean(),
  stricthostkeychecking: z.string(),
  proxyjump: z.string().nullable(),
  proxycommand: z.string().nullable(),
  offers: z.array(
    z.object({
      position: z.number().int(),
      fingerprint: z.string(),
      type: z.string(),
      comment: z.string(),
      source: z.enum(['agent', 'file']),
      path: z.string().nullable(),
    }),
  ),
  maxauthtries: z.number().int(),
  warnings: z.array(z.string()),
  configfiles: z.array(z.string()),
  unsupported: z.array(z.string()),
});
export type WhichReport = z.infer<typeof WhichReport>;

export const HostPreset = z.object({
  id: z.string(),
  name: z.string(),
  host: z.string(),
  addKeyUrl: z.string(),
  deployKeyHelp: z.string(),
});

export const connectChannels = {
  'tester:list-presets': channel(Empty, z.array(HostPreset)),
  'tester:run-test': channel(TestTarget, TestReport),
  'tester:which': channel(z.object({ target: z.string().min(1).max(512) }).strict(), WhichReport),
  'tester:apply-fix': channel(
    z
      .object({
        target: z.string().min(1).max(512),
        kind: z.enum(['trust-host-key', 'remove-stale-host-key', 'add-identities-only', 'load-key']),
        keyPath: z.string().max(4096).optional(),
        /** Host key fixes: the fingerprint the user saw (required to replace a stale key). */
        fingerprint: z.string().max(200).optional(),
        /** add-identities-only for a key that exists only in the agent (from the diagnosis action). */
        publicKey: z.string().max(16384).optional(),
        /** load-key: the passphrase typed for an encrypted key (used once, never sent back). */
        passphrase: z.string().max(1024).optional(),
      })
      .strict(),
    Done,
  ),
  'doctor:run-checks': channel(Empty, z.array(DoctorFinding)),
  'doctor:apply-fix': channel(z.object({ id: z.string().max(200) }).strict(), DoctorFinding),
} as const;

export const connectEvents = {
  'tester:progress': z.object({ runId: z.string(), step: TestStep }),
} as const;
