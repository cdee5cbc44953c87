import { chmod, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';
import { startOpenSshAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { keygen, scratch, startServe, writeAskpass, type ServeProcess } from './serve-process';

let home: TmpHome;
let sc: Awaited<ReturnType<typeof scratch>>;
let askpass: Awaited<ReturnType<typeof writeAskpass>>;
let serve: ServeProcess;
const keys: Record<string, string> = {};

beforeAll(async () => {
  home = await makeTmpHome('kd-serve-');
  sc = await scratch();
  askpass = await writeAskpass(sc.dir);
  keys.ed25519 = await keygen(sc.dir, 'ed', 'ed25519');
  keys.rsa = await keygen(sc.dir, 'rsa', 'rsa', 3072);
  keys.p256 = await keygen(sc.dir, 'p256', 'ecdsa', 256);
  keys.p384 = await keygen(sc.dir, 'p384', 'ecdsa', 384);
  keys.p521 = await keygen(sc.dir, 'p521', 'ecdsa', 521);
  serve = await startServe(['--verbose'], { ...home.env, SSH_ASKPASS: askpass.path, DISPLAY: ':0' });
}, 180_000); // key generation and two real daemons on a busy 2-core machine

afterAll(async () => {
  await serve?.stop();
  await sc?.cleanup();
  await home?.cleanup();
});

/** ssh-add run with an askpass that answers (passphrases for -x/-X) without a terminal. */
const withAskpass = () => ({ env: { SSH_ASKPASS: askpass.path, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' } });

describe('keydock serve with real OpenSSH clients', () => {
  it('prints SSH_AUTH_SOCK like ssh-agent -D and listens 0600 inside a fresh 0700 directory of its own', async () => {
    // Like ssh-agent's $TMPDIR/ssh-XXXXXXXXXX/agent.PID; the app's well-known socket stays the app's.
    expect(serve.socket).toMatch(new RegExp(`^${tmpdir()}/keydock-[A-Za-z0-9]{6}/agent\\.${serve.pid}$`));
    expect(serve.firstLine).toBe(`SSH_AUTH_SOCK=${serve.socket}; export SSH_AUTH_SOCK;`);
    const s = await stat(serve.socket);
    expect(s.isSocket()).toBe(true);
    expect(s.mode & 0o777).toBe(0o600);
    expect((await stat(dirname(serve.socket))).mode & 0o777).toBe(0o700);
    const empty = await serve.sshAdd(['-l']);
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain('The agent has no identities.');
  });

  it('lists exactly what OpenSSH’s agent lists for the same keys, and every key signs (ssh-add -T)', async () => {
    const files = [keys.ed25519, keys.rsa, keys.p256, keys.p384, keys.p521] as string[];
    const openssh = await startOpenSshAgent();
    try {
      expect((await openssh.sshAdd(files)).code).toBe(0);
      const added = await serve.sshAdd(files);
      expect(added.code, added.stderr).toBe(0);
      const ours = await serve.sshAdd(['-L']);
      const theirs = await openssh.sshAdd(['-L']);
      expect(ours.stdout).toBe(theirs.stdout);
      expect(ours.stdout.trim().split('\n')).toHaveLength(5);
      expect((await serve.sshAdd(['-l'])).stdout).toBe((await openssh.sshAdd(['-l'])).stdout);
    } finally {
      await openssh.stop();
    }
    const t = await serve.sshAdd(['-T', ...files.map((f) => `${f}.pub`)]);
    expect(t.code, t.stderr).toBe(0);
    expect(serve.stderr()).toMatch(/ssh-add \(pid \d+, \/usr\/bin\/ssh-add\) sign SHA256:\S+ - allowed/);
    expect((await serve.sshAdd(['-D'])).code).toBe(0);
  });

  it('asks $SSH_ASKPASS (SSH_ASKPASS_PROMPT=confirm) before each signature with a -c key; allow signs, deny refuses', async () => {
    expect((await serve.sshAdd(['-c', keys.ed25519 as string])).code).toBe(0);
    await askpass.answer('allow');
    const allowed = await serve.sshAdd(['-T', `${keys.ed25519}.pub`]);
    expect(allowed.code, allowed.stderr).toBe(0);
    await askpass.answer('deny');
    const denied = await serve.sshAdd(['-T', `${keys.ed25519}.pub`]);
    expect(denied.code).not.toBe(0);
    const log = await readFile(join(sc.dir, 'askpass.log'), 'utf8');
    expect(log).toMatch(/^confirm\|Allow use of key ed@keydock-test\?\nKey fingerprint SHA256:/m);
    expect(log).toContain('Requested by ssh-add (pid ');
    expect(serve.stderr()).toMatch(/sign SHA256:\S+ - denied not confirmed/);
    expect((await serve.sshAdd(['-D'])).code).toBe(0);
  });

  it('forgets a key added with -t when its lifetime ends', async () => {
    const add = await serve.sshAdd(['-t', '1', keys.p256 as string]);
    expect(add.code).toBe(0);
    expect(add.stderr).toContain('Lifetime set to 1 seconds');
    expect((await serve.sshAdd(['-l'])).stdout).toContain('p256@keydock-test');
    await expect.poll(async () => (await serve.sshAdd(['-l'])).stdout, { timeout: 5000, interval: 200 }).toContain('The agent has no identities.');
  });

  it('locks (-x) and unlocks (-X): locked lists nothing and signs nothing; a wrong passphrase is refused', async () => {
    expect((await serve.sshAdd([keys.ed25519 as string])).code).toBe(0);
    await askpass.answer('correct horse');
    const lock = await serve.sshAdd(['-x'], withAskpass());
    expect(lock.code, lock.stderr).toBe(0);
    expect(lock.stderr).toContain('Agent locked.');
    expect((await serve.sshAdd(['-l'])).stdout).toContain('The agent has no identities.');
    expect((await serve.sshAdd(['-T', `${keys.ed25519}.pub`])).code).not.toBe(0);
    expect((await serve.sshAdd([keys.p256 as string])).code).not.toBe(0);
    await askpass.answer('wrong horse');
    const wrong = await serve.sshAdd(['-X'], withAskpass());
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Failed to unlock agent');
    await askpass.answer('correct horse');
    const unlock = await serve.sshAdd(['-X'], withAskpass());
    expect(unlock.code, unlock.stderr).toBe(0);
    expect((await serve.sshAdd(['-l'])).stdout).toContain('ed@keydock-test');
    expect(serve.stderr()).toMatch(/unlock - - denied wrong passphrase/);
  });

  it('removes one key (-d) and all keys (-D)', async () => {
    expect((await serve.sshAdd([keys.p384 as string, keys.rsa as string])).code).toBe(0);
    const d = await serve.sshAdd(['-d', keys.p384 as string]);
    expect(d.code, d.stderr).toBe(0);
    const l = (await serve.sshAdd(['-l'])).stdout;
    expect(l).not.toContain('p384@');
    expect(l).toContain('rsa@');
    expect((await serve.sshAdd(['-d', keys.p384 as string])).code).not.toBe(0);
    expect((await serve.sshAdd(['-D'])).code).toBe(0);
    expect((await serve.sshAdd(['-l'])).stdout).toContain('The agent has no identities.');
  });

  it.skipIf(process.getuid?.() !== 0)('drops connections from another user (SO_PEERCRED) even when the socket is reachable', async () => {
    // Open the path up on purpose so only the peer-credential check stands in the way.
    await chmod(dirname(serve.socket), 0o755);
    await chmod(serve.socket, 0o666);
    try {
      const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'ssh-add', '-l'], { env: { PATH: process.env.PATH, SSH_AUTH_SOCK: serve.socket } });
      expect(r.code).not.toBe(0);
      expect(r.stdout).not.toContain('no identities');
      await serve.waitForStderr(/refused a connection: connection from uid 65534 \(pid \d+\), not ours \(0\) nor root/);
    } finally {
      await chmod(serve.socket, 0o600);
      await chmod(dirname(serve.socket), 0o700);
    }
  });
});

describe('keydock serve socket lifecycle', () => {
  it('replaces a stale socket, refuses a live one, and removes its socket on SIGTERM', async () => {
    const path = join(sc.dir, 'life.sock');
    // A stale socket file: its listener is gone (SIGKILLed process leaves the file behind).
    const stale = await run(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(stale.code).toBeNull();
    expect((await stat(path)).isSocket()).toBe(true);
    const first = await startServe(['--socket', path], home.env);
    expect(first.socket).toBe(path);
    expect((await first.sshAdd(['-l'])).stdout).toContain('no identities');

    const second = await run(process.execPath, [join(dirname(new URL(import.meta.url).pathname), '../../../bin/keydock.cjs'), 'serve', '--socket', path], { env: home.env });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('Another agent is already listening');

    const exited = new Promise<number | null>((resolve) => first.child.once('exit', (code) => resolve(code)));
    first.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a path that is not a socket', async () => {
    const path = join(sc.dir, 'not-a-socket');
    await run('touch', [path]);
    const r = await run(process.execPath, [join(dirname(new URL(import.meta.url).pathname), '../../../bin/keydock.cjs'), 'serve', '--socket', path], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exists and is not a socket');
  });

});
