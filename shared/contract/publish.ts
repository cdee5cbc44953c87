import { z } from 'zod';
import { channel } from './define';

// "Add it for me": sign in to GitHub, GitLab or Bitbucket and publish a key (docs/publish.md §5).
// Tokens travel one way: the window may send a token it was given once (publish:poll-sign-in);
// no answer or event ever carries one back.

export const Provider = z.enum(['github', 'gitlab', 'bitbucket']);
export const PublishKindSchema = z.enum(['account', 'signing', 'deploy']);
const ApiUrl = z.string().min(8).max(512);

export const PublishStep = z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() });
export type PublishStep = z.infer<typeof PublishStep>;

export const StartSignInAnswer = z.discriminatedUnion('state', [
  /** A stored token still works and has the scopes: nothing to do. */
  z.object({ state: z.literal('signed-in'), account: z.string() }),
  /** GitHub device flow: show userCode, open verificationUri, poll every `interval` seconds. */
  z.object({
    state: z.literal('device'),
    sessionId: z.string(),
    userCode: z.string(),
    verificationUri: z.string(),
    expiresIn: z.number(),
    interval: z.number(),
    scopes: z.array(z.string()),
  }),
  /** A token the user creates on tokenUrl (with these scopes) and pastes into publish:poll-sign-in. */
  z.object({ state: z.literal('token'), sessionId: z.string(), tokenUrl: z.string(), scopes: z.array(z.string()), needsUsername: z.boolean() }),
]);

export const PollSignInAnswer = z.discriminatedUnion('state', [
  z.object({ state: z.literal('pending'), retryAfter: z.number() }),
  z.object({ state: z.literal('signed-in'), account: z.string() }),
]);

export const PublishTestResult = z.object({
  works: z.boolean(),
  otherKeyAccepted: z.string().nullable(),
  account: z.string().nullable(),
  host: z.string(),
  message: z.string(),
  diagnosis: z.object({ code: z.string(), message: z.string(), fix: z.string() }).nullable(),
});

export const PublishOutcome = z.object({
  provider: Provider,
  server: z.string(),
  kind: PublishKindSchema,
  repo: z.string().nullable(),
  status: z.enum(['added', 'already-there']),
  account: z.string(),
  key: z.object({ fingerprint: z.string(), type: z.string(), title: z.string(), id: z.string(), readOnly: z.boolean().nullable() }),
  test: PublishTestResult.nullable(),
  keysPage: z.string(),
  summary: z.string(),
});
export type PublishOutcome = z.infer<typeof PublishOutcome>;

export const publishChannels = {
  'publish:start-sign-in': channel(z.object({ provider: Provider, api: ApiUrl.optional(), kind: PublishKindSchema.default('account') }).strict(), StartSignInAnswer),
  'publish:poll-sign-in': channel(
    z
      .object({
        sessionId: z.string().regex(/^[0-9a-f]{32}$/),
        /** Token sign-ins only: the token the user created (sent once, stored in the keychain, never returned). */
        token: z.string().min(1).max(4096).optional(),
        /** Bitbucket: the Atlassian account e-mail (API token) or username (app password). */
        username: z.string().min(1).max(320).optional(),
      })
      .strict(),
    PollSignInAnswer,
  ),
  'publish:publish-key': channel(
    z
      .object({
        provider: Provider,
        api: ApiUrl.optional(),
        keyPath: z.string().min(1).max(4096),
        kind: PublishKindSchema,
        repo: z.string().min(3).max(512).optional(),
        readWrite: z.boolean().optional(),
        title: z.string().min(1).max(200).optional(),
        test: z.boolean().optional(),
        runId: z.string().max(100).optional(),
      })
      .strict(),
    PublishOutcome,
  ),
  /**
   * A deploy key's own Host alias, named like `keydock setup-host` names it (HOST-OWNER-REPO):
   * `write: false` previews the block, `write: true` adds it to ~/.ssh/config (backup kept).
   */
  'publish:setup-host': channel(
    z
      .object({
        /** A provider id or the SSH host (github.com, a GitHub Enterprise host). */
        host: z.string().min(1).max(253),
        repo: z.string().min(3).max(512),
        keyPath: z.string().min(1).max(4096),
        write: z.boolean(),
      })
      .strict(),
    z.object({ alias: z.string(), hostname: z.string(), entry: z.string(), written: z.boolean(), backupFile: z.string().nullable(), cloneCommand: z.string() }),
  ),
  'publish:sign-out': channel(z.object({ provider: Provider, api: ApiUrl.optional() }).strict(), z.object({ forgotten: z.boolean() })),
} as const;

export const publishEvents = {
  /** Each finished step of publish:publish-key with a runId (the connection test also sends tester:progress). */
  'publish:progress': z.object({ runId: z.string(), step: PublishStep }),
} as const;
