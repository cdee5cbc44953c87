import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createContext, type AppContext } from '../../../main/context';
import { createHandlers } from '../../../main/ipc/handlers';
import { startBridge, type Bridge } from '../../../main/bridge/server';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

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
  bridge = await startBridge(ctx, { staticDir, handlers: createHandlers(ctx) });
});

afterAll(async () => {
  await bridge.close();
  await rm(staticDir, { recursive: true, force: true });
  await home.cleanup();
});

function get(path: string, host = `127.0.0.1:${bridge.port}`): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: bridge.port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a bridge socket and resolves once open, or with the HTTP status it was refused with. */
function connect(options: { token?: string; origin?: string }): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/bridge?token=${encodeURIComponent(options.token ?? '')}`, {
      headers: options.origin ? { Origin: options.origin } : {},
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

function invoke(ws: WebSocket, id: number, channel: string, payload: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString()) as { type: string; id: number };
      if (msg.type === 'result' && msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'invoke', id, channel, payload }));
  });
}

describe('loopback bridge', () => {
  it('listens on 127.0.0.1 and serves the page with a strict CSP', async () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}$/);
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>KeyDock</title>');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('serves nothing outside the renderer folder', async () => {
    expect((await get('/../secret.txt')).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('/missing.js')).status).toBe(404);
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    expect((await get('/', 'evil.example')).status).toBe(421);
  });

  it('refuses sockets without the token or from another origin', async () => {
    const origin = `http://127.0.0.1:${bridge.port}`;
    expect(await connect({ origin })).toBe(401);
    expect(await connect({ token: 'wrong', origin })).toBe(401);
    expect(await connect({ token: bridge.token, origin: 'http://evil.example' })).toBe(403);
    expect(await connect({ token: bridge.token })).toBe(403);
  });

  it('carries invokes, validation errors and events for the right page', async () => {
    const ws = await connect({ token: bridge.token, origin: `http://127.0.0.1:${bridge.port}` });
    expect(ws).toBeInstanceOf(WebSocket);
    const sock = ws as WebSocket;
    const info = (await invoke(sock, 1, 'app:get-info', {})) as { result: { ok: boolean; value: { home: string } } };
    expect(info.result.ok).toBe(true);
    expect(info.result.value.home).toBe(home.dir);

    const bad = (await invoke(sock, 2, 'settings:update-settings', { theme: 'neon' })) as { result: { ok: boolean; error: { code: string } } };
    expect(bad.result).toMatchObject({ ok: false, error: { code: 'ipc-invalid-payload' } });

    const event = new Promise<unknown>((resolve) => sock.on('message', (d) => {
      const msg = JSON.parse(d.toString()) as { type: string; name: string; payload: unknown };
      if (msg.type === 'event' && msg.name === 'settings:changed') resolve(msg.payload);
    }));
    const updated = (await invoke(sock, 3, 'settings:update-settings', { theme: 'dark' })) as { result: { ok: boolean } };
    expect(updated.result.ok).toBe(true);
    expect(await event).toMatchObject({ theme: 'dark' });
    sock.close();
  });

  it('closes a connection that sends more than 1 MiB in one message', async () => {
    const sock = (await connect({ token: bridge.token, origin: `http://127.0.0.1:${bridge.port}` })) as WebSocket;
    const closed = new Promise<number>((resolve) => sock.once('close', (code) => resolve(code)));
    sock.send(JSON.stringify({ type: 'invoke', id: 9, channel: 'app:get-info', payload: { pad: 'x'.repeat(1024 * 1024 + 10) } }));
    expect(await closed).toBe(1009);
  });

  it('answers malformed messages without closing the connection', async () => {
    const sock = (await connect({ token: bridge.token, origin: `http://127.0.0.1:${bridge.port}` })) as WebSocket;
    const reply = new Promise<unknown>((resolve) => sock.once('message', (d) => resolve(JSON.parse(d.toString()))));
    sock.send('{not json');
    expect(await reply).toMatchObject({ type: 'result', id: -1, result: { ok: false, error: { code: 'ipc-invalid-payload' } } });
    const info = (await invoke(sock, 4, 'app:get-info', {})) as { result: { ok: boolean } };
    expect(info.result.ok).toBe(true);
    sock.close();
  });
});
