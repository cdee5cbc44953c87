import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../../main/agent/client';
import { MSG, encode, frame } from '../../../main/agent/codec';
import { openAgentStream } from '../../../main/agent/stream';
import { createContext, type AppContext } from '../../../main/context';
import { sshString } from '../../../main/keys/wire';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// KeyDock's agent client against OpenSSH's own ssh-agent, ssh-add and ssh-keygen.
let home: TmpHome;
let agent: RealAgent;
let ctx: AppContext;
let dir: string;
const BIN = join(process.cwd(), 'bin', 'keydock.cjs');

beforeAll(async () => {
  home = await makeTmpHome('kd-agent-');
  agent = await startOpenSshAgent();
  dir = await mkdtemp(join(tmpdir(), 'kd-agent-keys-'));
  ctx = createContext({ env: { ...home.env, SSH_AUTH_SOCK: agent.socket }, transport: 'cli' });
});

afterAll(async () => {
  await agent.stop();
  await rm(dir, { recursive: true, force: true });
  await home.cleanup();
});

async function keygen(name: string, type: string, bits: string | null, passphrase = ''): Promise<string> {
  const path = join(dir, name);
  const r = await run('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', passphrase, '-C', `${name}@kd`, '-f', path]);
  expect(r.code, r.stderr).toBe(0);
  return path;
}

/** `ssh-add -l -E sha256` as a set of "fingerprint comment" lines. */
async function sshAddList(): Promise<string[]> {
  const r = await agent.sshAdd(['-l', '-E', 'sha256']);
  if (r.code === 1) return [];
  return r.stdout.trim().split('\n').map((l) => l.split(' ').slice(1, -1).join(' '));
}

const kinds: Array<[string, string, string | null]> = [
  ['ed25519', 'ed25519', null],
  ['ecdsa256', 'ecdsa', '256'],
  ['ecdsa384', 'ecdsa', '384'],
  ['ecdsa521', 'ecdsa', '521'],
  ['rsa3072', 'rsa', '3072'],
];

