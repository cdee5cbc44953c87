import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  BRIDGE_CLOSE_DENIED,
  BRIDGE_CODE_PARAM,
  BRIDGE_MAX_MESSAGE_BYTES,
  BRIDGE_PATH,
  BridgeDenial,
  type BridgeServerMessage,
} from '../../shared/bridge-protocol';
import { IpcErrorCode, fail, type AppError } from '../../shared/result';
import type { AppContext } from '../context';
import { Router, type Handlers } from '../ipc/router';
import { equalSecrets } from '../util/constant-time';
import { CONTENT_SECURITY_POLICY, serveStatic } from './static-files';

export interface BridgeOptions {
  /** Built renderer folder (out/renderer). */
  staticDir: string;
  handlers: Handlers;
  /** 0 = a random free port (the default, so no fixed port can be squatted). */
  port?: number;
  /** Also accept pages from these origins (the vite dev server in `npm run dev`). */
  extraOrigins?: string[];
  validateResponses?: boolean;
  /** The app icon, served at /favicon.ico when the renderer folder has none (else 204). */
  faviconFile?: string;
  /** How long a launch code stays valid when nobody uses it (default 10 minutes). */
  launchCodeLifetimeMs?: number;
}

/** A one-time launch address: it opens one page, once. */
export interface LaunchCode {
  /** http://127.0.0.1:PORT/#code=C */
  url: string;
  code: string;
  /** True once a page redeemed the code; false when it expired or the bridge closed first. */
  settled: Promise<boolean>;
}

export interface Bridge {
  port: number;
  /** The page's address without any secret: opening it alone gives no access. */
  url: string;
  /** Mints a fresh one-time launch address (see LaunchCode). */
  issueLaunchCode(): LaunchCode;
  close(): Promise<void>;
}

const DEFAULT_CODE_LIFETIME_MS = 10 * 60_000;
/** A page has this long after connecting to say hello before the socket is closed. */
const HELLO_TIMEOUT_MS = 10_000;
/** Sockets that have not said hello yet; more are refused (no one can pile them up). */
const MAX_UNAUTHENTICATED = 32;
/** Remembered used/expired codes (by hash), so a replay gets a precise message. */
const MAX_SPENT = 256;
const MAX_CREDENTIAL_LENGTH = 256;

type Spent = 'used' | 'expired';

/**
 * The loopback WebSocket bridge: serves the renderer and carries the IPC contract where no
 * Electron binary exists. Listens on 127.0.0.1 only and checks the Host and Origin of every
 * request (DNS-rebinding defence). No secret ever travels in a command line: a page gets a
 * one-time launch code, trades it on its first socket for the session token, and keeps that
 * token in sessionStorage for reloads. Messages are capped at 1 MiB; any frame, any JSON
 * value gets an error reply or a close, never an exception.
 */
