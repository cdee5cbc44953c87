import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, disposeContext, type AppContext } from '../../../main/context';
import { createHandlers } from '../../../main/ipc/handlers';
import { Router } from '../../../main/ipc/router';
import { startGitHostApi, type GitHostApi } from '../../support/git-host-api';
import { startKeyring, type TestKeyring } from '../../support/keyring';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { aimAtSshd, filesContaining, keychainEntry, keygen, registerWithSshd } from './helpers';

/**
 * The window's path ("Add it for me"): publish:start-sign-in / poll-sign-in / publish-key /
 * sign-out through the router with responses checked against the contract, progress as
 * publish:progress events, and no token in any answer or event.
 */
describe('publish over IPC', () => {
  let keyring: TestKeyring;
  let restoreEnv: () => void;
  let sshd: Sshd;
  let home: TmpHome;
  let github: GitHostApi;
  let gitlab: GitHostApi;
  let ctx: AppContext;
  let router: Router;
  const sender = { transport: 'bridge' as const, token: 't', origin: 'http://127.0.0.1:1' };
  const seen: unknown[] = [];
  const call = async (channel: string, payload: unknown) => {
    const r = await router.dispatch(channel, payload, sender);
    seen.push(r);
    return r;
  };
  const waitSeconds = (s: number) => new Promise((resolve) => setTimeout(resolve, s * 1000));

  beforeAll(async () => {
    keyring = await startKeyring();
    restoreEnv = keyring.withEnv();
    sshd = await startSshd({ greeting: 'github' });
    home = await makeTmpHome('keydock-publish-ipc-');
    await aimAtSshd(home, sshd);
    github = await startGitHostApi({
      provider: 'github',
      users: [{ login: 'octocat' }],
      device: { clientId: 'Iv1.window', interval: 1, script: ['pending'], user: 'octocat' },
      onKeyAdded: registerWithSshd(sshd, home.dir, 'github'),
    });
    gitlab = await startGitHostApi({ provider: 'gitlab', users: [{ login: 'tanuki', token: 'glpat-window-token' }] });
    ctx = createContext({ env: { ...home.env, KEYDOCK_TESTER_GIT_USER: sshd.user, KEYDOCK_GITHUB_CLIENT_ID: 'Iv1.window' }, transport: 'bridge' });
    router = new Router(createHandlers(ctx), { bridgeToken: 't', bridgeOrigins: ['http://127.0.0.1:1'] }, { validateResponses: true });
  }, 60_000);
  afterAll(async () => {
    if (ctx) await disposeContext(ctx);
    await github?.stop();
    await gitlab?.stop();
    await sshd?.stop();
    await home?.cleanup();
    restoreEnv?.();
    await keyring?.stop();
  });

  it('device sign-in polled no faster than GitHub asks, publish with progress events, sign-out', async () => {
    const start = await call('publish:start-sign-in', { provider: 'github', api: github.apiUrl });
    expect(start).toMatchObject({ ok: true, value: { state: 'device', userCode: 'WDJB-MJHT', verificationUri: `${github.origin}/login/device`, interval: 1, scopes: ['write:public_key'] } });
    const sessionId = (start.ok && (start.value as { sessionId: string }).sessionId) as string;

    // The window polls at once: main answers "pending" without bothering GitHub.
    const early = await call('publish:poll-sign-in', { sessionId });
    expect(early).toMatchObject({ ok: true, value: { state: 'pending', retryAfter: 1 } });
    expect(github.polls).toEqual([]);
    let answer = early;
    while (answer.ok && (answer.value as { state: string }).state === 'pending') {
      await waitSeconds((answer.value as { retryAfter: number }).retryAfter);
      answer = await call('publish:poll-sign-in', { sessionId });
    }
    expect(answer).toEqual({ ok: true, value: { state: 'signed-in', account: 'octocat' } });
    expect(github.polls).toHaveLength(2);
    expect((github.polls[1] as number) - (github.polls[0] as number)).toBeGreaterThanOrEqual(990);
    // The session is over; a stored, working token means "signed in" from now on.
    expect(await call('publish:poll-sign-in', { sessionId })).toMatchObject({ ok: false, error: { code: 'publish-sign-in-expired' } });
    expect(await call('publish:start-sign-in', { provider: 'github', api: github.apiUrl })).toEqual({ ok: true, value: { state: 'signed-in', account: 'octocat' } });

    const key = await keygen(home);
    const steps: string[] = [];
    const testerSteps: string[] = [];
    const offA = ctx.events.on('publish:progress', (p) => {
      seen.push(p);
      if (p.runId === 'w-1') steps.push(p.step.name);
    });
    const offB = ctx.events.on('tester:progress', (p) => {
      if (p.runId === 'w-1') testerSteps.push(p.step.name);
    });
    const published = await call('publish:publish-key', { provider: 'github', api: github.apiUrl, keyPath: key.path, kind: 'account', runId: 'w-1' });
    offA();
    offB();
    expect(published).toMatchObject({ ok: true, value: { status: 'added', account: 'octocat', key: { fingerprint: key.fingerprint }, test: { works: true, message: 'works as octocat' } } });
    expect(steps).toEqual(['Read key', 'Sign in', 'Look for the key', 'Add key', 'Test connection']);
    expect(testerSteps).toContain('Authenticate');

    // No answer or event carries the token; it is in the keychain and in no file under HOME.
    const token = github.issuedTokens[0] as string;
    expect(JSON.stringify(seen)).not.toContain(token);
    expect(JSON.parse(await keychainEntry(keyring.env, `github:${new URL(github.apiUrl).host}`))).toMatchObject({ token });
    expect(await filesContaining(home.dir, token)).toEqual([]);

    expect(await call('publish:publish-key', { provider: 'github', api: github.apiUrl, keyPath: 'id_ed25519', kind: 'account' })).toMatchObject({ ok: false, error: { code: 'key-path-refused' } });
    expect(await call('publish:sign-out', { provider: 'github', api: github.apiUrl })).toEqual({ ok: true, value: { forgotten: true } });
    expect(await call('publish:publish-key', { provider: 'github', api: github.apiUrl, keyPath: key.path, kind: 'account', test: false })).toMatchObject({ ok: false, error: { code: 'publish-not-signed-in' } });
  }, 60_000);

  it('token sign-in for GitLab: the page to open, a wrong token refused, the right one stored', async () => {
    const start = await call('publish:start-sign-in', { provider: 'gitlab', api: gitlab.origin, kind: 'deploy' });
    expect(start).toMatchObject({ ok: true, value: { state: 'token', tokenUrl: `${gitlab.origin}/-/user_settings/personal_access_tokens?name=KeyDock&scopes=api`, scopes: ['api'], needsUsername: false } });
    const sessionId = (start.ok && (start.value as { sessionId: string }).sessionId) as string;
    expect(await call('publish:poll-sign-in', { sessionId })).toMatchObject({ ok: false, error: { code: 'publish-token-required' } });
    expect(await call('publish:poll-sign-in', { sessionId, token: 'glpat-wrong' })).toMatchObject({ ok: false, error: { code: 'publish-token-rejected', message: expect.stringContaining('did not accept that token') } });
    expect(await keychainEntry(keyring.env, `gitlab:${new URL(gitlab.origin).host}`)).toBe('');
    expect(await call('publish:poll-sign-in', { sessionId, token: 'glpat-window-token' })).toEqual({ ok: true, value: { state: 'signed-in', account: 'tanuki' } });
    expect(JSON.stringify(seen)).not.toContain('glpat-window-token');
    expect(JSON.parse(await keychainEntry(keyring.env, `gitlab:${new URL(gitlab.origin).host}`))).toMatchObject({ token: 'glpat-window-token' });
    // Payloads are checked by the contract before any service runs.
    expect(await call('publish:poll-sign-in', { sessionId: '../../x' })).toMatchObject({ ok: false, error: { code: 'ipc-invalid-payload' } });
    expect(await call('publish:start-sign-in', { provider: 'sourcehut' })).toMatchObject({ ok: false, error: { code: 'ipc-invalid-payload' } });
    // The servers named with an API address are kept (once each) for the walkthrough and the page allow-list.
    expect((await ctx.settings.get()).publishServers).toEqual([
      { provider: 'github', api: github.apiUrl },
      { provider: 'gitlab', api: `${gitlab.origin}/api/v4` },
    ]);
    expect(await call('publish:start-sign-in', { provider: 'gitlab', api: 'http://gitlab.example.com' })).toMatchObject({ ok: false, error: { code: 'publish-bad-api-url' } });
    expect((await ctx.settings.get()).publishServers).toHaveLength(2);
  }, 30_000);

  it("publish:setup-host previews a deploy key's HOST-OWNER-REPO alias, then writes it once", async () => {
    const key = await keygen(home, 'id_deploy_widgets', 'deploy@laptop');
    const configFile = `${home.sshDir}/config`;
    const before = await readFile(configFile, 'utf8');
    const preview = await call('publish:setup-host', { host: 'github.com', repo: 'acme/widgets', keyPath: key.path, write: false });
    expect(preview).toEqual({
      ok: true,
      value: {
        alias: 'github.com-acme-widgets',
        hostname: 'github.com',
        entry: ['# Added by KeyDock: git@github.com with its own key', 'Host github.com-acme-widgets', '  HostName github.com', '  User git', `  IdentityFile ${key.path}`, '  IdentitiesOnly yes'].join('\n'),
        written: false,
        backupFile: null,
        cloneCommand: 'git clone git@github.com-acme-widgets:acme/widgets.git',
      },
    });
    expect(await readFile(configFile, 'utf8')).toBe(before);
    const written = await call('publish:setup-host', { host: 'github.com', repo: 'acme/widgets', keyPath: key.path, write: true });
    expect(written).toMatchObject({ ok: true, value: { alias: 'github.com-acme-widgets', written: true, cloneCommand: 'git clone git@github.com-acme-widgets:acme/widgets.git' } });
    const after = await readFile(configFile, 'utf8');
    expect(after).toContain(`${(preview.ok && (preview.value as { entry: string }).entry) as string}\n`);
    expect(after.endsWith(before)).toBe(true);
    expect(await call('publish:setup-host', { host: 'github.com', repo: 'acme/widgets', keyPath: key.path, write: true })).toMatchObject({ ok: false, error: { code: 'alias-exists' } });
    expect(await call('publish:setup-host', { host: 'github.com', repo: 'not a repo', keyPath: key.path, write: false })).toMatchObject({ ok: false, error: { code: 'invalid-repo' } });
    expect(await call('publish:setup-host', { host: 'github.com', repo: 'acme/widgets', keyPath: 'id_deploy_widgets', write: true })).toMatchObject({ ok: false, error: { code: 'key-path-refused' } });
  }, 30_000);
});
