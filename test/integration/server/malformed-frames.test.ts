import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentServer } from '../../../main/agent/server/server';
import { listenUnix, type UnixListener } from '../../../main/agent/transports/unix';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';

// Requests that arrived before a bad length header in the same read are answered, then the
// connection closes. OpenSSH's ssh-agent closes too; 9.2 does so before sending the replies it
// had already made (0 of 5 arrive), so KeyDock's agent answers at least what ssh-agent answers.

let dir: string;
let server: AgentServer;
let listener: UnixListener;
let openssh: RealAgent;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-malformed-'));
  server = new AgentServer();
  listener = await listenUnix(server, join(dir, 'agent.sock'));
  openssh = await startOpenSshAgent();
}, 60_000);

afterAll(async () => {
  await openssh?.stop();
  await listener?.close();
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const LIST = Buffer.concat([u32(1), Buffer.from([11])]);

/** Sends the bytes in one write; counts the whole replies until the agent closes the connection. */
function repliesBeforeClose(path: string, bytes: Buffer): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = Buffer.alloc(0);
    const types: number[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`${path} did not close the connection`));
    }, 20_000);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        types.push(buf[4] as number);
        buf = buf.subarray(4 + buf.readUInt32BE(0));
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(types);
    });
    s.on('connect', () => s.write(bytes));
  });
}

describe('five requests, then a bad length, in one write', () => {
  it.each([
    ['a zero length', u32(0)],
    ['a length over 256 KiB', u32(256 * 1024 + 1)],
    ['a length of 2^32-1', u32(0xffffffff)],
  ])('%s: KeyDock answers all five, then closes (ssh-agent closes too, answering no more)', async (_name, bad) => {
    const bytes = Buffer.concat([LIST, LIST, LIST, LIST, LIST, bad, Buffer.from([11])]);
    const ours = await repliesBeforeClose(listener.path, bytes);
    expect(ours).toEqual([12, 12, 12, 12, 12]);
    const theirs = await repliesBeforeClose(openssh.socket, bytes);
    expect(ours.slice(0, theirs.length)).toEqual(theirs);
  });
});
