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
      own.answerConfirm(req.requestId, req.allow);
      return { done: true as const };
    },
  };
}
