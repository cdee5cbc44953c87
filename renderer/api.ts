import type { Channel, EventName, EventPayload, Req, Res } from '../shared/ipc-contract';
import {
  BRIDGE_CLOSE_DENIED,
  BRIDGE_CODE_PARAM,
  BRIDGE_PATH,
  BRIDGE_SESSION_STORAGE_KEY,
  BridgeDenial,
  type BridgeClientMessage,
  type BridgeServerMessage,
  type KeydockApiTransport,
} from '../shared/bridge-protocol';
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
  hint: 'Open the full address KeyDock printed: it ends with #code=… (an address ending with #token=… is from an older KeyDock). Run `keydock ui` again for a new one.',
};

declare global {
  interface Window {
    keydock?: KeydockApiTransport;
  }
}

/** Reads the one-time launch code from `#code=…` once and removes it from the address bar. */
function takeCodeFromUrl(): string | null {
  const match = new RegExp(`(?:^#|&)${BRIDGE_CODE_PARAM}=([^&]+)`).exec(window.location.hash);
  if (!match?.[1]) return null;
  history.replaceState(null, '', window.location.pathname + window.location.search);
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

/** The tab's session token: sessionStorage survives a reload and is copied to tabs opened from this one. */
const sessionStore = {
  get(): string | null {
    try {
      return window.sessionStorage.getItem(BRIDGE_SESSION_STORAGE_KEY);
    } catch {
      return null;
    }
  },
  set(token: string | null): void {
    try {
      if (token) window.sessionStorage.setItem(BRIDGE_SESSION_STORAGE_KEY, token);
      else window.sessionStorage.removeItem(BRIDGE_SESSION_STORAGE_KEY);
    } catch {
      // Storage disabled: this page load still works; a reload will need a new address.
    }
  },
  /**
   * Stores the token once the page is idle: a fresh page's first touch of sessionStorage waits
   * for the browser to load it (~10 ms), and the welcome comes just before the first view's
   * answers. A page left before then (a reload) stores it on the way out.
   */
  setSoon(token: string): void {
    let done = false;
    const store = () => {
      if (done) return;
      done = true;
      window.removeEventListener('pagehide', store);
      sessionStore.set(token);
    };
    window.addEventListener('pagehide', store);
    if (typeof window.requestIdleCallback === 'function') window.requestIdleCallback(store, { timeout: 1000 });
    else window.setTimeout(store, 200);
  },
};

type Credential = { code: string } | { session: string };

/**
 * KeydockApiTransport over the loopback WebSocket: each socket starts with a hello (the
 * one-time launch code the first time, then the session token it was traded for), invokes are
 * matched to results by id, events fan out to listeners, and a dropped socket is retried with
 * growing delays. A refused hello is final: the page shows why and stops retrying.
 */
class BridgeTransport implements KeydockApiTransport {
  readonly transport = 'bridge' as const;
  private socket: WebSocket | null = null;
  /** The socket is open and the hello went out first: requests may follow it (see connect()). */
  private sendable = false;
  private nextId = 1;
  private readonly pending = new Map<number, (r: Result<unknown>) => void>();
  private readonly waitingForOpen: Array<() => void> = [];
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private retryDelay = 250;
  private state: ConnectionState = 'connecting';
  private everOpened = false;
  private deniedWith: AppError | null = null;

  constructor(
    private credential: Credential,
    private readonly onState: (state: ConnectionState, reconnected: boolean) => void,
  ) {
    this.connect();
  }

  /** Why KeyDock refused this page for good, or null. */
  get denial(): AppError | null {
    return this.deniedWith;
  }

  private connect(): void {
    const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${protocol}//${window.location.host}${BRIDGE_PATH}`);
    this.socket = ws;
    this.sendable = false;
    ws.onopen = () => {
      const hello: BridgeClientMessage = { type: 'hello', ...this.credential };
      ws.send(JSON.stringify(hello));
      // Requests go right behind the hello, without waiting a round trip for the welcome: main
      // reads a socket's messages in order and answers none before the hello is accepted; a
      // refused hello closes the socket and every request waiting here gets the reason.
      this.sendable = true;
      for (const wake of this.waitingForOpen.splice(0)) wake();
    };
    ws.onmessage = (ev) => this.receive(ws, ev.data);
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.socket = null;
      this.sendable = false;
      for (const [id, resolve] of this.pending) {
        this.pending.delete(id);
        resolve({ ok: false, error: this.deniedWith ?? lostError });
      }
      if (ev.code === BRIDGE_CLOSE_DENIED && !this.deniedWith) {
        this.deniedWith = { code: BridgeDenial.badHello, message: 'KeyDock refused this page.', hint: 'Open the new address KeyDock printed.' };
      }
      if (this.deniedWith) {
        // Always tell the shell, even when already 'lost': the banner's words change.
        this.state = 'lost';
        this.onState('lost', false);
        for (const wake of this.waitingForOpen.splice(0)) wake();
        return;
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

  private receive(ws: WebSocket, data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: BridgeServerMessage;
    try {
      msg = JSON.parse(data) as BridgeServerMessage;
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    if (msg.type === 'welcome') {
      // The launch code is spent; from now on this tab proves itself with the session token.
      this.credential = { session: msg.session };
      sessionStore.setSoon(msg.session);
      this.retryDelay = 250;
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.setState('open', reconnected);
    } else if (msg.type === 'denied') {
      // A stale session token stays stored: a reload then repeats this message, not "no code".
      this.deniedWith = msg.error;
      ws.close();
    } else if (msg.type === 'result') {
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
    if (this.sendable && this.socket?.readyState === WebSocket.OPEN) return Promise.resolve(true);
    if (this.deniedWith) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = window.setTimeout(() => resolve(false), ms);
      this.waitingForOpen.push(() => {
        window.clearTimeout(timer);
        resolve(this.sendable);
      });
    });
  }

  async invoke(channel: string, payload: unknown): Promise<Result<unknown>> {
    if (!(await this.waitForOpen(10_000)) || !this.socket) return { ok: false, error: this.deniedWith ?? lostError };
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
let bridge: BridgeTransport | null = null;
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
  // A code in the address wins (a new window was asked for); else this tab's session, if any.
  const code = takeCodeFromUrl();
  // Only without a code: a fresh page's first touch of sessionStorage waits for the browser to load it.
  const session = code ? null : sessionStore.get();
  if (!code && !session) {
    transportError = noTokenError;
    connectionState = 'lost';
    return null;
  }
  bridge = new BridgeTransport(code ? { code } : { session: session as string }, notifyConnection);
  transport = bridge;
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
  return { state: connectionState, error: transportError ?? bridge?.denial ?? (connectionState === 'lost' ? lostError : null) };
}

/** Electron only: the real path of a dropped file; null in the browser (no paths there). */
export function pathForDroppedFile(file: File): string | null {
  const t = getTransport();
  return t?.pathForFile ? t.pathForFile(file) : null;
}
