import type { Channel, EventName, EventPayload, Req, Res } from '../shared/ipc-contract';
import { BRIDGE_PATH, type BridgeClientMessage, type BridgeServerMessage, type KeydockApiTransport } from '../shared/bridge-protocol';
import type { AppError, Result } from '../shared/result';

// The renderer's only door to main. It speaks the contract through Electron's preload
// (window.keydock) when present, otherwise through the loopback WebSocket bridge.
// Only types come from the contract: zod stays out of the page bundle (its JIT would
// trip the CSP's ban on eval).

export type ConnectionState = 'connecting' | 'open' | 'lost';

export const LOST_CONNECTION_CODE = 'ui-connection-lost';

const lostError: AppError = {
  code: LOST_CONNECTION_CODE,
  message: 'Lost connection to KeyDock.',
  hint: 'KeyDock may have stopped or restarted. This window keeps trying to reconnect; if it does not, start KeyDock again and open the new address it prints.',
};

const noTokenError: AppError = {
  code: 'ui-no-token',
  message: 'This page was opened without its access code.',
  hint: 'Open the full address KeyDock printed (it ends with #token=…), or start KeyDock again.',
};

declare global {
  interface Window {
    keydock?: KeydockApiTransport;
  }
}

/** Reads the bridge token from `#token=…` once and removes it from the address bar. */
function takeTokenFromUrl(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match?.[1]) return null;
  const token = decodeURIComponent(match[1]);
  history.replaceState(null, '', window.location.pathname + window.location.search);
  return token;
}

/**
 * KeydockApiTransport over the loopback WebSocket: invokes are matched to results by id,
 * events fan out to listeners, and a dropped socket is retried with growing delays.
 */
class BridgeTransport implements KeydockApiTransport {
  readonly transport = 'bridge' as const;
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (r: Result<unknown>) => void>();
  private readonly waitingForOpen: Array<() => void> = [];
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private retryDelay = 250;
  private state: ConnectionState = 'connecting';
  private everOpened = false;

  constructor(
    private readonly token: string,
    private readonly onState: (state: ConnectionState, reconnected: boolean) => void,
  ) {
    this.connect();
  }

  private connect(): void {
    const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${protocol}//${window.location.host}${BRIDGE_PATH}?token=${encodeURIComponent(this.token)}`);
    this.socket = ws;
    ws.onopen = () => {
      this.retryDelay = 250;
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.setState('open', reconnected);
      for (const wake of this.waitingForOpen.splice(0)) wake();
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = null;
      for (const [id, resolve] of this.pending) {
        this.pending.delete(id);
        resolve({ ok: false, error: lostError });
      }
      this.setState('lost', false);
      const delay = this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, 8000);
      window.setTimeout(() => this.connect(), delay);
    };
  }

  private setState(state: ConnectionState, reconnected: boolean): void {
    if (this.state === state && !reconnected) return;
    this.state = state;
    this.onState(state, reconnected);
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: BridgeServerMessage;
    try {
      msg = JSON.parse(data) as BridgeServerMessage;
    } catch {
      return;
    }
    if (msg.type === 'result') {
      const resolve = this.pending.get(msg.id);
      if (resolve) {
        this.pending.delete(msg.id);
        resolve(msg.result);
      }
    } else if (msg.type === 'event') {
      for (const listener of this.listeners.get(msg.name) ?? []) listener(msg.payload);
    }
  }

  private waitForOpen(ms: number): Promise<boolean> {
    if (this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = window.setTimeout(() => resolve(false), ms);
      this.waitingForOpen.push(() => {
        window.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async invoke(channel: string, payload: unknown): Promise<Result<unknown>> {
    if (!(await this.waitForOpen(10_000)) || !this.socket) return { ok: false, error: lostError };
    const id = this.nextId++;
    const message: BridgeClientMessage = { type: 'invoke', id, channel, payload };
    const socket = this.socket;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      socket.send(JSON.stringify(message));
    });
  }

  on(event: string, listener: (payload: unknown) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
}

type ConnectionListener = (state: ConnectionState, reconnected: boolean) => void;
const connectionListeners = new Set<ConnectionListener>();
let connectionState: ConnectionState = 'connecting';
let transport: KeydockApiTransport | null = null;
let transportError: AppError | null = null;

function notifyConnection(state: ConnectionState, reconnected: boolean): void {
  connectionState = state;
  for (const l of connectionListeners) l(state, reconnected);
}

function getTransport(): KeydockApiTransport | null {
  if (transport || transportError) return transport;
  if (window.keydock) {
    transport = window.keydock;
    connectionState = 'open';
    return transport;
  }
  const token = takeTokenFromUrl();
  if (!token) {
    transportError = noTokenError;
    connectionState = 'lost';
    return null;
  }
  transport = new BridgeTransport(token, notifyConnection);
  return transport;
}

/** Calls one contract channel; never throws: failures come back as a Result with a hint. */
export async function invoke<C extends Channel>(channel: C, payload: Req<C>): Promise<Result<Res<C>>> {
  const t = getTransport();
  if (!t) return { ok: false, error: transportError ?? lostError };
  try {
    return (await t.invoke(channel, payload)) as Result<Res<C>>;
  } catch (e) {
    return {
      ok: false,
      error: { code: 'ui-invoke-failed', message: `KeyDock could not run that action: ${e instanceof Error ? e.message : String(e)}`, hint: 'Try again.' },
    };
  }
}

/** Subscribes to one contract event; returns the unsubscribe function. */
export function on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  const t = getTransport();
  if (!t) return () => undefined;
  return t.on(event, listener as (payload: unknown) => void);
}

/** Lets the shell show the "lost connection" banner and views refresh after a reconnect. */
export function onConnection(listener: ConnectionListener): () => void {
  getTransport();
  connectionListeners.add(listener);
  return () => connectionListeners.delete(listener);
}

export function currentConnection(): { state: ConnectionState; error: AppError | null } {
  getTransport();
  return { state: connectionState, error: transportError ?? (connectionState === 'lost' ? lostError : null) };
}

/** Electron only: the real path of a dropped file; null in the browser (no paths there). */
export function pathForDroppedFile(file: File): string | null {
  const t = getTransport();
  return t?.pathForFile ? t.pathForFile(file) : null;
}