describe('agent manager with a real ssh-agent', () => {
  it('adds every key type, plain and encrypted, with the fingerprints and comments ssh-add shows', async () => {
    for (const [name, type, bits] of kinds) {
      for (const enc of [false, true]) {
        const file = await keygen(`${name}${enc ? '-enc' : ''}`, type, bits, enc ? 'pw-' + name : '');
        const id = await ctx.agents.addFile(file, { passphrase: async () => 'pw-' + name });
        expect(id.comment).toBe(`${name}${enc ? '-enc' : ''}@kd`);
      }
    }
    const ours = (await ctx.agents.list()).identities.map((i) => `${i.fingerprint} ${i.comment}`).sort();
    expect(ours).toHaveLength(10);
    expect(ours).toEqual((await sshAddList()).sort());
  });

  it('lists keys added by ssh-add with -c, -t and a certificate', async () => {
    await ctx.agents.removeAll();
    const c = await keygen('confirm', 'ed25519', null);
    const t = await keygen('timed', 'ed25519', null);
    const ca = await keygen('ca', 'ed25519', null);
    const u = await keygen('user', 'ed25519', null);
    expect((await run('ssh-keygen', ['-q', '-s', ca, '-I', 'id', '-n', 'alice', `${u}.pub`])).code).toBe(0);
    expect((await agent.sshAdd(['-c', c])).code).toBe(0);
    expect((await agent.sshAdd(['-t', '600', t])).code).toBe(0);
    expect((await agent.sshAdd([u])).code).toBe(0);
    const list = (await ctx.agents.list()).identities;
    expect(list.map((i) => i.comment).sort()).toEqual(['confirm@kd', 'timed@kd', 'user@kd', 'user@kd'].sort());
    const cert = list.find((i) => i.type.endsWith('-cert-v01@openssh.com'));
    expect(cert).toMatchObject({ type: 'ssh-ed25519-cert-v01@openssh.com', isCertificate: true });
  });

  it('removes exactly the named key, then all', async () => {
    await ctx.agents.removeAll();
    const a = await keygen('rm-a', 'ed25519', null);
    const b = await keygen('rm-b', 'ed25519', null);
    await ctx.agents.addFile(a, { passphrase: null });
    const idB = await ctx.agents.addFile(b, { passphrase: null });
    await ctx.agents.remove([{ fingerprint: idB.fingerprint }]);
    expect((await sshAddList()).map((l) => l.split(' ')[1])).toEqual(['rm-a@kd']);
    await ctx.agents.remove([{ publicKey: await readFile(`${a}.pub`, 'utf8') }]);
    expect(await sshAddList()).toEqual([]);
    await ctx.agents.addFile(a, { passphrase: null });
    await ctx.agents.removeAll();
    expect(await sshAddList()).toEqual([]);
    await expect(ctx.agents.remove([{ fingerprint: idB.fingerprint }])).rejects.toMatchObject({ code: 'key-not-loaded' });
  });

  it('locks (ssh-add -l sees nothing, adding fails) until unlocked with the right passphrase', async () => {
    const k = await keygen('lockme', 'ed25519', null);
    await ctx.agents.addFile(k, { passphrase: null });
    await ctx.agents.lock('sesame');
    expect(await sshAddList()).toEqual([]);
    await expect(ctx.agents.addFile(k, { passphrase: null })).rejects.toMatchObject({ code: 'agent-refused' });
    await expect(ctx.agents.unlock('wrong')).rejects.toMatchObject({ code: 'agent-unlock-failed' });
    await ctx.agents.unlock('sesame');
    expect((await sshAddList()).map((l) => l.split(' ')[1])).toEqual(['lockme@kd']);
    await ctx.agents.removeAll();
  });

  it('adds with a lifetime that the agent enforces, and with confirm', async () => {
    const k = await keygen('short', 'ed25519', null);
    await ctx.agents.addFile(k, { passphrase: null, lifetimeSeconds: 1, confirm: true });
    expect(await sshAddList()).toHaveLength(1);
    await expect.poll(sshAddList, { timeout: 10_000, interval: 250 }).toEqual([]);
  });

  it('gets signatures that verify (ed25519, rsa-sha2-256, rsa-sha2-512)', async () => {
    const ed = await keygen('sign-ed', 'ed25519', null);
    const rsa = await keygen('sign-rsa', 'rsa', '3072');
    await ctx.agents.addFile(ed, { passphrase: null });
    await ctx.agents.addFile(rsa, { passphrase: null });
    const client = new AgentClient(await openAgentStream(agent.socket));
    try {
      const data = Buffer.from('data to sign');
      for (const [file, flags, alg, hash] of [[ed, 0, 'ssh-ed25519', null], [rsa, 2, 'rsa-sha2-256', 'sha256'], [rsa, 4, 'rsa-sha2-512', 'sha512']] as const) {
        const pub = (await readFile(`${file}.pub`, 'utf8')).split(' ');
        const blob = Buffer.from(pub[1]!, 'base64');
        const sig = await client.sign(blob, data, flags);
        const algLen = sig.readUInt32BE(0);
        expect(sig.subarray(4, 4 + algLen).toString()).toBe(alg);
        const raw = sig.subarray(8 + algLen);
        const pubKey =
          hash === null
            ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: blob.subarray(blob.length - 32).toString('base64url') }, format: 'jwk' })
            : createPublicKey((await run('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', `${file}.pub`])).stdout);
        expect(verify(hash, data, pubKey, raw)).toBe(true);
      }
    } finally {
      client.close();
    }
    await ctx.agents.removeAll();
  });
});

