import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createContext, disposeContext, type AppContext } from '../../../main/context';
import { createHandlers } from '../../../main/ipc/handlers';
import { startBridge, type Bridge } from '../../../main/bridge/server';
import { BRIDGE_CLOSE_DENIED, BRIDGE_MAX_MESSAGE_BYTES } from '../../../shared/bridge-protocol';
import { mulberry32 } from '../../support/prng';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { connectSession, invoke, openSocket, type Session } from './client';

// The bridge under a seeded stream of hostile frames: random JSON values (null, arrays,
// numbers…), invokes of the wrong shape, hellos with junk, strings up to the 1 MiB cap and
// past it, binary frames, invalid UTF-8, fragments and raw bytes that break the framing, from
// clients with and without a session. Every frame must get an error reply or a close, and a
// well-formed client must be served throughout. Seeded: a failure names its seed and replays.
const SEED = Number(process.env.KEYDOCK_FUZZ_SEED ?? 0xb1d6e);
const CONNECTIONS = 250;
const FRAMES_PER_CONNECTION = 20;

/** Channels whose handlers only read (or write settings in the temp HOME): safe to feed junk. */
const CHANNELS = ['app:get-info', 'settings:get-settings', 'settings:update-settings', 'agent:list-agents', 'agent:list-identities', 'server:get-status', 'server:list-activity', 'keys:list-files', 'tester:list-presets'];
const KEYS = ['type', 'id', 'channel', 'payload', 'code', 'session', '__proto__', 'constructor', 'toString', 'valueOf', 'then', 'theme', 'path', ''];
/** Close codes a fuzz client may see: normal, closed by us (1005), protocol error, bad UTF-8, too big, refused hello, cut off. */
const ALLOWED_CLOSES = new Set([1000, 1002, 1005, 1006, 1007, 1009, BRIDGE_CLOSE_DENIED]);

type Rand = () => number;
const pick = <T,>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const int = (rand: Rand, n: number) => Math.floor(rand() * n);

function randomString(rand: Rand, max = 40): string {
  const alphabets = ['abcdefghijklmnopqrstuvwxyz:-_', '\u0000\u0001\u001f"\\/\n\t', 'äöü€𝄞\ud800\udfff', '0123456789.eE+-'];
  const alphabet = pick(rand, alphabets);
  let s = '';
  for (let i = int(rand, max); i > 0; i--) s += alphabet[int(rand, alphabet.length)];
  return s;
}

function randomScalar(rand: Rand): unknown {
  return pick(rand, [
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -1,
    () => 2 ** 53,
    () => 1e308,
    () => -0.5,
    () => int(rand, 1000),
    () => '',
    () => randomString(rand),
    () => pick(rand, CHANNELS),
    () => pick(rand, ['invoke', 'hello', 'result', 'event', 'welcome', 'denied']),
  ])();
}

function randomJson(rand: Rand, depth = 0): unknown {
  const r = rand();
  if (depth >= 4 || r < 0.5) return randomScalar(rand);
  if (r < 0.7) return Array.from({ length: int(rand, 5) }, () => randomJson(rand, depth + 1));
  const obj: Record<string, unknown> = {};
  for (let i = int(rand, 6); i > 0; i--) {
    // Own "__proto__" keys as JSON.parse makes them, not a prototype change here.
    Object.defineProperty(obj, rand() < 0.8 ? pick(rand, KEYS) : randomString(rand, 8), { value: randomJson(rand, depth + 1), enumerable: true, configurable: true, writable: true });
  }
  return obj;
}

/** An invoke with one or more fields wrong (or all right, with a junk payload). */
function invokeShape(rand: Rand): unknown {
  const msg: Record<string, unknown> = {
    type: rand() < 0.8 ? 'invoke' : randomScalar(rand),
    id: rand() < 0.7 ? int(rand, 1_000_000) : randomJson(rand, 3),
    channel: rand() < 0.7 ? pick(rand, CHANNELS) : rand() < 0.5 ? randomString(rand) : randomJson(rand, 2),
    payload: rand() < 0.3 ? {} : randomJson(rand, 1),
  };
  if (rand() < 0.2) delete msg[pick(rand, ['type', 'id', 'channel', 'payload'])];
  return msg;
}

