import { mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { BRIDGE_CLOSE_DENIED, BridgeDenial } from '../../../shared/bridge-protocol';
import { createContext, type AppContext } from '../../../main/context';
import { createHandlers } from '../../../main/ipc/handlers';
import { startBridge, type Bridge } from '../../../main/bridge/server';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { closed, connectSession, hello, invoke, nextMessage, openSocket } from './client';

const APP_ICON = join(__dirname, '../../../build/icons/32x32.png');

let home: TmpHome;
let staticDir: string;
let ctx: AppContext;
let bridge: Bridge;

beforeAll(async () => {
  home = await makeTmpHome();
  staticDir = await mkdtemp(join(tmpdir(), 'keydock-static-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>KeyDock</title>');
  await writeFile(join(home.dir, 'secret.txt'), 'do not serve me');
  ctx = createContext({ env: home.env, transport: 'bridge' });
  bridge = await startBridge(ctx, { staticDir, handlers: createHandlers(ctx), faviconFile: APP_ICON });
});

afterAll(async () => {
  await bridge.close();
  await rm(staticDir, { recursive: true, force: true });
  await home.cleanup();
});

function get(path: string, host = `127.0.0.1:${bridge.port}`, port = bridge.port): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('loopback bridge', () => {
  it('listens on 127.0.0.1 and serves the page with a strict CSP', async () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>KeyDock</title>');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('lets the browser keep hashed assets (code cache), never the page or other files', async () => {
    await mkdir(join(staticDir, 'assets'), { recursive: true });
    await writeFile(join(staticDir, 'assets', 'index-BEGu5mLU.js'), 'export {};');
    await writeFile(join(staticDir, 'assets', 'plain.js'), 'export {};');
    expect((await get('/assets/index-BEGu5mLU.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/assets/plain.js')).headers['cache-control']).toBe('no-store');
    expect((await get('/')).headers['cache-control']).toBe('no-store');
    expect((await get('/index.html')).headers['cache-control']).toBe('no-store');
  });

  it('serves nothing outside the renderer folder', async () => {
    expect((await get('/../secret.txt')).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('/missing.js')).status).toBe(404);
  });

  it('answers /favicon.ico with the app icon, not a 404', async () => {
    const res = await get('/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const bare = await startBridge(ctx, { staticDir, handlers: createHandlers(ctx) });
    try {
      expect((await get('/favicon.ico', `127.0.0.1:${bare.port}`, bare.port)).status).toBe(204);
    } finally {
      await bare.close();
    }
  });

  it('refuses requests addressed to another host name (DNS rebinding) but takes localhost', async () => {
    expect((await get('/', 'evil.example')).status).toBe(421);
    expect((await get('/', `evil.example:${bridge.port}`)).status).toBe(421);
    expect((await get('/', `localhost:${bridge.port}`)).status).toBe(200);
    expect(await openSocket(bridge.port, { host: `evil.example:${bridge.port}` })).toBe(404);
  });

  it('accepts sockets only from its own page, by 127.0.0.1 or localhost', async () => {
    expect(await openSocket(bridge.port, { origin: 'http://evil.example' })).toBe(403);
    expect(await openSocket(bridge.port, { origin: `http://localhost.evil.example:${bridge.port}` })).toBe(403);
    expect(await openSocket(bridge.port, { origin: null })).toBe(403);
    for (const origin of [`http://127.0.0.1:${bridge.port}`, `http://localhost:${bridge.port}`]) {
      const { ws } = await connectSession(bridge.port, { code: bridge.issueLaunchCode().code }, origin);
      expect((await invoke(ws, 1, 'app:get-info', {})).result.ok).toBe(true);
      ws.close();
    }
  });

  it('puts no secret in the address it serves and a one-time code in a launch address', () => {
    const a = bridge.issueLaunchCode();
    const b = bridge.issueLaunchCode();
    expect(a.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#code=[A-Za-z0-9_-]{43}$/);
    expect(a.url).toBe(`${bridge.url}#code=${a.code}`);
    expect(a.code).not.toBe(b.code);
  });

  it('trades a launch code once for a session token; a replayed code is refused with words', async () => {
    const launch = bridge.issueLaunchCode();
    const first = await connectSession(bridge.port, { code: launch.code });
    expect(await launch.settled).toBe(true);
    expect(first.session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.session).not.toBe(launch.code);

    const again = (await openSocket(bridge.port)) as WebSocket;
    const closing = closed(again);
    const answer = await hello(again, { code: launch.code });
    expect(answer).toMatchObject({ type: 'denied', error: { code: BridgeDenial.codeUsed } });
    expect((answer as { error: { message: string; hint: string } }).error.message).toMatch(/already used/);
    expect(await closing).toBe(BRIDGE_CLOSE_DENIED);

    // A code this bridge never gave out, and a wrong session token.
    const strange = (await openSocket(bridge.port)) as WebSocket;
    expect(await hello(strange, { code: 'x'.repeat(43) })).toMatchObject({ type: 'denied', error: { code: BridgeDenial.codeUnknown } });
    const stale = (await openSocket(bridge.port)) as WebSocket;
    expect(await hello(stale, { session: 'y'.repeat(43) })).toMatchObject({ type: 'denied', error: { code: BridgeDenial.sessionEnded } });

    // The first page keeps working, and a reload (a new socket with the session token) too.
    expect((await invoke(first.ws, 1, 'app:get-info', {})).result.ok).toBe(true);
    const reloaded = await connectSession(bridge.port, { session: first.session });
    expect(reloaded.session).toBe(first.session);
    expect((await invoke(reloaded.ws, 2, 'app:get-info', {})).result.ok).toBe(true);
    first.ws.close();
    reloaded.ws.close();
  });

  it('refuses an expired code with its own message', async () => {
    const quick = await startBridge(ctx, { staticDir, handlers: createHandlers(ctx), launchCodeLifetimeMs: 50 });
    try {
      const launch = quick.issueLaunchCode();
      expect(await launch.settled).toBe(false);
      const ws = (await openSocket(quick.port)) as WebSocket;
      expect(await hello(ws, { code: launch.code })).toMatchObject({ type: 'denied', error: { code: BridgeDenial.codeExpired } });
    } finally {
      await quick.close();
    }
  });

  it('after a restart, the old session token is refused with a clear message', async () => {
    const before = await startBridge(ctx, { staticDir, handlers: createHandlers(ctx) });
    const { ws, session } = await connectSession(before.port, { code: before.issueLaunchCode().code });
    const pending = before.issueLaunchCode();
    const port = before.port;
    await before.close();
    expect(await pending.settled).toBe(false);
    expect(await closed(ws)).not.toBe(BRIDGE_CLOSE_DENIED);
    const after = await startBridge(ctx, { staticDir, handlers: createHandlers(ctx), port });
    try {
      const sock = (await openSocket(port)) as WebSocket;
      const answer = await hello(sock, { session });
      expect(answer).toMatchObject({ type: 'denied', error: { code: BridgeDenial.sessionEnded } });
      expect((answer as { error: { message: string } }).error.message).toMatch(/restarted/);
    } finally {
      await after.close();
    }
  });

  it('ends a socket that does anything before its hello, and sends it no events', async () => {
    for (const first of ['{"type":"invoke","id":1,"channel":"app:get-info","payload":{}}', 'null', '{not json', '{"type":"hello"}', '{"type":"hello","code":"a","session":"b"}']) {
      const ws = (await openSocket(bridge.port)) as WebSocket;
      const answer = nextMessage(ws);
      ws.send(first);
      expect(await answer, first).toMatchObject({ type: 'denied' });
      expect(await closed(ws)).toBe(BRIDGE_CLOSE_DENIED);
    }
    const silent = (await openSocket(bridge.port)) as WebSocket;
    const got: string[] = [];
    silent.on('message', (d) => got.push(d.toString()));
    const { ws } = await connectSession(bridge.port, { code: bridge.issueLaunchCode().code });
    expect((await invoke(ws, 1, 'settings:update-settings', { theme: 'light' })).result.ok).toBe(true);
    expect(got).toEqual([]);
    silent.close();
    ws.close();
  });

  it('carries invokes, validation errors and events for the right page', async () => {
    const { ws: sock } = await connectSession(bridge.port, { code: bridge.issueLaunchCode().code });
    const info = (await invoke(sock, 1, 'app:get-info', {})) as { result: { ok: boolean; value: { home: string } } };
    expect(info.result.ok).toBe(true);
    expect(info.result.value.home).toBe(home.dir);

    const bad = await invoke(sock, 2, 'settings:update-settings', { theme: 'neon' });
    expect(bad.result).toMatchObject({ ok: false, error: { code: 'ipc-invalid-payload' } });

    const event = new Promise<unknown>((resolve) => sock.on('message', (d) => {
      const msg = JSON.parse(d.toString()) as { type: string; name: string; payload: unknown };
      if (msg.type === 'event' && msg.name === 'settings:changed') resolve(msg.payload);
    }));
    const updated = await invoke(sock, 3, 'settings:update-settings', { theme: 'dark' });
    expect(updated.result.ok).toBe(true);
    expect(await event).toMatchObject({ theme: 'dark' });
    sock.close();
  });

  it('closes a connection that sends more than 1 MiB in one message', async () => {
    const { ws: sock } = await connectSession(bridge.port, { code: bridge.issueLaunchCode().code });
    const closing = closed(sock);
    sock.send(JSON.stringify({ type: 'invoke', id: 9, channel: 'app:get-info', payload: { pad: 'x'.repeat(1024 * 1024 + 10) } }));
    expect(await closing).toBe(1009);
  });

  it('answers malformed messages, null and other non-objects without closing the connection', async () => {
    const { ws: sock } = await connectSession(bridge.port, { code: bridge.issueLaunchCode().code });
    for (const text of ['{not json', 'null', '[]', '42', '"invoke"', 'true', '{"type":"invoke","id":"1"}', '{"type":"hello","code":"again"}']) {
      const reply = nextMessage(sock);
      sock.send(text);
      expect(await reply, text).toMatchObject({ type: 'result', id: -1, result: { ok: false, error: { code: 'ipc-invalid-payload' } } });
    }
    const odd = await invoke(sock, 5, { toString: 1, valueOf: 1 } as never, {});
    expect(odd.result).toMatchObject({ ok: false, error: { code: 'ipc-unknown-channel' } });
    const info = await invoke(sock, 4, 'app:get-info', {});
    expect(info.result.ok).toBe(true);
    sock.close();
  });
});
