import WebSocket from 'ws';
import type { BridgeServerMessage } from '../../../shared/bridge-protocol';

// A minimal bridge client for the integration tests: what the page does, without a browser.

/** Opens a bridge socket; resolves once open, or with the HTTP status it was refused with (-1: no answer). */
export function openSocket(port: number, options: { origin?: string | null; host?: string } = {}): Promise<WebSocket | number> {
  const origin = options.origin === undefined ? `http://127.0.0.1:${port}` : options.origin;
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/bridge`, {
      headers: { ...(origin ? { Origin: origin } : {}), ...(options.host ? { Host: options.host } : {}) },
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

/** The next message on the socket, parsed; null when the socket closes first. */
export function nextMessage(ws: WebSocket): Promise<BridgeServerMessage | null> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      ws.off('close', onClose);
      resolve(JSON.parse(data.toString()) as BridgeServerMessage);
    };
    const onClose = () => {
      ws.off('message', onMessage);
      resolve(null);
    };
    ws.once('message', onMessage);
    ws.once('close', onClose);
  });
}

/** Resolves with the close code once the socket is closed. */
export function closed(ws: WebSocket): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

/** Says hello with a launch code or a session token; resolves with the server's answer. */
export async function hello(ws: WebSocket, credential: { code: string } | { session: string }): Promise<BridgeServerMessage | null> {
  const answer = nextMessage(ws);
  ws.send(JSON.stringify({ type: 'hello', ...credential }));
  return answer;
}

export interface Session {
  ws: WebSocket;
  session: string;
}

/** Opens a socket and trades the credential for a session; throws when refused. */
export async function connectSession(port: number, credential: { code: string } | { session: string }, origin?: string): Promise<Session> {
  const ws = await openSocket(port, { origin });
  if (typeof ws === 'number') throw new Error(`the bridge refused the socket with ${ws}`);
  const answer = await hello(ws, credential);
  if (answer?.type !== 'welcome') throw new Error(`the bridge refused the hello: ${JSON.stringify(answer)}`);
  return { ws, session: answer.session };
}

/** Sends one invoke and resolves with its result message. */
export function invoke(ws: WebSocket, id: number, channel: string, payload: unknown): Promise<{ type: 'result'; id: number; result: { ok: boolean; value?: unknown; error?: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString()) as { type: string; id: number };
      if (msg.type === 'result' && msg.id === id) {
        ws.off('message', onMessage);
        ws.off('close', onClose);
        resolve(msg as never);
      }
    };
    const onClose = (code: number) => {
      ws.off('message', onMessage);
      reject(new Error(`the socket closed (${code}) before the answer to ${id}`));
    };
    ws.on('message', onMessage);
    ws.once('close', onClose);
    ws.send(JSON.stringify({ type: 'invoke', id, channel, payload }));
  });
}
