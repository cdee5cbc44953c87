import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { BRIDGE_MAX_MESSAGE_BYTES, BRIDGE_PATH, type BridgeServerMessage } from '../../shared/bridge-protocol';
import { IpcErrorCode, fail } from '../../shared/result';
import type { AppContext } from '../context';
import { Router, type Handlers } from '../ipc/router';
import { equalSecrets } from '../util/constant-time';
import { serveStatic } from './static-files';

export interface BridgeOptions {
  /** Built renderer folder (out/renderer). */
  staticDir: string;
  handlers: Handlers;
  /** 0 = a random free port (the default, so no fixed port can be squatted). */
  port?: number;
  /** Also accept pages from these origins (the vite dev server in `npm run dev`). */
  extraOrigins?: string[];
  validateResponses?: boolean;
}

export interface Bridge {
  port: number;
  token: string;
  /** Open this in a browser: the token travels in the fragment, never to a server log. */
  url: string;
  close(): Promise<void>;
}

/**
 * The loopback WebSocket bridge: serves the renderer and carries the IPC contract for
 * dev and tests where no Electron binary exists. Listens on 127.0.0.1 only, checks a
 * per-launch token and the page's Origin, caps messages at 1 MiB.
 */
export async function startBridge(ctx: AppContext, options: BridgeOptions): Promise<Bridge> {
  const token = randomBytes(24).toString('base64url');
  const http = createServer((req, res) => {
    if (!hostAllowed(req, port)) {
      res.writeHead(421, { 'Content-Type': 'text/plain' });
      res.end('Misdirected request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET' });
      res.end();
      return;
    }
    void serveStatic(options.staticDir, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const origins = [`http://127.0.0.1:${port}`, ...(options.extraOrigins ?? [])];
  const router = new Router(options.handlers, { bridgeToken: token, bridgeOrigins: origins }, { validateResponses: options.validateResponses });

  const wss = new WebSocketServer({ noServer: true, maxPayload: BRIDGE_MAX_MESSAGE_BYTES });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const given = url.searchParams.get('token') ?? '';
    const origin = req.headers.origin;
    if (url.pathname !== BRIDGE_PATH || !hostAllowed(req, port)) return reject(socket, 404, 'Not Found');
    if (!equalSecrets(given, token)) return reject(socket, 401, 'Unauthorized');
    if (!origin || !origins.includes(origin)) return reject(socket, 403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req, given, origin));
  });

  wss.on('connection', (ws: WebSocket, _req: IncomingMessage, given: string, origin: string) => {
    // Oversized or broken frames: ws closes the socket (1009/1002); nothing else to do.
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let msg: { type?: unknown; id?: unknown; channel?: unknown; payload?: unknown };
        try {
          if (isBinary) throw new Error('binary');
          msg = JSON.parse(data.toString()) as typeof msg;
        } catch {
          return send(ws, { type: 'result', id: -1, result: fail(IpcErrorCode.invalidPayload, 'The message was not valid JSON.', '') });
        }
        const id = typeof msg.id === 'number' && Number.isSafeInteger(msg.id) ? msg.id : -1;
        if (msg.type !== 'invoke' || id < 0) {
          return send(ws, { type: 'result', id, result: fail(IpcErrorCode.invalidPayload, 'The message was not an invoke request.', '') });
        }
        const result = await router.dispatch(msg.channel, msg.payload, { transport: 'bridge', token: given, origin });
        send(ws, { type: 'result', id, result });
      })();
    });
  });

  const unsubscribe = ctx.events.onAny((name, payload) => {
    const text = JSON.stringify({ type: 'event', name, payload } satisfies BridgeServerMessage);
    for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(text);
  });

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    async close() {
      unsubscribe();
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function send(ws: WebSocket, msg: BridgeServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Refuses requests whose Host is not our loopback address (DNS-rebinding defence). */
function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}
