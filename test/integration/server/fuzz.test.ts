import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentServer } from '../../../main/agent/server/server';
import { listenUnix, type UnixListener } from '../../../main/agent/transports/unix';
import { mulberry32 } from '../../support/prng';

// Seeded: a failure names its seed and replays exactly.
const SEED = Number(process.env.KEYDOCK_FUZZ_SEED ?? 0x5eed);
const FUZZ_CONNECTIONS = 400;
const FRAMES_PER_CONNECTION = 20;


const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const str = (v: Buffer | string) => {
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  return Buffer.concat([u32(b.length), b]);
};
const frame = (body: Buffer) => Buffer.concat([u32(body.length), body]);

function ed25519Key() {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const a = Buffer.from(jwk.x as string, 'base64url');
  const seed = Buffer.from(jwk.d as string, 'base64url');
  const blob = Buffer.concat([str('ssh-ed25519'), str(a)]);
  const add = (comment: string, constraints: Buffer = Buffer.alloc(0)) =>
    Buffer.concat([Buffer.from([constraints.length ? 25 : 17]), str('ssh-ed25519'), str(a), str(Buffer.concat([seed, a])), str(comment), constraints]);
  return { a, blob, add };
}

/** Requests a fuzzer starts from: every message type, with plausible bodies. */
function seedBodies(keys: ReturnType<typeof ed25519Key>[]): Buffer[] {
  const k = keys[0] as ReturnType<typeof ed25519Key>;
  const hop = (user: string, host: string, blob?: Buffer) => str(Buffer.concat([str(user), str(host), str(''), ...(blob ? [str(blob), Buffer.from([0])] : [])]));
  const dest = str(Buffer.concat([str(hop('', '')), str(hop('', 'host', k.blob)), str('')]));
  return [
    Buffer.from([11]),
    Buffer.concat([Buffer.from([13]), str(k.blob), str('data'), u32(0)]),
    k.add('fuzz'),
    k.add('fuzz', Buffer.concat([Buffer.from([1]), u32(3600), Buffer.from([2])])),
    k.add('fuzz', Buffer.concat([Buffer.from([255]), str('restrict-destination-v00@openssh.com'), str(dest)])),
    Buffer.concat([Buffer.from([18]), str(k.blob)]),
    Buffer.from([19]),
    Buffer.concat([Buffer.from([23]), str('pass')]),
    Buffer.concat([Buffer.from([27]), str('query')]),
    Buffer.concat([Buffer.from([27]), str('session-bind@openssh.com'), str(k.blob), str('sid'), str('sig'), Buffer.from([0])]),
    Buffer.concat([Buffer.from([27]), str('unknown@example.org'), str('x')]),
    Buffer.concat([Buffer.from([20]), str('token'), str('pin')]),
  ];
}

/** A correctly framed case: a valid request as is, with mutated fields, or with bytes appended. */
function framedCase(rand: () => number, bodies: Buffer[]): Buffer {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)] as T;
  const r = rand();
  let body = Buffer.from(pick(bodies));
  if (r < 0.6) {
    const flips = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < flips; i++) {
      const at = Math.floor(rand() * body.length);
      if (rand() < 0.3 && at + 4 <= body.length) body.writeUInt32BE(pick([0, 1, 0x7fffffff, 0xffffffff, Math.floor(rand() * 300)]), at);
      else body[at] = Math.floor(rand() * 256);
    }
  } else if (r < 0.8) {
    body = Buffer.concat([body, Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 16) }, () => Math.floor(rand() * 256)))]);
  }
  // Locking with a random passphrase would lock out the well-behaved client for good.
  if (body[0] === 22) body[0] = 23;
  return frame(body);
}

/** A case that breaks the stream itself (sent last on a connection): truncated frame, huge or zero length, noise. */
function breakingCase(rand: () => number, bodies: Buffer[]): Buffer {
  const r = rand();
  if (r < 0.4) {
    const body = bodies[Math.floor(rand() * bodies.length)] as Buffer;
    return frame(body).subarray(0, Math.max(1, Math.floor(rand() * (body.length + 4))));
  }
  if (r < 0.7) return Buffer.concat([u32([0, 256 * 1024 + 1, 0x7fffffff, 0xffffffff][Math.floor(rand() * 4)] as number), Buffer.from([11])]);
  const noise = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
  if (noise.length > 4 && noise[4] === 22) noise[4] = 23;
  return noise;
}

