// FIDO security keys (sk-) end to end with real peers: keys enrolled by ssh-keygen through
// OpenSSH's software authenticator sk-dummy.so (package openssh-tests), read and shown by
// `keydock inspect` / `fingerprint` (checked against ssh-keygen -lf), added by `keydock add` to
// OpenSSH's ssh-agent, and signing logins to a local sshd and sshsig files through KeyDock's own
// agent (`keydock serve`, ssh-add with SSH_SK_PROVIDER). docs/hardware-keys.md says what works where.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';
import { startOpenSshAgent } from '../../support/ssh-agent';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { startServe, type ServeProcess } from '../server/serve-process';
import { keydockJson, type KeydockJsonResult } from '../../support/keydock-json';

const DUMMY = '/usr/lib/openssh/regress/misc/sk-dummy/sk-dummy.so';
const missing = existsSync(DUMMY) ? null : `${DUMMY} is missing (scripts/install-deps.sh: openssh-tests)`;
// Each keydock run is a process of its own (seconds from source on a busy 2-core machine): the tests get minutes.
const PASS = 'correct horse';

let dir: string;
let home: TmpHome;
let sshd: Sshd;
/** Key files by name: ed (ed25519-sk, no passphrase), ec (ecdsa-sk, passphrase), edpin (verify-required, no touch), edcert (with a -cert.pub). */
const key: Record<string, string> = {};

function keydock(argv: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<KeydockJsonResult> {
  return keydockJson(argv, { env: { ...home.env, ...options.env }, stdin: options.stdin });
}

async function enroll(name: string, type: 'ed25519-sk' | 'ecdsa-sk', extra: string[] = [], passphrase = ''): Promise<string> {
  const file = join(dir, name);
  const r = await run('ssh-keygen', ['-q', '-t', type, '-w', DUMMY, '-N', passphrase, '-C', `${name}@sk`, '-f', file, ...extra]);
  if (r.code !== 0) throw new Error(`ssh-keygen -t ${type}: ${r.stderr}`);
  return file;
}

/** `ssh -T` to the local sshd with the agent at `socket` offering the key of `pub`. */
function sshLogin(socket: string, pub: string) {
  return run('ssh', ['-F', sshd.sshConfigFile, '-i', pub, '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-T', 'sandbox'], { env: { ...process.env, SSH_AUTH_SOCK: socket }, timeoutMs: 60_000 });
}

beforeAll(async () => {
  if (missing) return;
  dir = await mkdtemp(join(tmpdir(), 'kd-sk-'));
  home = await makeTmpHome('kd-sk-home-');
  key.ed = await enroll('ed', 'ed25519-sk');
  key.ec = await enroll('ec', 'ecdsa-sk', [], PASS);
  key.edpin = await enroll('edpin', 'ed25519-sk', ['-O', 'verify-required', '-O', 'no-touch-required']);
  key.edcert = await enroll('edcert', 'ed25519-sk');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ca')]);
  const signed = await run('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-I', 'sk-cert', '-n', 'someone', `${key.edcert}.pub`]);
  if (signed.code !== 0) throw new Error(signed.stderr);
  sshd = await startSshd({ dir: join(dir, 'sshd') });
  await sshd.addKey(`${key.ed}.pub`, 'ed-sk');
  await sshd.addKey(`${key.ec}.pub`, 'ec-sk');
}, 180_000);

