import type { Channel, Req, Res } from '../../shared/ipc-contract';
import type { Result } from '../../shared/result';
import { invoke } from '../api';

// Reads asked for twice at once (the shell's first-run check and the keys view, both on
// start) share one request: listing ~/.ssh inspects every key file, so it is worth it.
const inFlight = new Map<string, Promise<Result<unknown>>>();
// Reads started before anyone asked (prefetch, at page start): the first caller takes the
// answer even when it already came back; nobody else gets it, and it is dropped unasked after
// PREFETCH_KEEP_MS, so a later view never sees an old answer.
const prefetched = new Map<string, Promise<Result<unknown>>>();
const PREFETCH_KEEP_MS = 10_000;

const keyOf = (channel: Channel, payload: unknown) => `${channel}\u0000${JSON.stringify(payload)}`;

/** Like invoke(), but a read already on its way with the same payload is joined, not repeated. */
export function invokeShared<C extends Channel>(channel: C, payload: Req<C>): Promise<Result<Res<C>>> {
  const key = keyOf(channel, payload);
  const early = prefetched.get(key);
  if (early) {
    prefetched.delete(key);
    return early as Promise<Result<Res<C>>>;
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
export function prefetch<C extends Channel>(channel: C, payload: Req<C>): void {
  const key = keyOf(channel, payload);
  if (prefetched.has(key) || inFlight.has(key)) return;
  const p = invoke(channel, payload).finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  prefetched.set(key, p);
  window.setTimeout(() => {
    if (prefetched.get(key) === p) prefetched.delete(key);
  }, PREFETCH_KEEP_MS);
}
