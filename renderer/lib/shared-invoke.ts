import type { Channel, Req, Res } from '../../shared/ipc-contract';
import type { Result } from '../../shared/result';
import { invoke } from '../api';

// Reads asked for twice at once (the shell's first-run check and the keys view, both on
// start) share one request: listing ~/.ssh inspects every key file, so it is worth it.
const inFlight = new Map<string, Promise<Result<unknown>>>();
// Reads started before anyone asked (prefetch, at page start): the first caller takes the
// answer even when it already came back; nobody else gets it, and it is dropped unasked after
// PREFETCH_KEEP_MS, so a later view never sees an old answer.
// `answer` is set once it is in, so the first view can draw from it at once (takePrefetched).
const prefetched = new Map<string, { promise: Promise<Result<unknown>>; answer?: Result<unknown> }>();
// Every read started at page start, never taken away: what the agent and ~/.ssh held when the window opened.
const startup = new Map<string, Promise<Result<unknown>>>();
const PREFETCH_KEEP_MS = 10_000;

const keyOf = (channel: Channel, payload: unknown) => `${channel}\u0000${JSON.stringify(payload)}`;

/** Like invoke(), but a read already on its way with the same payload is joined, not repeated. */
export function invokeShared<C extends Channel>(channel: C, payload: Req<C>): Promise<Result<Res<C>>> {
  const key = keyOf(channel, payload);
  const early = prefetched.get(key);
  if (early) {
    prefetched.delete(key);
    return early.promise as Promise<Result<Res<C>>>;
  }
  const pending = inFlight.get(key);
  if (pending) return pending as Promise<Result<Res<C>>>;
  const p = invoke(channel, payload).finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

/**
 * Starts a read the first view will ask for, before React draws anything: the connection's
 * handshake and the answer then overlap the page's start-up instead of following it.
 */
export function prefetch<C extends Channel>(channel: C, payload: Req<C>): Promise<void> {
  const key = keyOf(channel, payload);
  if (prefetched.has(key) || inFlight.has(key)) return Promise.resolve();
  const p = invoke(channel, payload).finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  const entry: { promise: Promise<Result<unknown>>; answer?: Result<unknown> } = { promise: p };
  prefetched.set(key, entry);
  startup.set(key, p);
  window.setTimeout(() => {
    if (prefetched.get(key) === entry) prefetched.delete(key);
  }, PREFETCH_KEEP_MS);
  // Resolves once the answer is in (an invoke never rejects: failures are Results).
  return p.then((r) => {
    entry.answer = r;
  });
}

/**
 * A prefetched answer that is already in, taken at once (no waiting a turn): the same
 * first-caller rule as invokeShared(), so the first view can draw its rows in its first render.
 */
export function takePrefetched<C extends Channel>(channel: C, payload: Req<C>): Result<Res<C>> | undefined {
  const key = keyOf(channel, payload);
  const answer = prefetched.get(key)?.answer;
  if (!answer) return undefined;
  prefetched.delete(key);
  return answer as Result<Res<C>>;
}

/**
 * The answer of a read started at page start, even when a view already took it: for decisions
 * about the window's start (the shell's first-run check), never for what a view shows.
 */
export function startupAnswer<C extends Channel>(channel: C, payload: Req<C>): Promise<Result<Res<C>>> | undefined {
  return startup.get(keyOf(channel, payload)) as Promise<Result<Res<C>>> | undefined;
}
