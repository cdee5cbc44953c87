import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createContext, disposeContext, type AppContext } from '../../../main/context';
import { createHandlers } from '../../../main/ipc/handlers';
import { Router } from '../../../main/ipc/router';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// The app's path: contract-validated requests and responses, progress events, the fix loop.
describe('tester and doctor over IPC', () => {
  let sshd: Sshd;
  let home: TmpHome;
  let agent: RealAgent;
  let ctx: AppContext;
  let router: Router;
  const sender = { transport: 'bridge' as const, token: 't', origin: 'http://127.0.0.1:1' };

  beforeAll(async () => {
    sshd = await startSshd({ greeting: 'bitbucket' });
    home = await makeTmpHome('keydock-ipc-');
    agent = await startOpenSshAgent();
    const key = join(home.dir, 'bb');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    await sshd.addKey(`${key}.pub`, 'bbuser');
    await agent.sshAdd([key]);
    await writeFile(join(home.sshDir, 'config'), `Host bitbucket.org\n  HostName 127.0.0.1\n  Port ${sshd.port}\n`);
    ctx = createContext({ env: { ...home.env, SSH_AUTH_SOCK: agent.socket, KEYDOCK_TESTER_GIT_USER: sshd.user }, transport: 'bridge' });
    router = new Router(createHandlers(ctx), { bridgeToken: 't', bridgeOrigins: ['http://127.0.0.1:1'] }, { validateResponses: true });
  });
  afterAll(async () => {
    await disposeContext(ctx);
    await agent.stop();
    await sshd.stop();
    await home.cleanup();
  });

  it('lists presets', async () => {
    const r = await router.dispatch('tester:list-presets', {}, sender);
    expect(r.ok && (r.value as Array<{ id: string }>).map((p) => p.id)).toEqual(['github', 'gitlab', 'bitbucket']);
  });

  it('run-test streams progress, trust-host-key fixes an unknown host, the next run passes', async () => {
    const steps: string[] = [];
    const off = ctx.events.on('tester:progress', (p) => {
      if (p.runId === 'ui-1') steps.push(p.step.name);
    });
    const first = await router.dispatch('tester:run-test', { target: 'bitbucket.org', runId: 'ui-1' }, sender);
    off();
    expect(first.ok).toBe(true);
    const report = first.ok ? (first.value as { ok: boolean; diagnosis: { code: string } | null; hostKey: { fingerprint: string } }) : null;
    expect(report?.ok).toBe(false);
    expect(report?.diagnosis?.code).toBe('host-key-unknown');
    expect(steps).toContain('Check host key');
    const fix = await router.dispatch('tester:apply-fix', { target: 'bitbucket.org', kind: 'trust-host-key', fingerprint: report?.hostKey.fingerprint }, sender);
    expect(fix).toEqual({ ok: true, value: { done: true } });
    const second = await router.dispatch('tester:run-test', { target: 'bitbucket.org' }, sender);
    expect(second.ok && second.value).toMatchObject({ ok: true, greeting: expect.stringContaining('You can use git to connect to Bitbucket'), account: null });
  });

  it('apply-fix refuses a fingerprint nobody saw', async () => {
    const r = await router.dispatch('tester:apply-fix', { target: 'bitbucket.org', kind: 'remove-stale-host-key', fingerprint: 'SHA256:nope' }, sender);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('host-key-mismatch');
  });

  it('doctor runs and fixes a permission problem by id', async () => {
    await chmod(home.sshDir, 0o750);
    const checks = await router.dispatch('doctor:run-checks', {}, sender);
    expect(checks.ok && (checks.value as Array<{ id: string; canFix: boolean }>).find((f) => f.id === 'ssh-dir-permissions')).toMatchObject({ canFix: true });
    const fixed = await router.dispatch('doctor:apply-fix', { id: 'ssh-dir-permissions' }, sender);
    expect(fixed.ok && fixed.value).toMatchObject({ id: 'ssh-dir-permissions', severity: 'ok' });
    const again = await router.dispatch('doctor:apply-fix', { id: 'no-such-finding' }, sender);
    expect(!again.ok && again.error.code).toBe('finding-gone');
  });

  it('tester:which answers what ssh would do (response checked against the contract), and refuses what ssh refuses', async () => {
    const r = await router.dispatch('tester:which', { target: 'bitbucket.org' }, sender);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.ok && r.value).toMatchObject({ host: 'bitbucket.org', hostname: '127.0.0.1', port: sshd.port, identityagent: agent.socket, agent: { state: 'running', keycount: 1 } });
    expect(r.ok && (r.value as { offers: unknown[] }).offers).toHaveLength(1);
    const bad = await router.dispatch('tester:which', { target: 'a,b' }, sender);
    expect(!bad.ok && bad.error.code).toBe('invalid-host');
  });
});
