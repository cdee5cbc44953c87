import type { AppError, Result } from './result';

/**
 * Messages on the loopback WebSocket bridge (dev/test stand-in for Electron IPC).
 *
 * The page is opened at http://127.0.0.1:PORT/#code=C, where C is a ONE-TIME launch code.
 * It connects to ws://127.0.0.1:PORT/bridge (no secret in that address) and its first
 * message is a hello: with the launch code the first time, which the server exchanges for
 * the session token (kept in the tab's sessionStorage), or with that session token after a
 * reload or reconnect. A refused hello gets a `denied` message and the socket is closed
 * with BRIDGE_CLOSE_DENIED. One socket carries invokes, results and events.
 */
export type BridgeClientMessage =
  | { type: 'hello'; code: string }
  | { type: 'hello'; session: string }
  | { type: 'invoke'; id: number; channel: string; payload: unknown };

export type BridgeServerMessage =
  | { type: 'welcome'; session: string }
  | { type: 'denied'; error: AppError }
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'event'; name: string; payload: unknown };

export const BRIDGE_PATH = '/bridge';
export const BRIDGE_MAX_MESSAGE_BYTES = 1024 * 1024;
/** The fragment parameter of a launch address: `#code=…`. */
export const BRIDGE_CODE_PARAM = 'code';
/** Close code after a refused hello: the page must not retry with the same credentials. */
export const BRIDGE_CLOSE_DENIED = 4401;
/** Where the page keeps its session token (per tab, gone when the tab closes). */
export const BRIDGE_SESSION_STORAGE_KEY = 'keydock.bridge.session';

/** Error codes of a refused hello, for the page and for tests. */
export const BridgeDenial = {
  codeUsed: 'ui-code-used',
  codeExpired: 'ui-code-expired',
  codeUnknown: 'ui-code-unknown',
  sessionEnded: 'ui-session-ended',
  badHello: 'ui-bad-hello',
} as const;

/** What the Electron preload exposes as `window.keydock`; the bridge client offers the same. */
export interface KeydockApiTransport {
  readonly transport: 'electron' | 'bridge';
  invoke(channel: string, payload: unknown): Promise<Result<unknown>>;
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** Electron only: the real path of a dropped File (webUtils.getPathForFile). */
  pathForFile?(file: File): string | null;
}
