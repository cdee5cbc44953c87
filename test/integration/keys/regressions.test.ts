// Key files PuTTYgen and ssh-keygen really write, and what the CLI says about them: each case is
// one bug that was found with real tools' output, generated here in a temporary folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext, disposeContext } from '../../../main/context';
import { runConnectionTest } from '../../../main/connect/tester';
import { run, type RunResult } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PASS = 'correct horse';
let dir: string;
let home: TmpHome;
let agent: RealAgent;

/** The keydock binary, as a user runs it, against the test agent and an empty HOME. */
function keydock(args: string[], input?: string): Promise<RunResult> {
  return run(process.execPath, [join(ROOT, 'bin/keydock.cjs'), ...args], { input, env: { ...home.env, SSH_AUTH_SOCK: agent.socket }, timeoutMs: 120_000 });
}
async function keydockJson(args: string[], input?: string): Promise<{ code: number | null; json: Record<string, unknown>; stderr: string }> {
  const r = await keydock([...args, '--json'], input);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, json, stderr: r.stderr };
}
async function tool(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args, { timeoutMs: 120_000 });
  expect(r.code, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}
/** `ssh-keygen -lf` → [bits, fingerprint]. */
async function keygenFingerprint(file: string): Promise<[number, string]> {
  const [bits, fp] = (await tool('ssh-keygen', ['-lf', file])).split(' ');
  return [Number(bits), fp as string];
}
const agentFingerprints = async () => (await agent.sshAdd(['-l'])).stdout;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-regress-'));
  home = await makeTmpHome('keydock-regress-');
  agent = await startOpenSshAgent();
  await writeFile(join(dir, 'pass'), PASS);
}, 60_000);
afterAll(async () => {
  await agent?.stop();
  await home?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('OpenSSH keys exported by PuTTYgen (padded by a whole extra block)', () => {
  const cases = [
    { t: ['-t', 'ed25519'], out: 'private-openssh-new' },
    { t: ['-t', 'ed25519'], out: 'private-openssh' },
    { t: ['-t', 'ecdsa', '-b', '384'], out: 'private-openssh-new' },
    { t: ['-t', 'rsa', '-b', '2048'], out: 'private-openssh-new' },
  ];
  for (const c of cases) {
    it(`${c.t.join(' ')} -O ${c.out}: fingerprint, inspect and add agree with ssh-keygen`, async () => {
      const name = `${c.t.join('')}-${c.out}`.replace(/\W+/g, '-');
      const ppk = join(dir, `${name}.ppk`);
      const key = join(dir, name);
      await tool('puttygen', [...c.t, '-q', '-o', ppk, '--new-passphrase', '/dev/null']);
      await tool('puttygen', [ppk, '-O', c.out, '-o', key]);
      const [bits, fp] = await keygenFingerprint(key);
      const f = await keydockJson(['fingerprint', key]);
      expect(f.json).toMatchObject({ ok: true, fingerprint: fp, bits });
      const i = await keydockJson(['inspect', key]);
      expect(i.json, i.stderr).toMatchObject({ ok: true, fingerprint: fp });
      const a = await keydockJson(['add', key]);
      expect(a.code, JSON.stringify(a.json)).toBe(0);
      expect(await agentFingerprints()).toContain(fp);
    }, 120_000);
  }
});

describe('a PPK holding a certificate (puttygen --certificate)', () => {
  it('inspect, convert and add read the key and its certificate', async () => {
    await tool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ca', '-f', join(dir, 'ca')]);
    const ppk = join(dir, 'certkey.ppk');
    await tool('puttygen', ['-t', 'ed25519', '-q', '-C', 'cert-key', '-o', ppk, '--new-passphrase', '/dev/null']);
    await tool('puttygen', [ppk, '-O', 'public-openssh', '-o', join(dir, 'certkey.pub')]);
    await tool('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-I', 'id', '-n', 'user', join(dir, 'certkey.pub')]);
    const certPpk = join(dir, 'cert.ppk');
    await tool('puttygen', [ppk, '--certificate', join(dir, 'certkey-cert.pub'), '-o', certPpk]);
    const [, fp] = await keygenFingerprint(join(dir, 'certkey.pub'));

    const i = await keydockJson(['inspect', certPpk]);
    expect(i.json, i.stderr).toMatchObject({ ok: true, fingerprint: fp, type: 'ssh-ed25519', certificate: { keyId: 'id', principals: ['user'] } });
    const converted = join(dir, 'cert-converted');
    const c = await keydockJson(['convert', certPpk, '--to', 'openssh', '--out', converted, '--unencrypted']);
    expect(c.json).toMatchObject({ ok: true, fingerprint: fp });
    expect((await keygenFingerprint(converted))[1]).toBe(fp);

    const a = await keydockJson(['add', certPpk]);
    expect(a.code, JSON.stringify(a.json)).toBe(0);
    // Like ssh-add: the plain key, then the certificate.
    const listed = (await agent.sshAdd(['-L'])).stdout;
    expect(listed).toMatch(/^ssh-ed25519 /m);
    expect(listed).toMatch(/^ssh-ed25519-cert-v01@openssh\.com /m);
  }, 120_000);
});

it('an Ed448 PPK is 448 bits, as puttygen -l says', async () => {
  const ppk = join(dir, 'ed448.ppk');
  await tool('puttygen', ['-t', 'ed448', '-q', '-o', ppk, '--new-passphrase', '/dev/null']);
  const [, bits, fp] = (await tool('puttygen', ['-l', ppk])).trim().split(' ');
  expect(bits).toBe('448');
  const i = await keydockJson(['inspect', ppk]);
  expect(i.json).toMatchObject({ ok: true, bits: 448, fingerprint: fp });
  const f = await keydockJson(['fingerprint', ppk]);
  expect(f.json).toMatchObject({ ok: true, bits: 448, fingerprint: fp });
}, 60_000);

describe('armour with trailing spaces and CRLF (ssh-keygen loads such PEM files)', () => {
  for (const [format, args] of [['PEM', ['-t', 'ecdsa', '-m', 'PEM']], ['PKCS8', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8']], ['OpenSSH', ['-t', 'ed25519']]] as const) {
    it(`${format}`, async () => {
      const key = join(dir, `ws-${format}`);
      await tool('ssh-keygen', ['-q', ...args, '-N', '', '-C', 'ws', '-f', key]);
      const [, fp] = await keygenFingerprint(`${key}.pub`);
      const text = await readFile(key, 'utf8');
      for (const [suffix, eol] of [['spaces', '  \n'], ['crlf', ' \r\n']] as const) {
        const odd = `${key}-${suffix}`;
        await writeFile(odd, text.split('\n').join(eol), { mode: 0o600 });
        // ssh-keygen reads such PEM files; its OpenSSH reader does not, KeyDock reads both.
        if (format !== 'OpenSSH') expect((await tool('ssh-keygen', ['-y', '-f', odd])).trim().split(' ')[1]).toBe((await readFile(`${key}.pub`, 'utf8')).split(' ')[1]);
        const i = await keydockJson(['inspect', odd]);
        expect(i.json, `${suffix}: ${i.stderr}`).toMatchObject({ ok: true, fingerprint: fp });
      }
    }, 60_000);
  }
});

describe('add with passphrases on stdin', () => {
  let enc: string;
  beforeAll(async () => {
    enc = join(dir, 'enc');
    await tool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASS, '-C', 'enc', '-f', enc]);
  }, 60_000);

  it('an empty passphrase line is a wrong passphrase, not invalid bcrypt parameters', async () => {
    const r = await keydockJson(['add', enc, '--passphrase-stdin'], '\n');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'key-wrong-passphrase' } });
  }, 60_000);

  it('several files: each is reported, loaded or failed, and a failure exits 1', async () => {
    const plain = join(dir, 'plain2');
    await tool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'plain2', '-f', plain]);
    const [, plainFp] = await keygenFingerprint(`${plain}.pub`);
    // The first key gets a wrong passphrase; the second needs none.
    const r = await keydockJson(['add', enc, plain, '--passphrase-stdin'], 'wrong\n');
    expect(r.code).toBe(1);
    expect(r.json.ok).toBe(false);
    expect(r.json.added).toEqual([expect.objectContaining({ fingerprint: plainFp })]);
    expect(r.json.failed).toEqual([{ path: enc, error: expect.objectContaining({ code: 'key-wrong-passphrase' }) }]);
    expect(await agentFingerprints()).toContain(plainFp);
    // Human output says the same.
    const h = await keydock(['add', enc, plain, '--passphrase-stdin'], 'wrong\n');
    expect(h.code).toBe(1);
    expect(h.stdout).toContain(`Added ${plainFp}`);
    expect(h.stderr).toContain(enc);
  }, 120_000);
});