describe('agent client against agents that misbehave', () => {
  let server: Server;
  let sock: string;
  let answer: (req: Buffer) => Buffer | null;
  const conns = new Set<Socket>();

  beforeAll(async () => {
    sock = join(dir, 'fake.sock');
    server = createServer((c) => {
      conns.add(c);
      c.on('close', () => conns.delete(c));
      c.on('data', (d) => {
        const out = answer(d);
        if (out) c.write(out);
      });
    });
    await new Promise<void>((r) => server.listen(sock, () => r()));
  });
  afterAll(async () => {
    for (const c of conns) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('refuses a signature made with another algorithm than the one asked for', async () => {
    const blob = Buffer.concat([sshString('ssh-rsa'), sshString(Buffer.from([1, 0, 1])), sshString(Buffer.alloc(8, 1))]);
    answer = () => frame(MSG.SIGN_RESPONSE, sshString(Buffer.concat([sshString('ssh-rsa'), sshString(Buffer.alloc(8))])));
    const client = new AgentClient(await openAgentStream(sock));
    await expect(client.sign(blob, Buffer.from('x'), 2)).rejects.toMatchObject({ code: 'agent-protocol-error' });
  });

  it('reports a socket that speaks something else as not an agent', async () => {
    answer = () => Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n');
    const client = new AgentClient(await openAgentStream(sock));
    await expect(client.listIdentities()).rejects.toMatchObject({ code: 'agent-protocol-error' });
  });

  it('times out on a socket that never answers', async () => {
    answer = () => null;
    const client = new AgentClient(await openAgentStream(sock), { quickTimeoutMs: 300 });
    await expect(client.listIdentities()).rejects.toMatchObject({ code: 'agent-timeout' });
  });

  it('accepts an identities answer split across chunks and rejects trailing bytes', async () => {
    const ok = frame(MSG.IDENTITIES_ANSWER, Buffer.from([0, 0, 0, 0]));
    answer = () => ok;
    const client = new AgentClient(await openAgentStream(sock));
    expect(await client.listIdentities()).toEqual([]);
    answer = () => frame(MSG.IDENTITIES_ANSWER, Buffer.from([0, 0, 0, 0, 9]));
    await expect(client.listIdentities()).rejects.toMatchObject({ code: 'agent-protocol-error' });
    expect(encode.requestIdentities()).toEqual(Buffer.from([0, 0, 0, 1, 11]));
  });
});

describe('keydock CLI bad inputs (real processes)', () => {
  const cli = (args: string[], input?: string) => run(process.execPath, [BIN, ...args], { env: { ...home.env, SSH_AUTH_SOCK: agent.socket }, input });

  it.each([
    ['garbage file', async () => { const f = join(dir, 'garbage'); await writeFile(f, 'not a key at all'); return ['add', f]; }, 1],
    ['truncated key', async () => { const k = await keygen('trunc', 'ed25519', null); const t = join(dir, 'trunc-cut'); await writeFile(t, (await readFile(k, 'utf8')).slice(0, 200)); return ['add', t]; }, 1],
    ['dead socket path', async () => ['list', '--agent', join(dir, 'nothing-here.sock')], 2],
    ['bad lifetime', async () => ['add', '--lifetime', 'xyz', '/dev/null'], 2],
  ])('%s: clear words, no stack trace', async (_n, args, code) => {
    const r = await cli(await args());
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(/^keydock: .+\n {2}hint: .+/);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('wrong passphrase: exit 1, and the passphrase never appears in the output', async () => {
    const k = await keygen('wrongpw', 'ed25519', null, 'right-one');
    const r = await cli(['--json', 'add', '--passphrase-stdin', k], 'not-the-secret-xyz\nnot-the-secret-xyz\nnot-the-secret-xyz\n');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'key-wrong-passphrase' } });
    expect(r.stdout + r.stderr).not.toContain('not-the-secret-xyz');
  });

  it('list --json prints the agent and its identities', async () => {
    const k = await keygen('json', 'ed25519', null);
    await ctx.agents.removeAll();
    expect((await cli(['add', k])).code).toBe(0);
    const r = await cli(['--json', 'list']);
    const out = JSON.parse(r.stdout) as { agent: { path: string }; identities: Array<Record<string, unknown>> };
    expect(out.agent.path).toBe(agent.socket);
    expect(out.identities).toEqual([
      { fingerprint: expect.stringMatching(/^SHA256:/), md5: expect.stringMatching(/^MD5:/), type: 'ssh-ed25519', bits: 256, comment: 'json@kd', publicKey: expect.stringMatching(/^ssh-ed25519 AAAA\S+ json@kd$/), isCertificate: false, sourceFile: null },
    ]);
  });
});
