import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmod, copyFile, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestReport, TestStep } from '../../../shared/contract/connect';
import { createContext, type AppContext } from '../../../main/context';
import { applyTesterFix } from '../../../main/connect/fixes';
import { runConnectionTest } from '../../../main/connect/tester';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { freePort, startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

/**
 * Each scenario from issue #8 against a real sshd that greets like GitHub: the tester must
 * name the right cause, and applying its fix must make the next test pass.
 */
describe('connection tester scenarios', () => {
  let sshd: Sshd;
  let home: TmpHome;
  let agent: RealAgent | null = null;
  let keysDir: string;

  const keygen = async (name: string, passphrase = '') => {
    const path = join(keysDir, name);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', `${name}@test`, '-f', path]);
    return path;
  };

  beforeAll(async () => {
    sshd = await startSshd({ greeting: 'github' });
    const keysHome = await makeTmpHome('keydock-tester-keys-');
    keysDir = keysHome.dir;
  });
  afterAll(async () => {
    await sshd.stop();
  });

  beforeEach(async () => {
    home = await makeTmpHome('keydock-tester-');
  });
  afterEach(async () => {
    await agent?.stop();
    agent = null;
    await home.cleanup();
  });

  /** ~/.ssh/config aims "github.com" at the local sshd; known_hosts trusts it unless told otherwise. */
  async function setup(options: { knownHosts?: boolean; extraConfig?: string; port?: number } = {}) {
    await writeFile(
      join(home.sshDir, 'config'),
      `Host github.com\n  HostName 127.0.0.1\n  Port ${options.port ?? sshd.port}\n${options.extraConfig ?? ''}`,
    );
    if (options.knownHosts !== false) await copyFile(sshd.knownHostsFile, join(home.sshDir, 'known_hosts'));
  }

  function context(withAgent: boolean): AppContext {
    const env: NodeJS.ProcessEnv = { ...home.env, KEYDOCK_TESTER_GIT_USER: sshd.user };
    if (withAgent && agent) env.SSH_AUTH_SOCK = agent.socket;
    return createContext({ env, transport: 'cli' });
  }

  async function test(ctx: AppContext, target = 'github.com', timeoutMs = 10_000): Promise<{ report: TestReport; events: TestStep[] }> {
    const events: TestStep[] = [];
    const off = ctx.events.on('tester:progress', (p) => {
      if (p.runId === 'run-1') events.push(p.step);
    });
    const report = await runConnectionTest(ctx, target, { runId: 'run-1', timeoutMs });
    off();
    return { report, events };
  }

  it('success: names the account, the accepted key and a known host key', async () => {
    const key = await keygen('octo');
    await sshd.addKey(`${key}.pub`, 'octocat');
    agent = await startOpenSshAgent();
    await agent.sshAdd([key]);
    await setup();
    const { report, events } = await test(context(true));
    expect(report.diagnosis).toBeNull();
    expect(report).toMatchObject({ ok: true, host: '127.0.0.1', port: sshd.port, user: sshd.user, account: 'octocat', hostKey: { status: 'known', type: 'ssh-ed25519' } });
    expect(report.greeting).toContain("Hi octocat! You've successfully authenticated");
    const fp = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${key}.pub`])).stdout.split(' ')[1];
    expect(report.acceptedKey?.fingerprint).toBe(fp);
    expect(report.offeredKeys).toEqual([expect.objectContaining({ fingerprint: fp, accepted: true })]);
    // Progress was emitted per step, as it happened, and matches the report.
    expect(events.map((s) => s.name)).toEqual(report.steps.map((s) => s.name));
    expect(events.map((s) => s.name)).toEqual(expect.arrayContaining(['Read SSH config', 'Connect', 'Check host key', 'Authenticate', 'Read greeting']));
    await sshd.waitForLog(`Accepted publickey for ${sshd.user}`);
  });

  it('key not registered → add the public key → passes', async () => {
    const key = await keygen('unregistered');
    agent = await startOpenSshAgent();
    await agent.sshAdd([key]);
    await setup();
    const ctx = context(true);
    const first = await test(ctx);
    expect(first.report.ok).toBe(false);
    expect(first.report.diagnosis?.code).toBe('key-not-registered');
    expect(first.report.diagnosis?.action?.kind).toBe('copy-public-key');
    const pub = first.report.diagnosis?.action?.publicKey as string;
    expect((await readFile(`${key}.pub`, 'utf8')).startsWith(pub.split(' ').slice(0, 2).join(' '))).toBe(true);
    // The fix: add the key the tester handed out to the account.
    await writeFile(join(keysDir, 'from-tester.pub'), `${pub}\n`);
    await sshd.addKey(join(keysDir, 'from-tester.pub'), 'newcomer');
    const second = await test(ctx);
    expect(second.report).toMatchObject({ ok: true, account: 'newcomer' });
  });

  it('seven keys loaded, the right one last → too-many-keys → IdentitiesOnly fix → passes', async () => {
    agent = await startOpenSshAgent();
    const keys: string[] = [];
    for (let i = 0; i < 7; i++) keys.push(await keygen(`many${i}`));
    await sshd.addKey(`${keys[6]}.pub`, 'seventh');
    for (const k of keys) await agent.sshAdd([k]);
    await setup();
    const ctx = context(true);
    const first = await test(ctx);
    expect(first.report.diagnosis?.code).toBe('too-many-keys');
    expect(first.report.offeredKeys.length).toBeGreaterThanOrEqual(5);
    expect(first.report.offeredKeys.length).toBeLessThan(7);
    const action = first.report.diagnosis?.action;
    expect(action?.kind).toBe('add-identities-only');
    // The agent's keys have no files KeyDock knows of, so the fix pins the key by its public half.
    await applyTesterFix(ctx, { target: 'github.com', kind: 'add-identities-only', ...(action?.keyPath ? { keyPath: action.keyPath } : { publicKey: action?.publicKey as string }) });
    const config = await readFile(join(home.sshDir, 'config'), 'utf8');
    expect(config).toMatch(/IdentitiesOnly yes/);
    const second = await test(ctx);
    expect(second.report).toMatchObject({ ok: true, account: 'seventh' });
    expect(second.report.offeredKeys).toHaveLength(1);
    // And real ssh agrees with the edited config.
    const ssh = await run('ssh', ['-F', join(home.sshDir, 'config'), '-o', `UserKnownHostsFile=${join(home.sshDir, 'known_hosts')}`, '-o', 'BatchMode=yes', '-l', sshd.user, '-T', 'github.com'], {
      env: { ...home.env, SSH_AUTH_SOCK: agent.socket },
    });
    expect(ssh.stderr).toContain('Hi seventh!');
  });

  it('changed host key → remove the stale line (confirmed fingerprint) → passes', async () => {
    const key = await keygen('hk');
    await sshd.addKey(`${key}.pub`, 'hkuser');
    agent = await startOpenSshAgent();
    await agent.sshAdd([key]);
    await setup({ knownHosts: false });
    // known_hosts holds other keys of the same types for this host: a "changed" key.
    const other = await keygen('fake-host-key');
    const otherBlob = (await readFile(`${other}.pub`, 'utf8')).split(' ')[1];
    const kh = join(home.sshDir, 'known_hosts');
    await writeFile(kh, `# my hosts\nexample.org ssh-ed25519 ${otherBlob}\n[127.0.0.1]:${sshd.port} ssh-ed25519 ${otherBlob}\n`);
    const ctx = context(true);
    const first = await test(ctx);
    expect(first.report.diagnosis?.code).toBe('host-key-changed');
    expect(first.report.hostKey?.status).toBe('changed');
    expect(first.report.offeredKeys).toEqual([]);
    await expect(applyTesterFix(ctx, { target: 'github.com', kind: 'remove-stale-host-key' })).rejects.toMatchObject({ code: 'confirmation-needed' });
    await expect(applyTesterFix(ctx, { target: 'github.com', kind: 'remove-stale-host-key', fingerprint: 'SHA256:not-it' })).rejects.toMatchObject({ code: 'host-key-mismatch' });
    await applyTesterFix(ctx, { target: 'github.com', kind: 'remove-stale-host-key', fingerprint: first.report.hostKey?.fingerprint as string });
    const after = await readFile(kh, 'utf8');
    expect(after.startsWith(`# my hosts\nexample.org ssh-ed25519 ${otherBlob}\n`)).toBe(true);
    const second = await test(ctx);
    expect(second.report).toMatchObject({ ok: true, hostKey: { status: 'known' } });
  });

  it('unknown host key → trust it → passes', async () => {
    const key = await keygen('unknownhk');
    await sshd.addKey(`${key}.pub`, 'newhost');
    agent = await startOpenSshAgent();
    await agent.sshAdd([key]);
    await setup({ knownHosts: false });
    const ctx = context(true);
    const first = await test(ctx);
    expect(first.report.diagnosis?.code).toBe('host-key-unknown');
    expect(first.report.hostKey?.status).toBe('new');
    await applyTesterFix(ctx, { target: 'github.com', kind: 'trust-host-key', fingerprint: first.report.hostKey?.fingerprint as string });
    const second = await test(ctx);
    expect(second.report).toMatchObject({ ok: true, hostKey: { status: 'known' }, account: 'newhost' });
  });

  it('no agent (key has a passphrase) → agent-unreachable → start an agent and load the key → passes', async () => {
    await setup();
    const key = await keygen('id_ed25519', 'secret-pass');
    await copyFile(key, join(home.sshDir, 'id_ed25519'));
    await copyFile(`${key}.pub`, join(home.sshDir, 'id_ed25519.pub'));
    await chmod(join(home.sshDir, 'id_ed25519'), 0o600);
    await sshd.addKey(`${key}.pub`, 'noagent');
    const first = await test(context(false));
    expect(first.report.diagnosis?.code).toBe('agent-unreachable');
    expect(first.report.diagnosis?.action).toMatchObject({ kind: 'start-agent', keyPath: join(home.sshDir, 'id_ed25519') });
    agent = await startOpenSshAgent();
    await addWithPassphrase(agent, join(home.sshDir, 'id_ed25519'), 'secret-pass');
    const second = await test(context(true));
    expect(second.report).toMatchObject({ ok: true, account: 'noagent' });
  });

  it('empty agent → agent-empty with the key to load → load it → passes', async () => {
    await setup();
    const key = await keygen('id_ed25519_empty', 'pw-empty');
    await copyFile(key, join(home.sshDir, 'id_ed25519'));
    await copyFile(`${key}.pub`, join(home.sshDir, 'id_ed25519.pub'));
    await chmod(join(home.sshDir, 'id_ed25519'), 0o600);
    await sshd.addKey(`${key}.pub`, 'emptyagent');
    agent = await startOpenSshAgent();
    const ctx = context(true);
    const first = await test(ctx);
    expect(first.report.diagnosis?.code).toBe('agent-empty');
    expect(first.report.diagnosis?.action).toMatchObject({ kind: 'load-key', keyPath: join(home.sshDir, 'id_ed25519') });
    await addWithPassphrase(agent, join(home.sshDir, 'id_ed25519'), 'pw-empty');
    const second = await test(ctx);
    expect(second.report).toMatchObject({ ok: true, account: 'emptyagent' });
  });

  it('empty agent → agent-empty → KeyDock’s own load-key fix → passes', async () => {
    await setup();
    const key = await keygen('id_ed25519_loadfix', 'pw-loadfix');
    await copyFile(key, join(home.sshDir, 'id_ed25519'));
    await copyFile(`${key}.pub`, join(home.sshDir, 'id_ed25519.pub'));
    await chmod(join(home.sshDir, 'id_ed25519'), 0o600);
    await sshd.addKey(`${key}.pub`, 'loadfix');
    agent = await startOpenSshAgent();
    const ctx = context(true);
    const first = await test(ctx);
    expect(first.report.diagnosis?.code).toBe('agent-empty');
    const action = first.report.diagnosis?.action;
    expect(action).toMatchObject({ kind: 'load-key' });
    await expect(applyTesterFix(ctx, { target: 'github.com', kind: 'load-key', keyPath: action?.keyPath as string })).rejects.toMatchObject({ code: 'key-passphrase-needed' });
    const applied = await applyTesterFix(ctx, { target: 'github.com', kind: 'load-key', keyPath: action?.keyPath as string, passphrase: 'pw-loadfix' });
    expect(applied.done).toMatch(/^Loaded SHA256:/);
    expect((await agent.sshAdd(['-l'])).stdout).toContain('id_ed25519_loadfix');
    const second = await test(ctx);
    expect(second.report).toMatchObject({ ok: true, account: 'loadfix' });
  });

  it('closed port → connection-refused → fix the port → passes', async () => {
    const key = await keygen('closed');
    await sshd.addKey(`${key}.pub`, 'closed');
    agent = await startOpenSshAgent();
    await agent.sshAdd([key]);
    await setup({ port: await freePort() });
    const ctx = context(true);
    const first = await test(ctx);
    expect(first.report.diagnosis?.code).toBe('connection-refused');
    await setup();
    expect((await test(ctx)).report.ok).toBe(true);
  });

  it('a listener that never answers → timeout → fix the port → passes', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const key = await keygen('silent');
      await sshd.addKey(`${key}.pub`, 'silent');
      agent = await startOpenSshAgent();
      await agent.sshAdd([key]);
      await setup({ port });
      const ctx = context(true);
      const first = await test(ctx, 'github.com', 800);
      expect(first.report.diagnosis?.code).toBe('timeout');
      expect(first.report.diagnosis?.message).toMatch(/never answered/);
      await setup();
      expect((await test(ctx)).report.ok).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('wrong user → wrong-user → use git@ → passes', async () => {
    const key = await keygen('wronguser');
    await sshd.addKey(`${key}.pub`, 'wronguser');
    agent = await startOpenSshAgent();
    await agent.sshAdd([key]);
    await setup();
    const ctx = context(true);
    const first = await test(ctx, 'octocat@github.com');
    expect(first.report.diagnosis?.code).toBe('wrong-user');
    expect(first.report.user).toBe('octocat');
    expect((await test(ctx, `${sshd.user}@github.com`)).report.ok).toBe(true);
  });

  it('a name that does not resolve → dns-failure', async () => {
    await writeFile(join(home.sshDir, 'config'), 'Host broken\n  HostName no-such-host.invalid\n');
    const { report } = await test(context(false), 'broken');
    expect(report.diagnosis?.code).toBe('dns-failure');
    expect(report.diagnosis?.fix).toMatch(/HostName in your SSH config for "broken"/);
  });

  it('deployment key greeting names the repository', async () => {
    const key = await keygen('deploy');
    await sshd.addKey(`${key}.pub`, 'owner/repo');
    agent = await startOpenSshAgent();
    await agent.sshAdd([key]);
    await setup();
    const { report } = await test(context(true), `${sshd.user}@github.com:owner/repo.git`);
    expect(report).toMatchObject({ ok: true, account: 'deployment key for owner/repo', deployKeyRepo: 'owner/repo' });
  });
});

/** ssh-add reads a passphrase from SSH_ASKPASS when forced; no terminal needed. */
async function addWithPassphrase(agent: RealAgent, key: string, passphrase: string): Promise<void> {
  const askpass = `${key}.askpass.sh`;
  await writeFile(askpass, `#!/bin/sh\necho '${passphrase}'\n`, { mode: 0o700 });
  const r = await agent.sshAdd([key], { env: { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' } });
  if (r.code !== 0) throw new Error(`ssh-add failed: ${r.stderr}`);
}
