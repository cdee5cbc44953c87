import { useCallback, useEffect, useRef, useState } from 'react';
import type { Channel, EventName, EventPayload, Req, Res } from '../../shared/ipc-contract';
import type { AppError } from '../../shared/result';
import { invoke, on, onConnection } from '../api';
import { invokeShared, takePrefetched } from './shared-invoke';

export type Loadable<T> =
  | { status: 'loading'; data: T | null; error: null }
  | { status: 'ready'; data: T; error: null }
  | { status: 'error'; data: T | null; error: AppError };

/** The last answer of each channel read with `keep`, for the next time its view opens. */
const lastAnswers = new Map<string, unknown>();

/**
 * Loads one channel's answer with loading / ready / error states, reloads on demand and
 * after the window reconnects, so every list can show all three states the same way.
 */
export function useChannel<C extends Channel>(channel: C, payload: Req<C>, deps: unknown[] = [], options: { keep?: boolean } = {}) {
  const keepKey = options.keep ? `${channel}\u0000${JSON.stringify(payload)}` : null;
  // keep: a view opened again starts from the last answer (marked loading) while it asks afresh.
  // An answer prefetched at page start that is already in is drawn at once: no first load to run.
  const answeredFirst = useRef(false);
  const [state, setState] = useState<Loadable<Res<C>>>(() => {
    const kept = keepKey ? ((lastAnswers.get(keepKey) as Res<C> | undefined) ?? null) : null;
    const early = takePrefetched(channel, payload);
    if (early) {
      answeredFirst.current = true;
      if (early.ok) return { status: 'ready', data: early.value, error: null };
      return { status: 'error', data: kept, error: early.error };
    }
    return { status: 'loading', data: kept, error: null };
  });
  const payloadRef = useRef(payload);
  payloadRef.current = payload;
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const gen = ++generation.current;
    setState((s) => ({ status: 'loading', data: s.data, error: null }));
    // Only the first load joins a request already on its way; a reload always asks afresh.
    const result = gen === 1 ? await invokeShared(channel, payloadRef.current) : await invoke(channel, payloadRef.current);
    if (gen !== generation.current) return;
    if (result.ok) setState({ status: 'ready', data: result.value, error: null });
    else setState((s) => ({ status: 'error', data: s.data, error: result.error }));
  }, [channel, ...deps]);

  useEffect(() => {
    if (answeredFirst.current) {
      answeredFirst.current = false;
      generation.current = 1;
    } else void reload();
    return onConnection((state, reconnected) => {
      if (state === 'open' && reconnected) void reload();
    });
  }, [reload]);

  useEffect(() => {
    if (keepKey && state.status === 'ready') lastAnswers.set(keepKey, state.data);
  }, [keepKey, state]);

  const set = useCallback((data: Res<C>) => setState({ status: 'ready', data, error: null }), []);
  /** Applies a change to the latest data (safe when several events arrive before a render). */
  const update = useCallback((fn: (data: Res<C>) => Res<C>) => setState((s) => (s.data === null ? s : { status: 'ready', data: fn(s.data), error: null })), []);
  return { ...state, reload, set, update };
}

/** Subscribes to a contract event for the lifetime of a component. */
export function useEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): void {
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => on(event, (p) => ref.current(p)), [event]);
}

/** Runs an action with a busy flag and an inline error, the pattern every button uses. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const run = useCallback(async <T,>(fn: () => Promise<{ ok: true; value: T } | { ok: false; error: AppError }>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      const r = await fn();
      if (r.ok) return r.value;
      setError(r.error);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/** Re-renders every `ms` so countdowns and "expires in…" stay current. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}
