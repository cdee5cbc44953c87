import type { serverChannels } from '../../../shared/contract/server';
import type { AppContext } from '../../context';
import type { Handlers } from '../router';

type ServerHandlers = Pick<Handlers, keyof typeof serverChannels>;

/** `server:*`: KeyDock's own agent inside the app (main/agent/server/lifecycle.ts). */
export function createServerHandlers(ctx: AppContext): ServerHandlers {
  const own = ctx.ownAgent;
  return {
    'server:get-status': () => own.status(),
    'server:start-agent': (req) => own.start(req.socketPath),
    'server:stop-agent': () => own.stop(),
    'server:remove-all-keys': () => ({ removed: own.removeAllKeys() }),
    'server:list-activity': (req) => own.listActivity(req),
    'server:answer-confirm': (req) => {
      own.answerConfirm(req.requestId, req.allow, req.passphrase);
      return { done: true as const };
    },
    'server:list-pairings': async () => {
      const [{ listHostPairings, pairingsFiles }, { namesForHostFingerprint, defaultKnownHostsFiles, displayHostName }, { GIT_HOST_PRESETS }] = await Promise.all([
        import('../../agent/host-pairings'),
        import('../../openssh/host-names'),
        import('../../connect/git-hosts'),
      ]);
      const { pairings } = await listHostPairings(pairingsFiles(ctx.env, ctx.paths).app);
      const candidates = GIT_HOST_PRESETS.flatMap((p) => [p.host, ...p.alternates.map((a) => (a.port === 22 ? a.host : `[${a.host}]:${a.port}`))]);
      const files = defaultKnownHostsFiles(ctx.paths.sshDir);
      const names = new Map<string, string[]>();
      for (const p of pairings) if (!names.has(p.host)) names.set(p.host, (await namesForHostFingerprint(p.host, files, candidates)).map(displayHostName));
      return pairings.map((p) => ({ ...p, hostNames: names.get(p.host) ?? [] }));
    },
    'server:forget-pairing': async (req) => {
      const { forgetHostPairings, pairingsFiles } = await import('../../agent/host-pairings');
      const file = pairingsFiles(ctx.env, ctx.paths).app;
      const forgotten = req.key !== undefined ? await forgetHostPairings(file, req.key, req.host) : await forgetHostPairings(file, req.host as string);
      return { forgotten };
    },
  };
}
