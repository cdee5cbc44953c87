import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHostApi, type GitHostApi } from '../../support/git-host-api';
import { startKeyring, type TestKeyring } from '../../support/keyring';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { aimAtSshd, cli, filesContaining, keychainEntry, keygen, registerWithSshd } from './helpers';

/**
 * `keydock publish --to gitlab` and `--to bitbucket` end to end against local fakes of their
 * APIs (answers as their docs describe), a real gnome-keyring and a local sshd that greets like
 * GitLab or Bitbucket. Tokens come from standard input, as a user pastes a token they created.
 */
describe('keydock publish --to gitlab / bitbucket', () => {
  let keyring: TestKeyring;
  let restoreEnv: () => void;
  let sshd: Sshd;
  let home: TmpHome;
  let fake: GitHostApi;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    keyring = await startKeyring();
    restoreEnv = keyring.withEnv();
    sshd = await startSshd({ greeting: 'gitlab' });
  }, 60_000);
  afterAll(async () => {
    restoreEnv?.();
    await sshd?.stop();
    await keyring?.stop();
  });
  beforeEach(async () => {
    home = await makeTmpHome('keydock-publish-gl-');
    await aimAtSshd(home, sshd);
    env = { ...home.env, KEYDOCK_TESTER_GIT_USER: sshd.user };
  });
  afterEach(async () => {
    await fake?.stop();
    await home.cleanup();
  });

  it('gitlab: account key, then "already there"; a deploy key for a nested project path; key in use and no Maintainer role are plain refusals', async () => {
    fake = await startGitHostApi({
      provider: 'gitlab',
      users: [{ login: 'tanuki', token: 'glpat-tanuki-0123456789' }],
      repos: [
        { path: 'group/sub/app', admins: ['tanuki'] },
        { path: 'group/docs', admins: [], readers: ['tanuki'] },
      ],
      pageSize: 1,
      onKeyAdded: registerWithSshd(sshd, home.dir, 'gitlab'),
    });
    for (const name of ['seeded1', 'seeded2']) {
      const seeded = await keygen(home, name, `${name}@desk`);
      fake.seedKey({ kind: 'account', owner: 'tanuki', key: seeded.pub, title: name, readOnly: false });
    }
    const key = await keygen(home);

    const first = await cli(['publish', key.path, '--to', 'gitlab', '--api', fake.origin, '--token-stdin', '--json'], env, 'glpat-tanuki-0123456789\n');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.json).toMatchObject({ status: 'added', account: 'tanuki', kind: 'account', test: { works: true, account: 'tanuki', message: 'works as tanuki' } });
    // A bare server address means /api/v4; the token goes in PRIVATE-TOKEN, only there.
    const posted = fake.requests.find((r) => r.method === 'POST' && r.url === '/api/v4/user/keys');
    expect(JSON.parse(posted?.body ?? '{}')).toMatchObject({ usage_type: 'auth', key: key.pub.split(' ').slice(0, 2).join(' ') });
    expect(posted?.headers['private-token']).toBe('glpat-tanuki-0123456789');
    expect(fake.requests.some((r) => r.url.includes('glpat-'))).toBe(false);
    // pageSize 1: two pages were read (X-Next-Page).
    expect(fake.requests.some((r) => r.method === 'GET' && r.url.startsWith('/api/v4/user/keys') && r.url.includes('page=2'))).toBe(true);
    expect(JSON.parse(await keychainEntry(keyring.env, `gitlab:${new URL(fake.origin).host}`))).toMatchObject({ token: 'glpat-tanuki-0123456789', method: 'token' });
    expect(await filesContaining(home.dir, 'glpat-tanuki-0123456789')).toEqual([]);

    const again = await cli(['publish', key.path, '--to', 'gitlab', '--api', fake.origin, '--no-test', '--json'], env);
    expect(again.json).toMatchObject({ ok: true, status: 'already-there', key: { title: expect.stringContaining('me@laptop') } });

    // A deploy key: the project path is URL-encoded (group%2Fsub%2Fapp), read-only by default.
    const deploy = await keygen(home, 'deploy', 'deploy@ci');
    const d = await cli(['publish', deploy.path, '--to', 'gitlab', '--api', fake.origin, '--repo', 'group/sub/app', '--json'], env);
    expect(d.json).toMatchObject({ status: 'added', kind: 'deploy', repo: 'group/sub/app', key: { readOnly: true } });
    expect(fake.requests.some((r) => r.method === 'POST' && r.url === '/api/v4/projects/group%2Fsub%2Fapp/deploy_keys' && JSON.parse(r.body).can_push === false)).toBe(true);
    // ssh still offers ~/.ssh/id_ed25519 first, which the server takes: the test says so, exit 1.
    expect(d.code).toBe(1);
    expect(d.json).toMatchObject({ test: { works: false, otherKeyAccepted: key.fingerprint } });
    expect((d.json.test as { message: string }).message).toContain('but with another key');
    // With the key named for the host (as keydock setup-host writes it), the deploy key is the one that works.
    await writeFile(join(home.sshDir, 'config'), `Host 127.0.0.1\n  Port ${sshd.port}\n  IdentityFile ${deploy.path}\n  IdentitiesOnly yes\n`);
    const d2 = await cli(['publish', deploy.path, '--to', 'gitlab', '--api', fake.origin, '--repo', 'group/sub/app', '--json'], env);
    expect(d2.code, d2.stdout + d2.stderr).toBe(0);
    expect(d2.json).toMatchObject({ status: 'already-there', test: { works: true, message: 'works: deploy key for group/sub/app' } });

    // The account key as a deploy key: GitLab's 400 "has already been taken".
    const inUse = await cli(['publish', key.path, '--to', 'gitlab', '--api', fake.origin, '--repo', 'group/sub/app', '--json'], env);
    expect(inUse.code).toBe(1);
    expect(inUse.json.error).toMatchObject({ code: 'publish-key-in-use' });
    expect(inUse.json.error?.message).toContain('has already been taken');
    expect(inUse.json.error?.hint).toContain('keydock setup-host gitlab --repo group/sub/app');

    // Reporter on group/docs (403) and a project that does not exist (404).
    const noRole = await cli(['publish', deploy.path, '--to', 'gitlab', '--api', fake.origin, '--repo', 'group/docs', '--json'], env);
    expect(noRole.json.error).toMatchObject({ code: 'publish-no-admin-rights' });
    expect(noRole.json.error?.message).toContain('the Maintainer role');
    const missing = await cli(['publish', deploy.path, '--to', 'gitlab', '--api', fake.origin, '--repo', 'group/nope', '--json'], env);
    expect(missing.json.error?.message).toContain('HTTP 404: 404 Project Not Found');

    // A revoked token is forgotten; without a terminal KeyDock says how to give a new one.
    fake.revoke('glpat-tanuki-0123456789');
    const revoked = await cli(['publish', key.path, '--to', 'gitlab', '--api', fake.origin, '--json'], env);
    expect(revoked.code).toBe(2);
    expect(revoked.stderr).toContain('no longer accepts the saved sign-in');
    expect(revoked.json.error?.hint).toContain(`${fake.origin}/-/user_settings/personal_access_tokens?name=KeyDock&scopes=api`);
    expect(await keychainEntry(keyring.env, `gitlab:${new URL(fake.origin).host}`)).toBe('');
    fake.rateLimited = true;
    const limited = await cli(['publish', key.path, '--to', 'gitlab', '--api', fake.origin, '--token-stdin', '--json'], env, 'glpat-new\n');
    expect(limited.json.error).toMatchObject({ code: 'publish-rate-limited' });
    expect(limited.json.error?.hint).toContain('Try again in 30 seconds');
  }, 150_000);

  it('bitbucket: API token with the account e-mail, account key works, already there; deploy key; read-write, signing and no admin rights refused', async () => {
    fake = await startGitHostApi({
      provider: 'bitbucket',
      users: [{ login: 'bbuser', email: 'bb@example.com', token: 'ATATT-bitbucket-token' }],
      repos: [
        { path: 'team/app', admins: ['bbuser'] },
        { path: 'team/other', admins: [], readers: ['bbuser'] },
      ],
      pageSize: 1,
      onKeyAdded: registerWithSshd(sshd, home.dir, 'bitbucket'),
    });
    for (const name of ['seeded1', 'seeded2']) {
      const seeded = await keygen(home, name, `${name}@desk`);
      fake.seedKey({ kind: 'account', owner: 'bbuser', key: seeded.pub, title: name, readOnly: false });
    }
    const key = await keygen(home);
    const api = fake.apiUrl;

    const noUser = await cli(['publish', key.path, '--to', 'bitbucket', '--api', api, '--token-stdin', '--json'], env, 'ATATT-bitbucket-token\n');
    expect(noUser.code).toBe(2);
    expect(noUser.json.error?.message).toContain('--username');

    const wrong = await cli(['publish', key.path, '--to', 'bitbucket', '--api', api, '--token-stdin', '--username', 'other@example.com', '--json'], env, 'ATATT-bitbucket-token\n');
    expect(wrong.code).toBe(1);
    expect(wrong.json.error?.message).toContain('did not accept that token');

    const first = await cli(['publish', key.path, '--to', 'bitbucket', '--api', api, '--token-stdin', '--username', 'bb@example.com', '--json'], env, 'ATATT-bitbucket-token\n');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // Bitbucket's greeting names no account; the API's name is reported.
    expect(first.json).toMatchObject({ status: 'added', account: 'bbuser', test: { works: true, message: 'works as bbuser' } });
    const post = fake.requests.find((r) => r.method === 'POST' && r.url.includes('/ssh-keys'));
    expect(post?.url).toMatch(/^\/2\.0\/users\/%7B[0-9a-f-]+%7D\/ssh-keys$/);
    expect(post?.headers.authorization).toBe(`Basic ${Buffer.from('bb@example.com:ATATT-bitbucket-token').toString('base64')}`);
    expect(fake.requests.some((r) => r.url.includes('page=2'))).toBe(true);
    expect(JSON.parse(await keychainEntry(keyring.env, `bitbucket:${new URL(api).host}`))).toMatchObject({ token: 'ATATT-bitbucket-token', username: 'bb@example.com' });
    expect(await filesContaining(home.dir, 'ATATT-bitbucket-token')).toEqual([]);

    const again = await cli(['publish', key.path, '--to', 'bitbucket', '--api', api, '--no-test', '--json'], env);
    expect(again.json).toMatchObject({ status: 'already-there' });

    const deploy = await keygen(home, 'deploy', 'deploy@ci');
    await writeFile(join(home.sshDir, 'config'), `Host 127.0.0.1\n  Port ${sshd.port}\n  IdentityFile ${deploy.path}\n  IdentitiesOnly yes\n`);
    const d = await cli(['publish', deploy.path, '--to', 'bitbucket', '--api', api, '--repo', 'team/app', '--json'], env);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.json).toMatchObject({ status: 'added', kind: 'deploy', key: { readOnly: true }, test: { works: true, message: 'works: deploy key for team/app' } });
    expect((JSON.parse(fake.requests.find((r) => r.method === 'POST' && r.url === '/2.0/repositories/team/app/deploy-keys')?.body ?? '{}') as { label: string }).label).toMatch(/^deploy@ci \(/);
    const inUse = await cli(['publish', key.path, '--to', 'bitbucket', '--api', api, '--repo', 'team/app', '--json'], env);
    expect(inUse.json.error).toMatchObject({ code: 'publish-key-in-use' });
    const noAdmin = await cli(['publish', deploy.path, '--to', 'bitbucket', '--api', api, '--repo', 'team/other', '--json'], env);
    expect(noAdmin.json.error).toMatchObject({ code: 'publish-no-admin-rights' });

    const before = fake.requests.length;
    const rw = await cli(['publish', deploy.path, '--to', 'bitbucket', '--api', api, '--repo', 'team/app', '--read-write', '--json'], env);
    expect(rw.code).toBe(2);
    expect(rw.json.error).toMatchObject({ code: 'publish-unsupported' });
    const signing = await cli(['publish', key.path, '--to', 'bitbucket', '--api', api, '--signing', '--json'], env);
    expect(signing.code).toBe(2);
    expect(signing.json.error?.message).toContain('no separate commit-signing keys');
    expect(fake.requests.length).toBe(before);
  }, 150_000);
});
