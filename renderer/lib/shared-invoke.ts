import type { Channel, Req, Res } from '../../shared/ipc-contract';
import type { Result } from '../../shared/result';
import { invoke } from '../api';

// Reads asked for twice at once (the shell's first-run check and the keys view, both on
// start) share one request: listing ~/.ssh inspects every key file, so it is worth it.
const inFlight = new Map<string, Promise<Result<unknown>>>();

/** Like invoke(), but a read already on its way with the same payload is joined, not repeated. */
export function invokeShared<C extends Channel>(channel: C, payload: Req<C>): Promise<Result<Res<C>>> {
  const key = `${channel}\u0000${JSON.stringify(payload)}`;
  const pending = inFlight.get(key);
  if (pending) return pending as Promise<Result<Res<C>>>;
  const p = invoke(channel, payload).finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}
