import type { Duplex } from 'node:stream';

/** What a transport can tell about the process on the other end of a connection. */
export interface ClientInfo {
  transport: 'unix' | 'openssh-pipe' | 'pageant-pipe' | 'pageant-window' | 'test';
  pid?: number;
  uid?: number;
  /** Executable path or name when the OS tells us. */
  exe?: string;
}

/**
 * The protocol engine, independent of how bytes arrive: every transport (Unix socket,
 * Windows pipes, the Pageant window) hands it connections or single framed requests.
 */
export interface AgentConnectionHandler {
  /** Serves a stream connection until it closes (many requests, replies in order). */
  serveStream(stream: Duplex, client: ClientInfo): void;
  /** Answers one complete request frame (uint32 len + body) and returns the reply frame; used by WM_COPYDATA. */
  handleFrame(frame: Buffer, client: ClientInfo): Promise<Buffer>;
}