afterAll(async () => {
  await sshd?.stop();
  await home?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== null)(`FIDO security keys with sk-dummy.so${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('inspect shows type, application, touch / PIN needs and the provider; fingerprints equal ssh-keygen -lf', { timeout: 180_000 }, async () => {
    for (const name of ['ed', 'ec', 'edpin', 'edcert']) {
      const file = key[name] as string;
      const lf = (await run('ssh-keygen', ['-lf', `${file}.pub`])).stdout.trim();
      const fp = await keydock(['fingerprint', file]);
      expect(fp.code, fp.stderr).toBe(0);
      expect(lf).toContain(` ${fp.json.fingerprint as string} `);
      expect(lf).toMatch(name === 'ec' ? /\(ECDSA-SK\)$/ : /\(ED25519-SK\)$/);
    }
    const ed = await keydock(['inspect', key.ed as string], { env: { SSH_SK_PROVIDER: DUMMY } });
    expect(ed.code, ed.stderr).toBe(0);
    expect(ed.json).toMatchObject({ type: 'sk-ssh-ed25519@openssh.com', bits: 256, encrypted: false, securityKey: { application: 'ssh:', touchRequired: true, pinRequired: false, resident: false, provider: DUMMY } });
    // A file that is only a handle to the authenticator is no theft risk without a passphrase.
    expect((ed.json.findings as Array<{ code: string }>).map((f) => f.code)).not.toContain('unencrypted');

    const pin = await keydock(['inspect', key.edpin as string]);
    expect(pin.json).toMatchObject({ securityKey: { touchRequired: false, pinRequired: true } });

    // Encrypted: the application is public, the flags are not until the passphrase is given.
    const ec = await keydock(['inspect', key.ec as string]);
    expect(ec.json).toMatchObject({ type: 'sk-ecdsa-sha2-nistp256@openssh.com', encrypted: true, securityKey: { application: 'ssh:', touchRequired: null, pinRequired: null } });

    const cert = await keydock(['inspect', key.edcert as string]);
    expect(cert.json).toMatchObject({ type: 'sk-ssh-ed25519@openssh.com', certificate: { type: 'sk-ssh-ed25519-cert-v01@openssh.com', keyId: 'sk-cert', principals: ['someone'] } });

    // No provider anywhere (no SSH_SK_PROVIDER, no libsk-libfido2 here): the answer says so.
    const none = await keydock(['inspect', key.ed as string]);
    if (!existsSync('/usr/lib/x86_64-linux-gnu/libsk-libfido2.so')) expect(none.json).toMatchObject({ securityKey: { provider: null } });
  });

  it('keydock add loads sk keys (and an sk certificate) into OpenSSH’s ssh-agent with the provider, and ssh logs in through it', { timeout: 180_000 }, async () => {
    const agent = await startOpenSshAgent();
    try {
      const viaEnv = await keydock(['add', '--agent', agent.socket, key.ed as string], { env: { SSH_SK_PROVIDER: DUMMY } });
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
      const viaFlag = await keydock(['add', '--agent', agent.socket, '--sk-provider', DUMMY, '--passphrase-stdin', key.ec as string], { stdin: `${PASS}\n` });
      expect(viaFlag.code, viaFlag.stderr).toBe(0);
      const certAdd = await keydock(['add', '--agent', agent.socket, '--sk-provider', DUMMY, key.edcert as string]);
      expect(certAdd.code, certAdd.stderr).toBe(0);
      const listed = await agent.sshAdd(['-l']);
      expect(listed.stdout).toContain('(ED25519-SK)');
      expect(listed.stdout).toContain('(ECDSA-SK)');
      expect(listed.stdout).toContain('(ED25519-SK-CERT)');
      // ssh-agent signs through ssh-sk-helper with the provider named in the add.
      for (const [name, who] of [['ed', 'ed-sk'], ['ec', 'ec-sk']] as const) {
        const login = await sshLogin(agent.socket, `${key[name]}.pub`);
        expect(login.stdout + login.stderr, `login with ${name}`).toContain(who);
        expect(login.code === 0 || login.code === 1).toBe(true);
      }
    } finally {
      await agent.stop();
    }
  });

  it('KeyDock’s own agent holds sk keys from ssh-add and signs logins and sshsig files through the provider', { timeout: 180_000 }, async () => {
    const serve: ServeProcess = await startServe(['--verbose'], { ...home.env });
    try {
      const add = await serve.sshAdd([key.ed as string], { env: { SSH_SK_PROVIDER: DUMMY } });
      expect(add.code, add.stderr).toBe(0);
      // ssh-add reads an encrypted key's passphrase from a terminal; keydock add reads it from stdin and sends what ssh-add -S would.
      const addEc = await keydock(['add', '--agent', serve.socket, '--sk-provider', DUMMY, '--passphrase-stdin', key.ec as string], { stdin: `${PASS}\n` });
      expect(addEc.code, addEc.stderr).toBe(0);
      const listed = await serve.sshAdd(['-l']);
      expect(listed.stdout).toContain('(ED25519-SK)');
      expect(listed.stdout).toContain('(ECDSA-SK)');

      for (const [name, who] of [['ed', 'ed-sk'], ['ec', 'ec-sk']] as const) {
        const login = await sshLogin(serve.socket, `${key[name]}.pub`);
        expect(login.stdout + login.stderr, `login with ${name}`).toContain(who);
      }
      expect(serve.stderr()).toMatch(/ssh \(pid \d+, \/usr\/bin\/ssh\) sign SHA256:\S+ .*allowed/);

      // sshsig: ssh-keygen -Y sign with a public key file signs through the agent; -Y verify checks it.
      const msg = join(dir, 'message.txt');
      await writeFile(msg, 'signed by a security key\n');
      const allowed = join(dir, 'allowed_signers');
      await writeFile(allowed, `me@example ${(await readFile(`${key.ed}.pub`, 'utf8')).trim()}\nme@example ${(await readFile(`${key.ec}.pub`, 'utf8')).trim()}\n`);
      for (const name of ['ed', 'ec']) {
        await rm(`${msg}.sig`, { force: true });
        const signed = await run('ssh-keygen', ['-Y', 'sign', '-f', `${key[name]}.pub`, '-n', 'file', msg], { env: { ...process.env, SSH_AUTH_SOCK: serve.socket } });
        expect(signed.code, signed.stderr).toBe(0);
        const verified = await run('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', 'me@example', '-n', 'file', '-s', `${msg}.sig`], { input: await readFile(msg) });
        expect(verified.code, verified.stderr + verified.stdout).toBe(0);
        expect(verified.stdout).toMatch(/Good "file" signature for me@example with (ED25519|ECDSA)-SK key/);
      }
      expect(serve.stderr()).toMatch(/ssh-keygen \(pid \d+, \/usr\/bin\/ssh-keygen\) sign SHA256:\S+ - allowed/);
    } finally {
      await serve.stop();
    }
  });

  it('KeyDock’s agent refuses a provider outside -P, and says so when no provider exists for a sign', { timeout: 180_000 }, async () => {
    // Only /opt/* allowed: the dummy under /usr/lib is refused at add, as ssh-agent does.
    const strict = await startServe(['--verbose', '-P', '/opt/*'], { ...home.env });
    try {
      const refused = await strict.sshAdd(['-S', DUMMY, key.ed as string]);
      expect(refused.code).not.toBe(0);
      await strict.waitForStderr('not allowed by the -P list');
    } finally {
      await strict.stop();
    }
    // "internal" with no SSH_SK_PROVIDER and no libsk-libfido2: the add is kept (as ssh-agent's), the signature fails with the reason.
    if (existsSync('/usr/lib/x86_64-linux-gnu/libsk-libfido2.so')) return;
    const bare = await startServe(['--verbose'], { ...home.env });
    try {
      const add = await bare.sshAdd([key.ed as string]);
      expect(add.code, add.stderr).toBe(0);
      const login = await sshLogin(bare.socket, `${key.ed}.pub`);
      expect(login.code).not.toBe(0);
      await bare.waitForStderr('no FIDO provider on this system');
    } finally {
      await bare.stop();
    }
  });
});