describe('exit codes: bad content 1, environment 2', () => {
  it('a key file too large to be a key is bad content (1), like small garbage; a missing file is 2', async () => {
    const big = join(dir, 'big');
    await writeFile(big, Buffer.alloc(1024 * 1024 + 1, 0x41));
    const small = join(dir, 'small');
    await writeFile(small, 'garbage\n');
    for (const cmd of ['fingerprint', 'inspect', 'add']) {
      expect((await keydockJson([cmd, big])).code, `${cmd} big`).toBe(1);
      expect((await keydockJson([cmd, small])).code, `${cmd} small`).toBe(1);
      expect((await keydockJson([cmd, join(dir, 'missing')])).code, `${cmd} missing`).toBe(2);
    }
  }, 120_000);
});

it('keydock test github.com: the first step names the user the test uses (git), not the local one', async () => {
  // A closed local port stands in for github.com, so nothing leaves the machine.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  await writeFile(join(home.sshDir, 'config'), `Host github.com\n  Hostname 127.0.0.1\n  Port ${port}\n`, { mode: 0o600 });
  const ctx = createContext({ env: { ...home.env, SSH_AUTH_SOCK: agent.socket }, transport: 'cli' });
  try {
    const report = await runConnectionTest(ctx, 'github.com', { timeoutMs: 5000 });
    expect(report.user).toBe('git');
    expect(report.steps[0]).toMatchObject({ name: 'Read SSH config', detail: `git@127.0.0.1:${port}` });
  } finally {
    await disposeContext(ctx);
    await rm(join(home.sshDir, 'config'), { force: true });
  }
}, 60_000);
