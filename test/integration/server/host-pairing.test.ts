import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { KEYDOCK_BIN, keygen, scratch, startServe, type ServeProcess } from './serve-process';

// Keys that remember their hosts: an sshd that gives up after two keys, seven keys in the agent
// with the one it accepts added last. Plain `ssh` fails until one login with `-i` teaches
// KeyDock's agent which key opens this host; from then on that key is offered first.
let home: TmpHome;
let sc: Awaited<ReturnType<typeof scratch>>;
let sshd: Sshd;
let serve: ServeProcess | null = null;
let opensshAgent: RealAgent | null = null;
const keys: string[] = [];
let accepted: string;
let acceptedFp: string;

beforeAll(async () => {
  home = await makeTmpHome('kd-pair-');
  sc = await scratch();
  sshd = await startSshd({ greeting: 'gitlab', extraConfig: ['MaxAuthTries 2'] });
  await mkdir(join(sc.dir, 'pub'));
  for (let i = 0; i < 7; i++) {
    const k = await keygen(sc.dir, `k${i}`, 'ed25519');
    keys.push(k);
    await copyFile(`${k}.pub`, join(sc.dir, 'pub', `${basename(k)}.pub`));
  }
  accepted = keys[6] as string;
  await sshd.addKey(`${accepted}.pub`, 'seventh');
  const fp = await run('ssh-keygen', ['-l', '-f', `${accepted}.pub`]);
  acceptedFp = (/(SHA256:\S+)/.exec(fp.stdout) as RegExpExecArray)[1] as string;
  serve = await startServe(['--verbose'], home.env);
  for (const k of keys) expect((await serve.sshAdd([k])).code).toBe(0);
}, 180_000);

afterAll(async () => {
  await serve?.stop();
  await opensshAgent?.stop();
  await sshd?.stop();
  await sc?.cleanup();
  await home?.cleanup();
});

const pairingsFile = () => join(home.dir, '.local', 'state', 'keydock', 'host-pairings.json');

/** ssh with nothing but the agent: no config file, no identity files of its own. */
function plainSsh(socket: string, extra: string[] = []) {
  return run(
    'ssh',
    [
      '-F', '/dev/null',
      '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes',
      '-o', 'PasswordAuthentication=no',
      '-o', 'KbdInteractiveAuthentication=no',
      '-p', String(sshd.port),
      ...extra,
      `${sshd.user}@127.0.0.1`,
      'true',
    ],
    { env: { ...home.env, SSH_AUTH_SOCK: socket } },
  );
}

function keydock(args: string[]) {
  return run(process.execPath, [KEYDOCK_BIN, ...args], { env: home.env });
}

describe('keys that remember their hosts', () => {
  it('fails with OpenSSH ssh-agent: the accepted key comes seventh and sshd stops after two', async () => {
    opensshAgent = await startOpenSshAgent();
    for (const k of keys) expect((await opensshAgent.sshAdd([k])).code).toBe(0);
    const r = await plainSsh(opensshAgent.socket);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Too many authentication failures|Permission denied/);
    await opensshAgent.stop();
    opensshAgent = null;
  }, 60_000);

  it('fails through KeyDock the first time, then one login with -i teaches it the key', async () => {
    const s = serve as ServeProcess;
    const first = await plainSsh(s.socket);
    expect(first.code).not.toBe(0);

    const withKey = await plainSsh(s.socket, ['-o', 'IdentitiesOnly=yes', '-i', join(sc.dir, 'pub', `${basename(accepted)}.pub`)]);
    expect(withKey.stderr + withKey.stdout).toContain('Welcome to GitLab, @seventh!');
    expect(withKey.code).toBe(0);

    for (let i = 0; i < 3; i++) {
      const again = await plainSsh(s.socket);
      expect(again.stderr + again.stdout).toContain('Welcome to GitLab, @seventh!');
      expect(again.code).toBe(0);
    }
  }, 120_000);

  it('keeps only fingerprints, in a 0600 file, and remembers them after a restart', async () => {
    await (serve as ServeProcess).stop();
    const text = await readFile(pairingsFile(), 'utf8');
    expect(text).toContain(acceptedFp);
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain(sshd.user === 'root' ? '"root"' : sshd.user);
    expect((await stat(pairingsFile())).mode & 0o777).toBe(0o600);

    serve = await startServe(['--verbose'], home.env);
    for (const k of keys) expect((await serve.sshAdd([k])).code).toBe(0);
    const r = await plainSsh(serve.socket);
    expect(r.stderr + r.stdout).toContain('Welcome to GitLab, @seventh!');
    expect(r.code).toBe(0);
  }, 120_000);

  it('lists the pairing and forgets it: the old order comes back', async () => {
    const list = await keydock(['hosts', 'list', '--json']);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { pairings: Array<{ key: string; host: string }> };
    expect(listed.pairings.some((p) => p.key === acceptedFp)).toBe(true);

    const forget = await keydock(['hosts', 'forget', acceptedFp]);
    expect(forget.code).toBe(0);
    expect(forget.stdout).toMatch(/Forgot 1 pairing/);

    const r = await plainSsh((serve as ServeProcess).socket);
    expect(r.code).not.toBe(0);
  }, 120_000);
});
