import type { Result } from './result';

/**
 * Messages on the loopback WebSocket bridge (dev/test stand-in for Electron IPC).
 * The page is served at http://127.0.0.1:PORT/#token=T and connects to
 * ws://127.0.0.1:PORT/bridge?token=T; one socket carries invokes, results and events.
 */
export type BridgeClientMessage = { type: 'invoke'; id: number; channel: string; payload: unknown };

export type BridgeServerMessage =
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'event'; name: string; payload: unknown };

export const BRIDGE_PATH = '/bridge';
export const BRIDGE_MAX_MESSAGE_BYTES = 1024 * 1024;

/** What the Electron preload exposes as `window.keydock`; the bridge client offers the same. */
export interface KeydockApiTransport {
  readonly transport: 'electron' | 'bridge';
  invoke(channel: string, payload: unknown): Promise<Result<unknown>>;
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** Electron only: the real path of a dropped File (webUtils.getPathForFile). */
  pathForFile?(file: File): string | null;
}
