import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { keygen, scratch, startServe, writeAskpass, type ServeProcess } from './serve-process';

// Host names, not fingerprints: a confirm prompt for a host whose key is in the user's
// known_hosts under a hashed name says that name (found through the ~/.ssh/config Host line).
let home: TmpHome;
let sc: Awaited<ReturnType<typeof scratch>>;
let sshd: Sshd;
let serve: ServeProcess;
let key: string;
let askpass: Awaited<ReturnType<typeof writeAskpass>>;
let config: string;
let knownHosts: string;

beforeAll(async () => {
  home = await makeTmpHome('kd-names-');
  sc = await scratch();
  sshd = await startSshd({ greeting: 'gitlab' });
  key = await keygen(sc.dir, 'work', 'ed25519');
  await sshd.addKey(`${key}.pub`, 'worker');
  // ~/.ssh of the temp HOME: a Host alias and a hashed known_hosts entry for it.
  config = join(home.sshDir, 'config');
  await writeFile(config, ['Host gitbox', '  HostName 127.0.0.1', `  Port ${sshd.port}`, '  HostKeyAlias gitbox', `  User ${sshd.user}`, ''].join('\n'));
  knownHosts = join(home.sshDir, 'known_hosts');
  await writeFile(knownHosts, sshd.hostKeys.map((l) => `gitbox ${l.split(/\s+/).slice(0, 2).join(' ')}`).join('\n') + '\n');
  const hashed = await run('ssh-keygen', ['-H', '-f', knownHosts]);
  expect(hashed.code).toBe(0);
  expect(await readFile(knownHosts, 'utf8')).not.toContain('gitbox');
  askpass = await writeAskpass(sc.dir);
  await askpass.answer('allow');
  serve = await startServe(['-d'], { ...home.env, SSH_ASKPASS: askpass.path, SSH_ASKPASS_REQUIRE: 'force' });
  expect((await serve.sshAdd(['-c', key])).code).toBe(0);
}, 180_000);

afterAll(async () => {
  await serve?.stop();
  await sshd?.stop();
  await sc?.cleanup();
  await home?.cleanup();
});

describe('host names in prompts and logs', () => {
  it('names the host from a hashed known_hosts entry in the askpass prompt and the log', async () => {
    const r = await run(
      'ssh',
      ['-F', config, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', 'gitbox', 'true'],
      { env: { ...home.env, SSH_AUTH_SOCK: serve.socket } },
    );
    expect(r.stdout + r.stderr).toContain('Welcome to GitLab, @worker!');
    const log = await readFile(join(sc.dir, 'askpass.log'), 'utf8');
    expect(log).toContain('confirm|Allow use of key work@keydock-test?');
    expect(log).toContain('Requested for gitbox.');
    expect(log).not.toMatch(/Requested for host key SHA256/);
    await serve.waitForStderr(/ sign SHA256:\S+ gitbox allowed/);
    expect(serve.stderr()).toMatch(/session-bind - gitbox allowed/);
  }, 60_000);

  it('says "unknown host SHA256:…" for a host key it cannot name', async () => {
    // New host keys, in no file KeyDock reads (the test's own known_hosts is given to ssh only).
    await sshd.rotateHostKeys();
    await sshd.restart();
    const other = join(sc.dir, 'other_known_hosts');
    await writeFile(other, sshd.hostKeys.map((l) => `[127.0.0.1]:${sshd.port} ${l.split(/\s+/).slice(0, 2).join(' ')}`).join('\n') + '\n');
    const r = await run(
      'ssh',
      ['-F', '/dev/null', '-o', `UserKnownHostsFile=${other}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(sshd.port), `${sshd.user}@127.0.0.1`, 'true'],
      { env: { ...home.env, SSH_AUTH_SOCK: serve.socket } },
    );
    expect(r.stdout + r.stderr).toContain('Welcome to GitLab, @worker!');
    const log = await readFile(join(sc.dir, 'askpass.log'), 'utf8');
    expect(log).toMatch(/Requested for unknown host SHA256:[A-Za-z0-9+/]{43}\./);
    expect(serve.stderr()).toMatch(/session-bind - unknown host SHA256:\S+ allowed/);
  }, 60_000);
});