export async function startBridge(ctx: AppContext, options: BridgeOptions): Promise<Bridge> {
  const sessionToken = randomBytes(32).toString('base64url');
  const codeLifetime = options.launchCodeLifetimeMs ?? DEFAULT_CODE_LIFETIME_MS;
  /** Live codes by SHA-256, so looking one up reveals nothing through timing. */
  const codes = new Map<string, { timer: NodeJS.Timeout; settle: (used: boolean) => void }>();
  const spent = new Map<string, Spent>();
  const authenticated = new Set<WebSocket>();
  let unauthenticated = 0;
  let closed = false;

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
    if (new URL(req.url ?? '/', 'http://x').pathname === '/favicon.ico') {
      void serveFavicon(options, req, res);
      return;
    }
    void serveStatic(options.staticDir, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const origins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`, ...(options.extraOrigins ?? [])];
  const router = new Router(options.handlers, { bridgeToken: sessionToken, bridgeOrigins: origins }, { validateResponses: options.validateResponses });

  const markSpent = (hash: string, how: Spent) => {
    spent.set(hash, how);
    if (spent.size > MAX_SPENT) spent.delete(spent.keys().next().value as string);
  };

  /** Redeems a launch code: null when it was good (and is now spent), else why not. */
  const redeem = (code: string): AppError | null => {
    const hash = sha256(code);
    const live = codes.get(hash);
    if (live) {
      codes.delete(hash);
      clearTimeout(live.timer);
      markSpent(hash, 'used');
      live.settle(true);
      return null;
    }
    switch (spent.get(hash)) {
      case 'used':
        return {
          code: BridgeDenial.codeUsed,
          message: 'This address was already used: each address KeyDock gives out opens one window, once.',
          hint: 'Use the KeyDock window that is already open, or get a new address: press Enter in the terminal running `keydock ui`, or start it again.',
        };
      case 'expired':
        return {
          code: BridgeDenial.codeExpired,
          message: 'This address has expired: an address KeyDock gives out works for a few minutes only.',
          hint: 'Get a new address: press Enter in the terminal running `keydock ui`, or start it again.',
        };
      default:
        return {
          code: BridgeDenial.codeUnknown,
          message: 'This address is not from the KeyDock that is running now (KeyDock was probably restarted).',
          hint: 'Open the new address KeyDock printed when it started.',
        };
    }
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: BRIDGE_MAX_MESSAGE_BYTES });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://x');
    const origin = req.headers.origin;
    if (url.pathname !== BRIDGE_PATH || !hostAllowed(req, port)) return reject(socket, 404, 'Not Found');
    if (!origin || !origins.includes(origin)) return reject(socket, 403, 'Forbidden');
    if (closed || unauthenticated >= MAX_UNAUTHENTICATED) return reject(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req, origin));
  });

  wss.on('connection', (ws: WebSocket, _req: IncomingMessage, origin: string) => {
    let session: string | null = null;
    let refused = false;
    unauthenticated++;
    let helloTimer: NodeJS.Timeout | null = setTimeout(() => {
      refuse({ code: BridgeDenial.badHello, message: 'The page did not identify itself in time.', hint: 'Reload the page.' });
    }, HELLO_TIMEOUT_MS);
    helloTimer.unref();
    const leaveUnauthenticated = () => {
      if (helloTimer) {
        clearTimeout(helloTimer);
        helloTimer = null;
        unauthenticated--;
      }
    };
    /** After a refusal nothing more is read from this socket, not even a good hello. */
    const refuse = (error: AppError) => {
      refused = true;
      leaveUnauthenticated();
      deny(ws, error);
    };

    // Oversized or broken frames: ws closes the socket (1009/1002); nothing else to do.
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      leaveUnauthenticated();
      authenticated.delete(ws);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (refused) return;
      const msg = parseMessage(data, isBinary);
      if (session === null) {
        // Until the hello is accepted, anything else ends the connection.
        if (!msg || msg.type !== 'hello') {
          return refuse({ code: BridgeDenial.badHello, message: 'The page did not identify itself.', hint: 'Reload the page.' });
        }
        const denial = hello(msg);
        if (denial) return refuse(denial);
        leaveUnauthenticated();
        session = sessionToken;
        authenticated.add(ws);
        return send(ws, { type: 'welcome', session: sessionToken });
      }
      if (!msg) return send(ws, { type: 'result', id: -1, result: fail(IpcErrorCode.invalidPayload, 'The message was not a JSON object.', '') });
      const id = typeof msg.id === 'number' && Number.isSafeInteger(msg.id) && msg.id >= 0 ? msg.id : -1;
      if (msg.type !== 'invoke' || id < 0) {
        return send(ws, { type: 'result', id, result: fail(IpcErrorCode.invalidPayload, 'The message was not an invoke request.', '') });
      }
      const given = session;
      void (async () => {
        let result;
        try {
          result = await router.dispatch(msg.channel, msg.payload, { transport: 'bridge', token: given, origin });
        } catch {
          result = fail(IpcErrorCode.invalidPayload, 'KeyDock could not read that request.', '');
        }
        send(ws, { type: 'result', id, result });
      })().catch(() => ws.terminate());
    });
  });

  /** Checks a hello: a live launch code or the session token. Null = accepted. */
  function hello(msg: Record<string, unknown>): AppError | null {
    const { code, session } = msg;
    const valid = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_CREDENTIAL_LENGTH;
    if (valid(code) && session === undefined) return redeem(code);
    if (valid(session) && code === undefined) {
      if (equalSecrets(session, sessionToken)) return null;
      return {
        code: BridgeDenial.sessionEnded,
        message: 'This window’s session with KeyDock has ended: KeyDock was restarted.',
        hint: 'Open the new address KeyDock printed when it started.',
      };
    }
    return { code: BridgeDenial.badHello, message: 'The page did not identify itself properly.', hint: 'Reload the page.' };
  }

  const unsubscribe = ctx.events.onAny((name, payload) => {
    const text = JSON.stringify({ type: 'event', name, payload } satisfies BridgeServerMessage);
    for (const client of authenticated) if (client.readyState === client.OPEN) client.send(text);
  });

  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    issueLaunchCode() {
      const code = randomBytes(32).toString('base64url');
      const hash = sha256(code);
      let settle: (used: boolean) => void = () => undefined;
      const settled = new Promise<boolean>((resolve) => (settle = resolve));
      if (closed) {
        settle(false);
      } else {
        const timer = setTimeout(() => {
          codes.delete(hash);
          markSpent(hash, 'expired');
          settle(false);
        }, codeLifetime);
        timer.unref();
        codes.set(hash, { timer, settle });
      }
      return { code, url: `http://127.0.0.1:${port}/#${BRIDGE_CODE_PARAM}=${code}`, settled };
    },
    async close() {
      closed = true;
      unsubscribe();
      for (const [, live] of codes) {
        clearTimeout(live.timer);
        live.settle(false);
      }
      codes.clear();
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** The frame as a JSON object, or null for binary frames, bad JSON and non-objects (null, arrays, …). */
function parseMessage(data: RawData, isBinary: boolean): Record<string, unknown> | null {
  if (isBinary) return null;
  try {
    const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as Buffer).toString();
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function send(ws: WebSocket, msg: BridgeServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
}

/** Tells the page why, then closes; the page stops retrying on this close code. */
function deny(ws: WebSocket, error: AppError): void {
  send(ws, { type: 'denied', error });
  if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(BRIDGE_CLOSE_DENIED, 'denied');
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Accepts only requests addressed to our loopback port by name or number (DNS-rebinding defence). */
function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** The renderer's own favicon.ico if it has one, else the app icon, else 204 (never a 404). */
async function serveFavicon(options: BridgeOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const own = await readFile(join(options.staticDir, 'favicon.ico')).catch(() => null);
  if (own) return void serveStatic(options.staticDir, req, res);
  const icon = options.faviconFile ? await readFile(options.faviconFile).catch(() => null) : null;
  if (!icon) {
    res.writeHead(204, { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  res.writeHead(200, {
    'Content-Type': icon.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])) ? 'image/png' : 'image/x-icon',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  res.end(req.method === 'HEAD' ? undefined : icon);
}
