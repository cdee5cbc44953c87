import type { publishChannels } from '../../../shared/contract/publish';
import type { AppContext } from '../../context';
import { hostAliasFor, setupHost } from '../../connect/setup-host';
import { checkKeyPathFromRenderer } from '../../keys/ipc-paths';
import { hostAliasLines } from '../../openssh/ssh-config-edit';
import { resolveEndpoint, type ProviderId } from '../../publish/endpoints';
import { PublishErrorCode } from '../../publish/http';
import { publishKey } from '../../publish/publish';
import { SignInSessions, signOut, type PublishServices } from '../../publish/sign-in';
import { KeyDockError } from '../../util/errors';
import type { Handlers } from '../router';

type PublishHandlers = Pick<Handlers, keyof typeof publishChannels>;

/** At most this many servers are kept; the oldest goes first. */
const MAX_SERVERS = 16;

/**
 * Keeps a GitHub Enterprise / self-managed GitLab server the user named (settings
 * `publishServers`): the walkthrough offers it again, and the Electron glue lets its sign-in and
 * token pages open (main/app/external-pages.ts). The provider's public API is not kept; an
 * address the endpoint table refuses throws before anything is saved.
 */
async function rememberServer(ctx: AppContext, provider: ProviderId, api: string): Promise<void> {
  const e = resolveEndpoint(provider, api);
  if (!e.custom) return;
  const current = (await ctx.settings.get()).publishServers;
  const base = (s: { provider: ProviderId; api: string }) => {
    try {
      return resolveEndpoint(s.provider, s.api).apiBase;
    } catch {
      return null;
    }
  };
  if (current.some((s) => s.provider === provider && base(s) === e.apiBase)) return;
  const next = await ctx.settings.update({ publishServers: [...current, { provider, api: e.apiBase }].slice(-MAX_SERVERS) });
  ctx.events.emit('settings:changed', next);
}

/**
 * "Add it for me" for the window (docs/publish.md §5): sign in with start/poll (a device code to
 * show, or a token page to open), publish with progress as publish:progress events, sign out.
 * The window never receives a token; a key path from it is re-checked here before use.
 */
export function createPublishHandlers(ctx: AppContext): PublishHandlers {
  const services: PublishServices = { runtime: ctx, secrets: ctx.secrets };
  const sessions = new SignInSessions(services);
  return {
    'publish:start-sign-in': async (req) => {
      if (req.api) await rememberServer(ctx, req.provider, req.api);
      return sessions.start({ provider: req.provider, kind: req.kind, ...(req.api ? { api: req.api } : {}) });
    },
    'publish:poll-sign-in': async (req) => sessions.poll(req),
    'publish:publish-key': async (req) => {
      const keyPath = await checkKeyPathFromRenderer(req.keyPath, 'private-or-public');
      return publishKey(
        services,
        {
          provider: req.provider,
          keyPath,
          kind: req.kind,
          ...(req.api ? { api: req.api } : {}),
          ...(req.repo ? { repo: req.repo } : {}),
          ...(req.readWrite !== undefined ? { readWrite: req.readWrite } : {}),
          ...(req.title ? { title: req.title } : {}),
          ...(req.test !== undefined ? { test: req.test } : {}),
          ...(req.runId ? { runId: req.runId } : {}),
        },
        {
          // The window signs in first (publish:start-sign-in); here there is no one to ask.
          signIn: async (e) => {
            throw new KeyDockError(PublishErrorCode.notSignedIn, `KeyDock is not signed in to ${e.name} (or the sign-in expired).`, 'Sign in first: publish:start-sign-in, then publish again.');
          },
        },
      );
    },
    'publish:setup-host': async (req) => {
      const keyPath = await checkKeyPathFromRenderer(req.keyPath, 'private-or-public');
      const a = hostAliasFor({ provider: req.host, repo: req.repo });
      const entry = hostAliasLines({ alias: a.alias, hostname: a.hostname, user: a.user, ...(a.port ? { port: a.port } : {}), identityFile: keyPath }).join('\n').trimEnd();
      const cloneCommand = `git clone ${a.user}@${a.alias}:${req.repo}.git`;
      if (!req.write) return { alias: a.alias, hostname: a.hostname, entry, written: false, backupFile: null, cloneCommand };
      const r = await setupHost(ctx, { provider: req.host, repo: req.repo, keyPath }, null);
      return { alias: r.alias, hostname: r.hostname, entry, written: true, backupFile: r.backupFile, cloneCommand: r.remoteUrl ? `git clone ${r.remoteUrl}` : cloneCommand };
    },
    'publish:sign-out': async (req) => ({ forgotten: await signOut(services, req.provider, req.api) }),
  };
}
