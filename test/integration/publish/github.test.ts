import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHostApi, type GitHostApi } from '../../support/git-host-api';
import { startKeyring, type TestKeyring } from '../../support/keyring';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { aimAtSshd, cli, filesContaining, keychainEntry, keygen, registerWithSshd } from './helpers';

/**
 * `keydock publish --to github` end to end, all on this machine: a fake GitHub (Enterprise
 * layout, --api http://127.0.0.1:PORT/api/v3) answering as GitHub's docs say, a real
 * gnome-keyring for the token, and a local sshd greeting like GitHub for the connection test.
 */
describe('keydock publish --to github', () => {
  let keyring: TestKeyring;
  let restoreEnv: () => void;
  let sshd: Sshd;
  let home: TmpHome;
  let fake: GitHostApi;
  let env: NodeJS.ProcessEnv;
  const account = () => `github:${new URL(fake.apiUrl).host}`;

  beforeAll(async () => {
    keyring = await startKeyring();
    restoreEnv = keyring.withEnv();
    sshd = await startSshd({ greeting: 'github' });
  }, 120_000);
  afterAll(async () => {
    restoreEnv?.();
    await sshd?.stop();
    await keyring?.stop();
  });
  beforeEach(async () => {
    home = await makeTmpHome('keydock-publish-gh-');
    await aimAtSshd(home, sshd);
  });
  afterEach(async () => {
    await fake?.stop();
    await home.cleanup();
  });

  const start = async (opts: Partial<Parameters<typeof startGitHostApi>[0]> = {}) => {
    fake = await startGitHostApi({
      provider: 'github',
      users: [{ login: 'octocat' }, { login: 'someone', token: 'ghp_someone', scopes: ['write:public_key'] }],
      repos: [
        { path: 'octo/app', admins: ['octocat'] },
        { path: 'octo/docs', admins: ['someone'], readers: ['octocat'] },
        { path: 'someone/secret', admins: ['someone'] },
      ],
      pageSize: 2,
      device: { clientId: 'Iv1.keydocktest', interval: 1, script: ['pending'], user: 'octocat' },
      onKeyAdded: registerWithSshd(sshd, home.dir, 'github'),
      ...opts,
    });
    env = { ...home.env, KEYDOCK_TESTER_GIT_USER: sshd.user, KEYDOCK_GITHUB_CLIENT_ID: 'Iv1.keydocktest' };
  };

  it('signs in with the device flow, adds the account key, the connection works as octocat; again: already there; the token lives in the keychain only', async () => {
    await start();
    const key = await keygen(home);
    // Three keys already on the account: with two per page, listing takes two pages.
    for (let i = 0; i < 3; i++) {
      const other = await keygen(home, `other${i}`);
      fake.seedKey({ kind: 'account', owner: 'octocat', key: other.pub, title: `other ${i}`, readOnly: false });
    }

    const first = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl, '--json'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.json).toMatchObject({ ok: true, status: 'added', kind: 'account', account: 'octocat', key: { fingerprint: key.fingerprint }, test: { works: true, account: 'octocat' } });
    expect(first.stderr).toContain(`open ${fake.origin}/login/device and enter the code WDJB-MJHT`);
    expect(first.stderr).toContain('write:public_key');
    // Only the scope this kind of key needs was asked for.
    const codeRequest = fake.requests.find((r) => r.url === '/login/device/code');
    expect(new URLSearchParams(codeRequest?.body).get('scope')).toBe('write:public_key');
    // Both pages were read before adding.
    expect(fake.requests.some((r) => r.method === 'GET' && r.url.startsWith('/api/v3/user/keys') && r.url.includes('page=2'))).toBe(true);
    expect(fake.keys().filter((k) => k.owner === 'octocat' && k.kind === 'account')).toHaveLength(4);
    expect(fake.keys().find((k) => k.key.includes(key.pub.split(' ')[1] as string))?.title).toMatch(/^me@laptop \(.+, via KeyDock\)$/);

    // The token: in the keychain (service "KeyDock publish", account github:HOST), nowhere under HOME, never in a URL.
    const token = fake.issuedTokens[0] as string;
    expect(token).toBeTruthy();
    expect(JSON.parse(await keychainEntry(keyring.env, account()))).toMatchObject({ token, method: 'device', scopes: ['write:public_key'] });
    expect(await filesContaining(home.dir, token)).toEqual([]);
    expect(first.stdout + first.stderr).not.toContain(token);
    expect(fake.requests.filter((r) => r.url.includes(token))).toEqual([]);
    expect(fake.requests.filter((r) => r.url.startsWith('/api/v3/')).every((r) => r.headers.authorization === `Bearer ${token}`)).toBe(true);

    // A second run: signed in already, the key is found, nothing is added twice.
    const deviceCodes = fake.requests.filter((r) => r.url === '/login/device/code').length;
    const second = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('is already on GitHub (127.0.0.1');
    expect(second.stdout).toContain('nothing added');
    expect(second.stdout).toContain('works as octocat');
    expect(fake.requests.filter((r) => r.url === '/login/device/code')).toHaveLength(deviceCodes);
    expect(fake.keys().filter((k) => k.owner === 'octocat')).toHaveLength(4);
  }, 120_000);

  it('adds a read-only deploy key that works for octo/app; a key in use elsewhere and a repository without admin rights are plain refusals', async () => {
    await start({ users: [{ login: 'octocat', token: 'ghp_octocat_classic', scopes: ['repo', 'write:public_key'] }, { login: 'someone', token: 'ghp_someone', scopes: ['write:public_key'] }] });
    const key = await keygen(home, 'id_ed25519', 'deploy@ci');
    const ok = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl, '--repo', 'octo/app', '--token-stdin', '--json'], env, 'ghp_octocat_classic\n');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.json).toMatchObject({ status: 'added', kind: 'deploy', repo: 'octo/app', key: { readOnly: true }, test: { works: true, message: 'works: deploy key for octo/app' } });
    expect(fake.keys().find((k) => k.kind === 'deploy')).toMatchObject({ owner: 'octo/app', readOnly: true });
    expect(JSON.parse(fake.requests.find((r) => r.method === 'POST' && r.url === '/api/v3/repos/octo/app/keys')?.body ?? '{}')).toMatchObject({ read_only: true, key: key.pub.split(' ').slice(0, 2).join(' ') });

    // The same key for another repository: GitHub's 422 "key is already in use".
    const other = await keygen(home, 'reader', 'reader@laptop');
    const again = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl, '--repo', 'octo/app', '--json'], env);
    expect(again.json).toMatchObject({ ok: true, status: 'already-there' });
    const inUse = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl, '--json'], env);
    expect(inUse.code).toBe(1);
    expect(inUse.json.error).toMatchObject({ code: 'publish-key-in-use' });
    expect(inUse.json.error?.message).toContain('already in use');
    expect(inUse.json.error?.hint).toContain('keydock keygen');

    // A repository octocat can read but not administer (403), and one it cannot see (404).
    const reader = await cli(['publish', other.path, '--to', 'github', '--api', fake.apiUrl, '--repo', 'octo/docs', '--json'], env);
    expect(reader.code).toBe(1);
    expect(reader.json.error).toMatchObject({ code: 'publish-no-admin-rights' });
    expect(reader.json.error?.message).toContain('HTTP 403: Must have admin rights to Repository.');
    expect(reader.json.error?.hint).toContain(`${fake.origin}/octo/docs/settings/keys`);
    const hidden = await cli(['publish', other.path, '--to', 'github', '--api', fake.apiUrl, '--repo', 'someone/secret'], env);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain('does not exist under that name, or your account lacks admin rights');
    expect(fake.keys().filter((k) => k.kind === 'deploy')).toHaveLength(1);
  }, 120_000);

  it('forgets a revoked token and signs in again; rate limits and sign-out are reported plainly', async () => {
    await start({ users: [{ login: 'octocat', token: 'ghp_old', scopes: ['write:public_key'] }], device: { clientId: 'Iv1.keydocktest', interval: 1, user: 'octocat' } });
    const key = await keygen(home);
    const first = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl, '--token-stdin', '--no-test', '--json'], env, 'ghp_old\n');
    expect(first.json, first.stdout + first.stderr).toMatchObject({ ok: true, status: 'added', test: null });
    expect(JSON.parse(await keychainEntry(keyring.env, account()))).toMatchObject({ token: 'ghp_old', method: 'token' });

    fake.revoke('ghp_old');
    const again = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl, '--no-test', '--json'], env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stderr).toContain('no longer accepts the saved sign-in');
    expect(again.stderr).toContain('WDJB-MJHT');
    expect(again.json).toMatchObject({ status: 'already-there' });
    const stored = JSON.parse(await keychainEntry(keyring.env, account())) as { token: string };
    expect(stored.token).toBe(fake.issuedTokens[0]);

    fake.rateLimited = true;
    const limited = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl, '--json'], env);
    expect(limited.code).toBe(1);
    expect(limited.json.error).toMatchObject({ code: 'publish-rate-limited' });
    expect(limited.json.error?.hint).toMatch(/Try again in (about 2 minutes|1[0-2]\d seconds); nothing was changed\./);
    // A rate limit is not a rejected token: the sign-in is kept.
    expect(await keychainEntry(keyring.env, account())).not.toBe('');

    const out = await cli(['publish', '--sign-out', '--to', 'github', '--api', fake.apiUrl, '--json'], env);
    expect(out.json).toMatchObject({ ok: true, forgotten: true });
    expect(await keychainEntry(keyring.env, account())).toBe('');
    const twice = await cli(['publish', '--sign-out', '--to', 'github', '--api', fake.apiUrl], env);
    expect(twice.stdout).toContain('had no saved sign-in');
  }, 120_000);

  it('adds a signing key with only write:ssh_signing_key and says how to use it', async () => {
    await start({ device: { clientId: 'Iv1.keydocktest', interval: 1, user: 'octocat' } });
    const key = await keygen(home, 'id_signing', 'signing@laptop');
    const r = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl, '--signing', '--title', 'laptop signing', '--json'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json).toMatchObject({ status: 'added', kind: 'signing', test: null, key: { title: 'laptop signing' } });
    expect(r.json.summary).toContain('gpg.format ssh');
    expect(new URLSearchParams(fake.requests.find((q) => q.url === '/login/device/code')?.body).get('scope')).toBe('write:ssh_signing_key');
    expect(fake.keys()).toEqual([expect.objectContaining({ kind: 'signing', owner: 'octocat', title: 'laptop signing' })]);
    // Usage errors never reach the provider.
    const before = fake.requests.length;
    const both = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl, '--signing', '--repo', 'octo/app'], env);
    expect(both.code).toBe(2);
    const rw = await cli(['publish', key.path, '--to', 'github', '--api', fake.apiUrl, '--read-write'], env);
    expect(rw.code).toBe(2);
    expect(rw.stderr).toContain('--read-write is only for deploy keys');
    const nowhere = await cli(['publish', key.path, '--to', 'sourcehut'], env);
    expect(nowhere.code).toBe(2);
    const plain = await cli(['publish', key.path, '--to', 'github', '--api', 'http://example.com/api/v3'], env);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('only https://');
    expect(fake.requests.length).toBe(before);
  }, 120_000);
});
