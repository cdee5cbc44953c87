import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentServer, type AgentServerOptions } from '../../../main/agent/server/server';
import { listenUnix, type UnixListener } from '../../../main/agent/transports/unix';

export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
export const str = (v: Buffer | string) => {
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  return Buffer.concat([u32(b.length), b]);
};
export const frame = (body: Buffer) => Buffer.concat([u32(body.length), body]);
export const msg = (type: number, ...parts: Buffer[]) => Buffer.concat([Buffer.from([type]), ...parts]);

/** An Ed25519 key with the wire pieces tests need (blob, ADD body, raw signing). */
export interface TestKey {
  blob: Buffer;
  privateKey: KeyObject;
  addBody(comment: string, constraints?: Buffer): Buffer;
  /** The SSH signature blob of this key over data (a host signing a session ID). */
  sshSign(data: Buffer): Buffer;
}

export function ed25519(): TestKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const a = Buffer.from(jwk.x as string, 'base64url');
  const seed = Buffer.from(jwk.d as string, 'base64url');
  return {
    blob: Buffer.concat([str('ssh-ed25519'), str(a)]),
    privateKey,
    addBody: (comment, constraints) =>
      msg(constraints ? 25 : 17, str('ssh-ed25519'), str(a), str(Buffer.concat([seed, a])), str(comment), constraints ?? Buffer.alloc(0)),
    sshSign: (data) => Buffer.concat([str('ssh-ed25519'), str(sign(null, data, privateKey))]),
  };
}

/** A raw protocol client: one request at a time, whole reply bodies back. */
export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: ((b: Buffer) => void) | null = null;
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32BE(0)) {
        const len = this.buf.readUInt32BE(0);
        const body = this.buf.subarray(4, 4 + len);
        this.buf = this.buf.subarray(4 + len);
        const w = this.waiter;
        this.waiter = null;
        w?.(body);
      }
    });
    this.closed = new Promise((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
  }

  request(body: Buffer): Promise<Buffer> {
    return this.send(frame(body));
  }

  /** Sends raw bytes and waits for one reply (rejects if the agent closes instead). */
  send(bytes: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      void this.closed.then(() => reject(new Error('connection closed')));
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** An AgentServer on a private Unix socket, with raw clients. */
export async function startTestAgent(options: AgentServerOptions = {}): Promise<{
  server: AgentServer;
  listener: UnixListener;
  connect(): Promise<RawClient>;
  stop(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'kd-unit-'));
  const server = new AgentServer({ sleep: async () => {}, ...options });
  const listener = await listenUnix(server, join(dir, 'a.sock'));
  const clients: RawClient[] = [];
  return {
    server,
    listener,
    connect: () =>
      new Promise((resolve, reject) => {
        const s = createConnection(listener.path, () => {
          const c = new RawClient(s);
          clients.push(c);
          resolve(c);
        });
        s.once('error', reject);
      }),
    async stop() {
      for (const c of clients) c.close();
      await listener.close();
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Reads `uint32 n, (string blob, string comment)*` of an IDENTITIES_ANSWER. */
export function identities(reply: Buffer): Array<{ blob: Buffer; comment: string }> {
  if (reply[0] !== 12) throw new Error(`expected IDENTITIES_ANSWER, got ${reply[0]}`);
  let off = 1;
  const n = reply.readUInt32BE(off);
  off += 4;
  const out = [];
  for (let i = 0; i < n; i++) {
    const bl = reply.readUInt32BE(off);
    const blob = reply.subarray(off + 4, off + 4 + bl);
    off += 4 + bl;
    const cl = reply.readUInt32BE(off);
    const comment = reply.subarray(off + 4, off + 4 + cl).toString();
    off += 4 + cl;
    out.push({ blob, comment });
  }
  if (off !== reply.length) throw new Error('trailing bytes in IDENTITIES_ANSWER');
  return out;
}

/** session-bind@openssh.com extension body for a host key over a session ID. */
export function sessionBind(host: TestKey, sid: Buffer, forwarded: boolean, signature = host.sshSign(sid)): Buffer {
  return msg(27, str('session-bind@openssh.com'), str(host.blob), str(sid), str(signature), Buffer.from([forwarded ? 1 : 0]));
}

/** restrict-destination-v00 constraint bytes for (from → to) hops. */
export function destinations(...cs: Array<{ fromHost?: string; fromKeys?: Buffer[]; toUser?: string; toHost: string; toKeys: Array<{ blob: Buffer; ca?: boolean }> }>): Buffer {
  const hop = (user: string, host: string, keys: Array<{ blob: Buffer; ca?: boolean }>) =>
    str(Buffer.concat([str(user), str(host), str(''), ...keys.flatMap((k) => [str(k.blob), Buffer.from([k.ca ? 1 : 0])])]));
  const body = Buffer.concat(
    cs.map((c) => str(Buffer.concat([hop('', c.fromHost ?? '', (c.fromKeys ?? []).map((blob) => ({ blob }))), hop(c.toUser ?? '', c.toHost, c.toKeys), str('')]))),
  );
  return Buffer.concat([Buffer.from([255]), str('restrict-destination-v00@openssh.com'), str(body)]);
}

/** The data ssh signs for publickey userauth (what a destination-constrained key may sign). */
export function userauthData(sid: Buffer, user: string, key: TestKey, hostKey?: TestKey): Buffer {
  return Buffer.concat([
    str(sid),
    Buffer.from([50]),
    str(user),
    str('ssh-connection'),
    str(hostKey ? 'publickey-hostbound-v00@openssh.com' : 'publickey'),
    Buffer.from([1]),
    str('ssh-ed25519'),
    str(key.blob),
    ...(hostKey ? [str(hostKey.blob)] : []),
  ]);
}

export const signReq = (key: TestKey, data: Buffer, flags = 0) => msg(13, str(key.blob), str(data), u32(flags));