type Frame =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; data: Buffer }
  | { kind: 'bad-utf8' }
  | { kind: 'fragments'; parts: string[] }
  | { kind: 'raw'; data: Buffer };

function randomFrame(rand: Rand): Frame {
  const r = rand();
  if (r < 0.3) return { kind: 'text', text: JSON.stringify(invokeShape(rand)) };
  if (r < 0.55) return { kind: 'text', text: JSON.stringify(randomJson(rand)) ?? 'null' };
  if (r < 0.65) return { kind: 'text', text: JSON.stringify({ type: 'hello', ...(rand() < 0.5 ? { code: randomJson(rand, 3) } : { session: randomJson(rand, 3) }) }) };
  if (r < 0.72) return { kind: 'text', text: randomString(rand, 60) };
  if (r < 0.8) return { kind: 'binary', data: Buffer.from(Array.from({ length: int(rand, 64) }, () => int(rand, 256))) };
  if (r < 0.85) {
    const text = JSON.stringify(invokeShape(rand));
    const cut = int(rand, text.length);
    return { kind: 'fragments', parts: [text.slice(0, cut), text.slice(cut)] };
  }
  if (r < 0.89) {
    // A big string just inside the cap, or just past it (that one must close with 1009).
    const room = BRIDGE_MAX_MESSAGE_BYTES - 100;
    const size = rand() < 0.8 ? room - int(rand, 1000) : BRIDGE_MAX_MESSAGE_BYTES + int(rand, 1000);
    return { kind: 'text', text: JSON.stringify({ type: 'invoke', id: 1, channel: pick(rand, CHANNELS), payload: { theme: 'x'.repeat(size) } }) };
  }
  if (r < 0.92) return { kind: 'bad-utf8' };
  if (r < 0.94) return { kind: 'raw', data: Buffer.from(Array.from({ length: 1 + int(rand, 32) }, () => int(rand, 256))) };
  // A burst: the same valid-looking request many times without waiting.
  return { kind: 'text', text: JSON.stringify({ type: 'invoke', id: int(rand, 100), channel: pick(rand, CHANNELS), payload: {} }) };
}

function sendFrame(ws: WebSocket, frame: Frame): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  switch (frame.kind) {
    case 'text':
      return ws.send(frame.text);
    case 'binary':
      return ws.send(frame.data, { binary: true });
    case 'bad-utf8':
      return ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    case 'fragments':
      ws.send(frame.parts[0] ?? '', { fin: false });
      return ws.send(frame.parts[1] ?? '', { fin: true });
    case 'raw':
      // Bytes straight onto the TCP stream, outside any frame: the server must call it a protocol error.
      (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(frame.data);
      return;
  }
}