/** Sends frames, half-closes, and resolves when the agent has closed (or rejects if it hangs). */
function fuzzConnection(path: string, frames: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let received = 0;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('agent did not close a fuzz connection'));
    }, 15_000);
    s.on('data', (d: Buffer) => (received += d.length));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    s.on('connect', () => {
      for (const f of frames) s.write(f);
      s.end();
    });
  });
}

/** A client that behaves: reads complete replies, one request at a time. */
class GoodClient {
  private buf = Buffer.alloc(0);
  private waiter: ((b: Buffer) => void) | null = null;
  constructor(private readonly s: Socket) {
    s.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      if (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32BE(0)) {
        const len = this.buf.readUInt32BE(0);
        const body = this.buf.subarray(4, 4 + len);
        this.buf = this.buf.subarray(4 + len);
        this.waiter?.(body);
      }
    });
  }
  static open(path: string): Promise<GoodClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path, () => resolve(new GoodClient(s)));
      s.once('error', reject);
    });
  }
  request(body: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('well-formed request got no answer')), 10_000);
      this.waiter = (b) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(b);
      };
      this.s.write(frame(body));
    });
  }
  close() {
    this.s.destroy();
  }
}

let dir: string;
let server: AgentServer;
let listener: UnixListener;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-fuzz-'));
  server = new AgentServer({ activityCapacity: 500, confirmTimeoutMs: 50 });
  listener = await listenUnix(server, join(dir, 'agent.sock'));
});

afterAll(async () => {
  await listener?.close();
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe(`agent fuzzing (seed ${SEED})`, () => {
  it('survives mutated, truncated, huge and random frames while serving a well-formed client', async () => {
    const rand = mulberry32(SEED);
    const good = ed25519Key();
    const fuzzKeys = [ed25519Key(), ed25519Key()];
    const bodies = seedBodies(fuzzKeys);
    const client = await GoodClient.open(listener.path);
    expect((await client.request(good.add('good')))[0]).toBe(6);

    let stop = false;
    let signatures = 0;
    const data = Buffer.from('well-formed client data');
    const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: good.a.toString('base64url') }, format: 'jwk' });
    const goodLoop = (async () => {
      while (!stop) {
        const reply = await client.request(Buffer.concat([Buffer.from([13]), str(good.blob), str(data), u32(0)]));
        if (reply[0] === 14) {
          const sig = reply.subarray(5 + 4 + 11 + 4);
          expect(verify(null, data, pub, sig)).toBe(true);
          signatures++;
        } else {
          // The fuzzer may have removed every key (REMOVE_ALL is fair game): put ours back.
          expect(reply[0]).toBe(5);
          expect((await client.request(good.add('good')))[0]).toBe(6);
        }
      }
    })();

    const seen = { closed: 0, malformed: 0, added: 0, failed: 0 };
    const unsubscribe = server.activity.subscribe((e) => {
      if (e.detail === 'malformed frame: connection closed') seen.closed++;
      else if (e.detail === 'malformed request') seen.malformed++;
      else if (e.operation === 'add' && e.outcome === 'allowed') seen.added++;
      else if (e.outcome === 'denied') seen.failed++;
    });
    const heapBefore = process.memoryUsage().heapUsed;
    let answeredBytes = 0;
    const batch = 10;
    for (let c = 0; c < FUZZ_CONNECTIONS; c += batch) {
      const conns = [];
      for (let i = 0; i < batch; i++) {
        const frames = Array.from({ length: FRAMES_PER_CONNECTION }, () => framedCase(rand, bodies));
        if (rand() < 0.6) frames.push(breakingCase(rand, bodies));
        conns.push(fuzzConnection(listener.path, frames));
      }
      answeredBytes += (await Promise.all(conns)).reduce((a, b) => a + b, 0);
    }
    const signaturesDuringFuzz = signatures;
    stop = true;
    await goodLoop;
    client.close();
    unsubscribe();

    // The cases reached every path: closed connections, malformed bodies, refusals and real adds.
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(5);
    expect(answeredBytes).toBeGreaterThan(0); // the agent answered fuzz requests, not just dropped them
    expect(signaturesDuringFuzz).toBeGreaterThan(10);
    expect(server.activity.size).toBeLessThanOrEqual(500);
    await expect.poll(() => server.connectionCount).toBe(0);
    // Bounded memory: nothing per fuzz frame survives (generous bound; GC timing varies).
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);

    // Still fully functional afterwards.
    const after = await GoodClient.open(listener.path);
    const list = await after.request(Buffer.from([11]));
    expect(list[0]).toBe(12);
    after.close();
  });
});
