import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmod, copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { runCliInMemory } from '../../support/memory-io';

const BIN = fileURLToPath(new URL('../../../bin/keydock.cjs', import.meta.url));


describe('keydock test / doctor / setup-host', () => {
  let sshd: Sshd;
  let home: TmpHome;
  let agent: RealAgent;
  let env: NodeJS.ProcessEnv;

  const keygen = async (name: string) => {
    const path = join(home.dir, name);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@cli`, '-f', path]);
    return path;
  };
  const cli = (argv: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCliInMemory(argv, { ...env, ...extraEnv });

  beforeAll(async () => {
    sshd = await startSshd({ greeting: 'gitlab' });
  });
  afterAll(async () => {
    await sshd.stop();
  });
  beforeEach(async () => {
    home = await makeTmpHome('keydock-cli-');
    agent = await startOpenSshAgent();
    env = { ...home.env, SSH_AUTH_SOCK: agent.socket, KEYDOCK_TESTER_GIT_USER: sshd.user };
    await writeFile(join(home.sshDir, 'config'), `Host gitlab.com\n  HostName 127.0.0.1\n  Port ${sshd.port}\n`);
  });
  afterEach(async () => {
    await agent.stop();
    await home.cleanup();
  });

  it('test --json: exit 0 with the GitLab account; human output names the account and steps', async () => {
    const key = await keygen('gl');
    await sshd.addKey(`${key}.pub`, 'tanuki');
    await agent.sshAdd([key]);
    await copyFile(sshd.knownHostsFile, join(home.sshDir, 'known_hosts'));
    const json = await cli(['--json', 'test', 'gitlab.com']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: true, account: 'tanuki', greeting: 'Welcome to GitLab, @tanuki!', hostKey: { status: 'known' } });
    const human = await cli(['test', 'gitlab.com']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('works (tanuki)');
    expect(human.stdout).toMatch(/ok {3}Authenticate/);
  });

  it('test --fix: unknown host key needs --yes; with it the next run passes', async () => {
    const key = await keygen('glfix');
    await sshd.addKey(`${key}.pub`, 'fixer');
    await agent.sshAdd([key]);
    const first = await cli(['test', '--fix', 'gitlab.com']);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/not applying "trust-host-key" without --yes/);
    expect(first.stdout).toContain('Problem (host-key-unknown)');
    const second = await cli(['--json', 'test', '--fix', '--yes', 'gitlab.com']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: true, account: 'fixer', fixApplied: expect.stringContaining('Trusted') });
    // Debian's /etc/ssh/ssh_config says HashKnownHosts yes, so the line may be hashed: ask ssh-keygen.
    const found = await run('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', join(home.sshDir, 'known_hosts')]);
    expect(found.stdout).toMatch(/found: line 1/);
  });

  it('test: usage errors exit 2, a failing test exits 1 with a diagnosis in JSON', async () => {
    expect((await cli(['test', 'user@'])).code).toBe(2);
    expect((await cli(['test', '--timeout', 'soon', 'gitlab.com'])).code).toBe(2);
    await copyFile(sshd.knownHostsFile, join(home.sshDir, 'known_hosts'));
    const key = await keygen('stranger');
    await agent.sshAdd([key]);
    const r = await cli(['--json', 'test', 'gitlab.com']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).diagnosis).toMatchObject({ code: 'key-not-registered', action: { kind: 'copy-public-key', url: 'https://gitlab.com/-/user_settings/ssh_keys' } });
  });

  it('runs as a real process: node bin/keydock.cjs test', async () => {
    const key = await keygen('proc');
    await sshd.addKey(`${key}.pub`, 'proc');
    await agent.sshAdd([key]);
    await copyFile(sshd.knownHostsFile, join(home.sshDir, 'known_hosts'));
    const r = await run(process.execPath, [BIN, '--json', 'test', 'gitlab.com'], { env });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, account: 'proc' });
  });

  it('doctor finds permissions, duplicate blocks, IdentitiesOnly and GIT_SSH_COMMAND; --fix repairs the safe ones', async () => {
    await chmod(home.sshDir, 0o755);
    const key = await keygen('.ssh/id_ed25519');
    await chmod(key, 0o644);
    const keys: string[] = [];
    for (let i = 0; i < 6; i++) keys.push(await keygen(`extra${i}`));
    for (const k of keys) await agent.sshAdd([k]);
    await writeFile(
      join(home.sshDir, 'config'),
      `Host work\n  HostName github.com\n  User git\n  IdentityFile ${keys[0]}\nHost work\n  User other\n`,
    );
    const extra = { GIT_SSH_COMMAND: 'plink -batch' };
    const before = await cli(['--json', 'doctor'], extra);
    expect(before.code).toBe(1);
    const findings = JSON.parse(before.stdout).findings as Array<{ id: string; severity: string; canFix: boolean }>;
    const byId = (p: string) => findings.find((f) => f.id.startsWith(p));
    expect(byId('ssh-dir-permissions')).toMatchObject({ severity: 'warning', canFix: true });
    expect(byId(`key-permissions:${key}`)).toMatchObject({ severity: 'error', canFix: true });
    expect(byId('duplicate-host:work')).toMatchObject({ severity: 'warning', canFix: false });
    expect(byId('conflict:work:user')).toMatchObject({ severity: 'warning' });
    expect(byId('identities-only:work')).toMatchObject({ severity: 'warning', canFix: true });
    expect(byId('git-ssh')).toMatchObject({ severity: 'warning' });
    expect(byId(`key-not-loaded:${key}`)).toMatchObject({ severity: 'info' });
    expect(byId('agent')).toMatchObject({ severity: 'ok' });

    const fixed = await cli(['--json', 'doctor', '--fix'], extra);
    const after = JSON.parse(fixed.stdout);
    expect(after.fixed).toEqual(expect.arrayContaining(['ssh-dir-permissions', `key-permissions:${key}`, 'identities-only:work']));
    expect((await stat(home.sshDir)).mode & 0o777).toBe(0o700);
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    const g = await run('ssh', ['-G', '-F', join(home.sshDir, 'config'), 'work']);
    expect(g.stdout).toContain('identitiesonly yes');
    expect(await readFile(join(home.sshDir, 'config.keydock-backup'), 'utf8')).toContain('Host work');
    // What is left needs a human: the duplicate block and Git's plink.
    expect(fixed.code).toBe(1);
    expect(after.findings.some((f: { id: string }) => f.id.startsWith('identities-only'))).toBe(false);
  });

  it('doctor: no agent is an error with plain advice', async () => {
    const r = await cli(['--json', 'doctor'], { SSH_AUTH_SOCK: '' });
    const agentFinding = JSON.parse(r.stdout).findings.find((f: { id: string }) => f.id === 'agent');
    expect(agentFinding).toMatchObject({ severity: 'error', title: 'No SSH agent' });
  });

  it('setup-host writes a Host alias ssh agrees with and prints the remote URL', async () => {
    const key = await keygen('.ssh/id_myrepo');
    await mkdir(home.sshDir, { recursive: true });
    const r = await cli(['--json', 'setup-host', 'github', '--repo', 'owner/myrepo', '--key', key]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ alias: 'github.com-owner-myrepo', remoteUrl: 'git@github.com-owner-myrepo:owner/myrepo.git', addKeyUrl: 'https://github.com/owner/myrepo/settings/keys/new', keyPath: key });
    expect(res.accessHelp).toMatch(/read-only/);
    expect(res.publicKey).toBe((await readFile(`${key}.pub`, 'utf8')).trim());
    const g = await run('ssh', ['-G', '-F', join(home.sshDir, 'config'), 'github.com-owner-myrepo']);
    expect(g.stdout).toMatch(/^hostname github\.com$/m);
    expect(g.stdout).toMatch(/^user git$/m);
    expect(g.stdout).toMatch(/^identitiesonly yes$/m);
    expect(g.stdout).toContain(`identityfile ${key}`);
    // The earlier Host block is still there, byte for byte, after the new one.
    expect(await readFile(join(home.sshDir, 'config'), 'utf8')).toContain(`Host gitlab.com\n  HostName 127.0.0.1\n  Port ${sshd.port}\n`);
    const again = await cli(['setup-host', 'github', '--repo', 'owner/myrepo', '--key', key]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has "Host github.com-owner-myrepo"/);
    // Without --key, a new Ed25519 key is created for the alias; ssh-keygen can read it.
    const gen = await cli(['--json', 'setup-host', 'gitlab', '--account', 'work', '--no-passphrase']);
    expect(gen.code, gen.stderr).toBe(0);
    const made = JSON.parse(gen.stdout);
    expect(made).toMatchObject({ alias: 'gitlab.com-work', generated: true, keyPath: join(home.sshDir, 'id_ed25519_gitlab.com-work'), remoteUrl: null });
    const fp = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', made.keyPath]);
    expect(fp.stdout).toContain(made.fingerprint);
    expect((await stat(made.keyPath)).mode & 0o777).toBe(0o600);
  });
});
