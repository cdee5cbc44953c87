import { Duplex } from 'node:stream';
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, ProtocolError } from '../../../main/agent/codec';
import { AgentServer } from '../../../main/agent/server/server';
import { wipeNumbers } from '../../../main/agent/server/private-fields';
import { ed25519, frame, identities, startTestAgent, u32 } from './agent-harness';

let agent: Awaited<ReturnType<typeof startTestAgent>> | null = null;
afterEach(async () => {
  await agent?.stop();
  agent = null;
});

const LIST = frame(Buffer.from([11]));

/** Writes raw bytes in the given writes, collects whole reply bodies until the agent closes. */
function exchange(path: string, writes: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = Buffer.alloc(0);
    const replies: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        replies.push(buf.subarray(4, 4 + buf.readUInt32BE(0)));
        buf = buf.subarray(4 + buf.readUInt32BE(0));
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(replies));
    s.on('connect', () => {
      for (const w of writes) s.write(w);
      // No end(): the agent must close on its own after the bad header.
    });
  });
}

describe('malformed frame after good ones (as OpenSSH ssh-agent behaves)', () => {
  it('answers all five requests that precede a zero length in the same write, then closes', async () => {
    agent = await startTestAgent();
    const replies = await exchange(agent.listener.path, [Buffer.concat([LIST, LIST, LIST, LIST, LIST, u32(0), Buffer.from([11])])]);
    expect(replies).toHaveLength(5);
    for (const r of replies) expect(identities(r)).toEqual([]);
    expect(agent.server.activity.list({}).some((e) => e.detail === 'malformed frame: connection closed')).toBe(true);
  });

  it('answers the requests before an overlong length, across writes, and still signs on other connections', async () => {
    agent = await startTestAgent();
    const key = ed25519();
    const add = frame(key.addBody('k'));
    const replies = await exchange(agent.listener.path, [Buffer.concat([add, LIST]), Buffer.concat([LIST, u32(256 * 1024 + 1), LIST])]);
    expect(replies.map((r) => r[0])).toEqual([6, 12, 12]);
    expect(identities(replies[2] as Buffer).map((k) => k.comment)).toEqual(['k']);
    await expect.poll(() => agent?.server.connectionCount).toBe(0);
    const c = await agent.connect();
    expect(identities(await c.request(Buffer.from([11])))).toHaveLength(1);
  });
});

describe('secret bytes are zeroed once used', () => {
  it('FrameDecoder({ wipe }) zeroes every input byte it consumed, also across joined chunks', () => {
    const d = new FrameDecoder({ wipe: true });
    const whole = Buffer.concat([frame(Buffer.from('first secret')), frame(Buffer.from('second secret'))]);
    const a = Buffer.from(whole.subarray(0, 7));
    const b = Buffer.from(whole.subarray(7));
    expect(d.push(a)).toEqual([]);
    const frames = d.push(b);
    expect(frames.map((f) => f.toString())).toEqual(['first secret', 'second secret']);
    expect(a.every((x) => x === 0)).toBe(true);
    expect(b.every((x) => x === 0)).toBe(true);
    // The plain decoder leaves its input alone (clients keep using their buffers).
    const plain = Buffer.from(whole);
    new FrameDecoder().push(plain);
    expect(plain.equals(whole)).toBe(true);
  });

  it('pushUntilError returns the frames before a bad length with the error, and stays failed', () => {
    const d = new FrameDecoder();
    const { frames, error } = d.pushUntilError(Buffer.concat([LIST, LIST, u32(0), LIST]));
    expect(frames).toHaveLength(2);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(d.pushUntilError(LIST)).toEqual({ frames: [], error });
    expect(() => d.push(LIST)).toThrow(ProtocolError);
  });

  it('the agent zeroes the bytes an ADD_IDENTITY arrived in, and still holds a working key', async () => {
    const server = new AgentServer();
    const replies: Buffer[] = [];
    let wrote: () => void = () => {};
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        replies.push(chunk);
        wrote();
        cb();
      },
    });
    try {
      server.serveStream(stream, { transport: 'unix' });
      const key = ed25519();
      const chunk = frame(key.addBody('wiped'));
      const replied = new Promise<void>((r) => (wrote = r));
      stream.push(chunk);
      await replied;
      expect(replies[0]?.[4]).toBe(6);
      expect(chunk.every((x) => x === 0)).toBe(true);
      const id = server.keystore.list()[0];
      expect(id?.comment).toBe('wiped');
      expect(id?.publicBlob.equals(key.blob)).toBe(true);
      expect((await id?.signer.sign(Buffer.from('x'), 0))?.length).toBeGreaterThan(64);
    } finally {
      server.close();
    }
  });

  it('wipeNumbers zeroes the private numbers of every key kind, not the public ones', () => {
    const ed = { kind: 'ed25519' as const, publicKey: Buffer.alloc(32, 1), seed: Buffer.alloc(32, 2) };
    const ec = { kind: 'ecdsa' as const, curve: 'nistp256' as const, q: Buffer.alloc(65, 3), d: Buffer.alloc(32, 4) };
    const rsa = { kind: 'rsa' as const, n: Buffer.alloc(8, 5), e: Buffer.alloc(1, 6), d: Buffer.alloc(8, 7), iqmp: Buffer.alloc(4, 8), p: Buffer.alloc(4, 9), q: Buffer.alloc(4, 10) };
    for (const k of [ed, ec, rsa]) wipeNumbers(k);
    const zero = (b: Buffer) => b.every((x) => x === 0);
    expect([zero(ed.seed), zero(ec.d), zero(rsa.d), zero(rsa.p), zero(rsa.q), zero(rsa.iqmp)]).toEqual([true, true, true, true, true, true]);
    expect([zero(ed.publicKey), zero(ec.q), zero(rsa.n), zero(rsa.e)]).toEqual([false, false, false, false]);
  });
});
