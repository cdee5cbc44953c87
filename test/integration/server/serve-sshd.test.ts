import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { keygen, scratch, startServe, type ServeProcess } from './serve-process';

// Two local sshds: "relay" runs real shells and allows agent forwarding (our own config
// lines on top of test/support/sshd.ts), "git" answers like GitLab.
let home: TmpHome;
let sc: Awaited<ReturnType<typeof scratch>>;
let serve: ServeProcess;
let relay: Sshd;
let git: Sshd;
let key: string;
let otherKey: string;
let config: string;
let knownHosts: string;

beforeAll(async () => {
  home = await makeTmpHome('kd-sshd-');
  sc = await scratch();
  [relay, git] = await Promise.all([
    startSshd({ extraConfig: ['AllowAgentForwarding yes'], forceCommand: null }),
    startSshd({ greeting: 'gitlab' }),
  ]);
  // test/support/sshd.ts shares one set of host keys between sshds; destinations need distinct ones.
  await relay.rotateHostKeys();
  await relay.restart();
  key = await keygen(sc.dir, 'alice', 'ed25519');
  otherKey = await keygen(sc.dir, 'bob', 'rsa', 3072);
  // ssh falls back to the private file next to an IdentityFile .pub: offer public halves only.
  await mkdir(join(sc.dir, 'pub'));
  for (const k of [key, otherKey]) {
    await relay.authorize((await readFile(`${k}.pub`, 'utf8')).trim());
    await copyFile(`${k}.pub`, pubOnly(k));
  }
  await git.addKey(`${key}.pub`, 'alice');
  await git.addKey(`${otherKey}.pub`, 'bob');

  knownHosts = join(sc.dir, 'known_hosts');
  const hostLines = (alias: string, s: Sshd) => s.hostKeys.map((l) => `${alias} ${l.split(/\s+/).slice(0, 2).join(' ')}`);
  await writeFile(knownHosts, [...hostLines('relay', relay), ...hostLines('git', git)].join('\n') + '\n');
  config = join(sc.dir, 'ssh_config');
  const hostBlock = (alias: string, s: Sshd, forward: boolean) => [
    `Host ${alias}`,
    '  HostName 127.0.0.1',
    `  Port ${s.port}`,
    `  HostKeyAlias ${alias}`,
    `  User ${s.user}`,
    `  UserKnownHostsFile ${knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '  IdentitiesOnly yes',
    '  RequestTTY no',
    `  ForwardAgent ${forward ? 'yes' : 'no'}`,
  ];
  await writeFile(config, [...hostBlock('relay', relay, true), ...hostBlock('git', git, false), ''].join('\n'));
  serve = await startServe(['--verbose'], home.env);
}, 180_000); // key generation and two real daemons on a busy 2-core machine

afterAll(async () => {
  await serve?.stop();
  await relay?.stop();
  await git?.stop();
  await sc?.cleanup();
  await home?.cleanup();
});

function pubOnly(k: string): string {
  return join(sc.dir, 'pub', `${basename(k)}.pub`);
}

function ssh(args: string[], identity = key) {
  return run('ssh', ['-F', config, '-o', `IdentityFile=${pubOnly(identity)}`, ...args], { env: { ...home.env, SSH_AUTH_SOCK: serve.socket } });
}

describe('ssh and plink signing through keydock serve', () => {
  it('ssh -T authenticates with keys held by KeyDock (ed25519 and RSA)', async () => {
    expect((await serve.sshAdd([key, otherKey])).code).toBe(0);
    const a = await ssh(['-T', 'git']);
    expect(a.stdout, a.stderr).toContain('Welcome to GitLab, @alice!');
    expect(a.code).toBe(0);
    const b = await ssh(['-T', 'git'], otherKey);
    expect(b.stdout, b.stderr).toContain('Welcome to GitLab, @bob!');
    // ssh bound the connection to the host first, so the log knows where the signature went
    expect(serve.stderr()).toMatch(/ssh \(pid \d+, \/usr\/bin\/ssh\) session-bind - unknown host SHA256:\S+ allowed authentication/);
    expect(serve.stderr()).toMatch(/ssh \(pid \d+, \/usr\/bin\/ssh\) sign SHA256:\S+ unknown host SHA256:\S+ allowed/);
    expect((await serve.sshAdd(['-D'])).code).toBe(0);
  });

  it('plink -agent authenticates through KeyDock', async () => {
    expect((await serve.sshAdd([key])).code).toBe(0);
    const fps: string[] = [];
    for (const line of git.hostKeys) {
      const f = join(sc.dir, 'hostkey.pub');
      await writeFile(f, line + '\n');
      fps.push((await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', f])).stdout.split(/\s+/)[1] as string);
    }
    const r = await run('plink', ['-ssh', '-batch', '-agent', '-P', String(git.port), '-l', git.user, ...fps.flatMap((f) => ['-hostkey', f]), '127.0.0.1', 'anything'], {
      env: { ...home.env, SSH_AUTH_SOCK: serve.socket },
    });
    expect(r.stdout, r.stderr).toContain('Welcome to GitLab, @alice!');
    expect(serve.stderr()).toMatch(/plink \(pid \d+, \/usr\/bin\/plink\) sign SHA256:\S+ .*allowed/);
    expect((await serve.sshAdd(['-D'])).code).toBe(0);
  });
});

describe('destination constraints (ssh-add -h) enforced like OpenSSH’s agent', () => {
  it('a key restricted to one host signs for that host only, and stays listed for local use', async () => {
    const add = await serve.sshAdd(['-H', knownHosts, '-h', 'git', key]);
    expect(add.code, add.stderr).toBe(0);
    expect((await serve.sshAdd(['-l'])).stdout).toContain('alice@keydock-test');
    const ok = await ssh(['-T', 'git']);
    expect(ok.stdout, ok.stderr).toContain('Welcome to GitLab, @alice!');
    expect(serve.stderr()).toMatch(/sign SHA256:\S+ \S+@git allowed/);
    const refused = await ssh(['relay', 'true']);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain('Permission denied (publickey)');
    expect((await serve.sshAdd(['-D'])).code).toBe(0);
  });

  it('ssh -A: a forwarded agent cannot use a key beyond the hosts the constraint names', async () => {
    // Allowed to log into the relay only: on the relay, the forwarded agent must not offer it onwards.
    expect((await serve.sshAdd(['-H', knownHosts, '-h', 'relay', key])).code).toBe(0);
    const inner = `ssh -F ${config} -o IdentityFile=${pubOnly(key)} -T git; echo "inner exit $?"; ssh-add -l; echo "list exit $?"`;
    const hop = await ssh(['relay', inner]);
    expect(hop.code, hop.stderr).toBe(0);
    expect(hop.stdout).toContain('inner exit 255');
    expect(hop.stdout).not.toContain('Welcome to GitLab');
    expect(hop.stdout).toContain('The agent has no identities.');
    expect(hop.stderr).toContain('Permission denied (publickey)');
    expect(serve.stderr()).toMatch(/session-bind - unknown host SHA256:\S+ allowed forwarding hop/);

    // relay>git added: the same forwarded hop now succeeds.
    expect((await serve.sshAdd(['-H', knownHosts, '-h', 'relay', '-h', 'relay>git', key])).code).toBe(0);
    const hop2 = await ssh(['relay', inner]);
    expect(hop2.stdout, hop2.stderr).toContain('Welcome to GitLab, @alice!');
    expect(hop2.stdout).toContain('inner exit 0');
    expect((await serve.sshAdd(['-D'])).code).toBe(0);
  });
});
