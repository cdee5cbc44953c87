import type { serverChannels, ServerStatus } from '../../../shared/contract/server';
import type { AppContext } from '../../context';
import { KeyDockError } from '../../util/errors';
import type { ActivityLog } from '../../agent/server/activity-log';
import { UiConfirmer } from '../../agent/server/confirm';
import { startOwnAgent, type RunningAgent } from '../../agent/server/own-agent';
import type { Handlers } from '../router';

type ServerHandlers = Pick<Handlers, keyof typeof serverChannels>;

/** The app's own agent for one context: at most one running, its confirm queue, its activity. */
interface OwnAgentState {
  agent: RunningAgent | null;
  starting: Promise<RunningAgent> | null;
  confirmer: UiConfirmer;
  /** Kept after a stop so the activity view still shows what happened. */
  activity: ActivityLog | null;
  unsubscribe: (() => void) | null;
}

const states = new WeakMap<AppContext, OwnAgentState>();

function stateFor(ctx: AppContext): OwnAgentState {
  let s = states.get(ctx);
  if (s) return s;
  const confirmer = new UiConfirmer({
    onRequest: (p) =>
      ctx.events.emit('server:confirm-request', {
        requestId: p.requestId,
        fingerprint: p.prompt.fingerprint,
        comment: p.prompt.comment,
        keyType: p.prompt.keyType,
        client: p.prompt.client,
        destination: p.prompt.destination,
        expiresAt: p.expiresAt,
      }),
    onClosed: (requestId, allowed) => ctx.events.emit('server:confirm-closed', { requestId, allowed }),
  });
  s = { agent: null, starting: null, confirmer, activity: null, unsubscribe: null };
  states.set(ctx, s);
  ctx.disposers.push(() => stopAgent(ctx));
  return s;
}

function status(s: OwnAgentState): ServerStatus {
  const a = s.agent;
  return { running: a !== null, socketPath: a?.socketPath ?? null, keyCount: a?.server.keyCount ?? 0, locked: a?.server.locked ?? false };
}

async function stopAgent(ctx: AppContext): Promise<void> {
  const s = states.get(ctx);
  if (!s) return;
  if (s.starting) await s.starting.catch(() => undefined);
  const a = s.agent;
  s.agent = null;
  s.confirmer.denyAll();
  s.unsubscribe?.();
  s.unsubscribe = null;
  await a?.stop();
}

/** `server:*`: start/stop KeyDock's own agent inside the app, answer its confirmations, show its activity. */
export function createServerHandlers(ctx: AppContext): ServerHandlers {
  return {
    'server:get-status': () => status(stateFor(ctx)),
    'server:start-agent': async (req) => {
      const s = stateFor(ctx);
      if (s.starting) await s.starting.catch(() => undefined);
      if (s.agent) {
        if (req.socketPath && req.socketPath !== s.agent.socketPath) {
          throw new KeyDockError('agent-already-running', `KeyDock's agent already runs on ${s.agent.socketPath}.`, 'Stop it first to move it to another socket.');
        }
        return status(s);
      }
      s.starting = startOwnAgent({ env: ctx.env, socketPath: req.socketPath, server: { confirmer: s.confirmer } });
      try {
        const agent = await s.starting;
        s.agent = agent;
        s.activity = agent.server.activity;
        s.unsubscribe = agent.server.activity.subscribe((e) => ctx.events.emit('server:activity', e));
      } finally {
        s.starting = null;
      }
      return status(s);
    },
    'server:stop-agent': async () => {
      await stopAgent(ctx);
      return status(stateFor(ctx));
    },
    'server:remove-all-keys': () => {
      const agent = stateFor(ctx).agent;
      return { removed: agent ? agent.server.keystore.removeAll() : 0 };
    },
    'server:list-activity': (req) => stateFor(ctx).activity?.list(req.fingerprint ? { fingerprint: req.fingerprint } : {}) ?? [],
    'server:answer-confirm': (req) => {
      if (!stateFor(ctx).confirmer.answer(req.requestId, req.allow)) {
        throw new KeyDockError('confirm-not-pending', 'That confirmation is no longer waiting for an answer.', 'It was answered already or timed out after 30 seconds; ask again from the program that wanted the key.');
      }
      return { done: true as const };
    },
  };
}