/** Every message the server sends must be one of the protocol's shapes. */
function checkServerMessage(text: string): string | null {
  let msg: Record<string, unknown>;
  try {
    msg = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `not JSON: ${text.slice(0, 80)}`;
  }
  if (typeof msg !== 'object' || msg === null) return `not an object: ${text.slice(0, 80)}`;
  switch (msg.type) {
    case 'result': {
      const result = msg.result as { ok?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
      if (typeof msg.id !== 'number' || msg.id < -1) return `bad id: ${text.slice(0, 80)}`;
      if (typeof result?.ok !== 'boolean') return `bad result: ${text.slice(0, 80)}`;
      if (!result.ok && (typeof result.error?.code !== 'string' || typeof result.error.message !== 'string')) return `error without words: ${text.slice(0, 80)}`;
      return null;
    }
    case 'welcome':
    case 'denied':
    case 'event':
      return null;
    default:
      return `unknown message: ${text.slice(0, 80)}`;
  }
}

describe(`bridge protocol fuzz (seed ${SEED})`, () => {
  let home: TmpHome;
  let staticDir: string;
  let ctx: AppContext;
  let bridge: Bridge;
  const crashes: unknown[] = [];
  const onCrash = (e: unknown) => crashes.push(e);

  beforeAll(async () => {
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtException', onCrash);
    home = await makeTmpHome('keydock-bridge-fuzz-');
    staticDir = await mkdtemp(join(tmpdir(), 'keydock-static-'));
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>KeyDock</title>');
    ctx = createContext({ env: home.env, transport: 'bridge' });
    bridge = await startBridge(ctx, { staticDir, handlers: createHandlers(ctx), validateResponses: true });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
    await bridge?.close();
    await disposeContext(ctx);
    await rm(staticDir, { recursive: true, force: true });
    await home?.cleanup();
  });

  it('answers or closes on every frame and keeps serving a well-formed client', { timeout: 240_000 }, async () => {
    const rand = mulberry32(SEED);
    const good: Session = await connectSession(bridge.port, { code: bridge.issueLaunchCode().code });
    let goodClosed = false;
    good.ws.on('close', () => (goodClosed = true));
    let goodId = 1;
    const problems: string[] = [];
    let framesSent = 0;
    let answered = 0;
    const closes = new Map<number, number>();

    for (let c = 0; c < CONNECTIONS; c++) {
      const withSession = rand() < 0.7;
      const where = `seed ${SEED}, connection ${c}`;
      let ws: WebSocket;
      if (withSession) {
        ({ ws } = await connectSession(bridge.port, rand() < 0.5 ? { code: bridge.issueLaunchCode().code } : { session: good.session }));
      } else {
        const opened = await openSocket(bridge.port);
        if (typeof opened === 'number') throw new Error(`${where}: socket refused with ${opened}`);
        ws = opened;
      }
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.on('error', () => undefined);
      ws.on('message', (data) => {
        answered++;
        const problem = checkServerMessage(data.toString());
        if (problem) problems.push(`${where}: ${problem}`);
      });
      const frames = int(rand, FRAMES_PER_CONNECTION) + 1;
      for (let f = 0; f < frames && ws.readyState === WebSocket.OPEN; f++) {
        const frame = randomFrame(rand);
        const repeat = frame.kind === 'text' && frame.text.length < 200 && rand() < 0.05 ? 20 : 1;
        for (let i = 0; i < repeat; i++) sendFrame(ws, frame);
        framesSent += repeat;
        if (rand() < 0.3) await new Promise((resolve) => setImmediate(resolve));
      }
      // Still open: it must still answer (a probe after all the junk); else it must have closed cleanly.
      if (ws.readyState === WebSocket.OPEN && withSession) {
        const probe = await Promise.race([invoke(ws, 999_999_999, 'app:get-info', {}).then((m) => m.result.ok), closed.then(() => 'closed' as const)]).catch(() => 'closed' as const);
        if (probe === false) problems.push(`${where}: the probe failed on a live connection`);
      }
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      const code = await closed;
      closes.set(code, (closes.get(code) ?? 0) + 1);
      if (!ALLOWED_CLOSES.has(code)) problems.push(`${where}: closed with ${code}`);

      // The well-formed client is served between every two fuzz connections.
      const info = await invoke(good.ws, goodId++, 'app:get-info', {});
      if (!info.result.ok) problems.push(`${where}: the well-formed client got ${JSON.stringify(info.result)}`);
    }

    console.log(`bridge fuzz: ${framesSent} frames, ${answered} answers, closes ${JSON.stringify([...closes])}`);
    expect(problems.slice(0, 20)).toEqual([]);
    expect(crashes).toEqual([]);
    expect(goodClosed).toBe(false);
    // The run really exercised the bridge: thousands of frames, most answered, every close kind seen.
    expect(framesSent).toBeGreaterThan(2000);
    expect(answered).toBeGreaterThan(500);
    for (const code of [1005, 1002, 1007, 1009, BRIDGE_CLOSE_DENIED]) expect(closes.get(code) ?? 0, `close ${code} in ${JSON.stringify([...closes])}`).toBeGreaterThan(0);
    // And a fresh page still gets in after all of it.
    const fresh = await connectSession(bridge.port, { code: bridge.issueLaunchCode().code });
    expect((await invoke(fresh.ws, 1, 'settings:get-settings', {})).result.ok).toBe(true);
    fresh.ws.close();
    good.ws.close();
  });
});
