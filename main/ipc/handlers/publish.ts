import type { publishChannels } from '../../../shared/contract/publish';
import type { AppContext } from '../../context';
import { checkKeyPathFromRenderer } from '../../keys/ipc-paths';
import { PublishErrorCode } from '../../publish/http';
import { publishKey } from '../../publish/publish';
import { SignInSessions, signOut, type PublishServices } from '../../publish/sign-in';
import { KeyDockError } from '../../util/errors';
import type { Handlers } from '../router';

type PublishHandlers = Pick<Handlers, keyof typeof publishChannels>;

/**
 * "Add it for me" for the window (docs/publish.md §5): sign in with start/poll (a device code to
 * show, or a token page to open), publish with progress as publish:progress events, sign out.
 * The window never receives a token; a key path from it is re-checked here before use.
 */
export function createPublishHandlers(ctx: AppContext): PublishHandlers {
  const services: PublishServices = { runtime: ctx, secrets: ctx.secrets };
  const sessions = new SignInSessions(services);
  return {
    'publish:start-sign-in': async (req) => sessions.start({ provider: req.provider, kind: req.kind, ...(req.api ? { api: req.api } : {}) }),
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
    'publish:sign-out': async (req) => ({ forgotten: await signOut(services, req.provider, req.api) }),
  };
}
