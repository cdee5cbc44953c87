import { describe, expect, it } from 'vitest';
import { slowedInterval, waitForDeviceToken, type DeviceCode } from '../../../main/publish/device-flow';
import { resolveEndpoint, scopesCover, scopesFor, tokenAccount, tokenPageUrl } from '../../../main/publish/endpoints';
import { ApiClient, isRateLimited, nextLink, retryAfterSeconds, type ApiAnswer } from '../../../main/publish/http';
import { checkRepo, fingerprintOfListed } from '../../../main/publish/remote';

describe('publish endpoints', () => {
  it('knows the public services and derives Enterprise / self-managed ones from --api', () => {
    expect(resolveEndpoint('github')).toMatchObject({ apiBase: 'https://api.github.com', webBase: 'https://github.com', sshHost: 'github.com', custom: false, name: 'GitHub' });
    expect(resolveEndpoint('github', 'https://api.github.com/')).toMatchObject({ custom: false });
    expect(resolveEndpoint('github', 'https://ghe.example.com')).toMatchObject({ apiBase: 'https://ghe.example.com/api/v3', webBase: 'https://ghe.example.com', sshHost: 'ghe.example.com', custom: true, name: 'GitHub (ghe.example.com)' });
    expect(resolveEndpoint('gitlab')).toMatchObject({ apiBase: 'https://gitlab.com/api/v4', webBase: 'https://gitlab.com', sshHost: 'gitlab.com' });
    // A GitLab under a relative URL root keeps it for its web pages.
    expect(resolveEndpoint('gitlab', 'https://example.org/gitlab/api/v4/')).toMatchObject({ apiBase: 'https://example.org/gitlab/api/v4', webBase: 'https://example.org/gitlab', sshHost: 'example.org' });
    expect(resolveEndpoint('bitbucket')).toMatchObject({ apiBase: 'https://api.bitbucket.org/2.0', sshHost: 'bitbucket.org' });
    expect(tokenAccount(resolveEndpoint('gitlab', 'https://gitlab.example.com:8443'))).toBe('gitlab:gitlab.example.com:8443');
    expect(tokenAccount(resolveEndpoint('github'))).toBe('github:api.github.com');
  });

  it('never sends a token over plain http to another machine, nor to a URL with credentials', () => {
    expect(() => resolveEndpoint('github', 'http://ghe.example.com')).toThrow(/only https/);
    expect(() => resolveEndpoint('gitlab', 'https://user:pw@gitlab.example.com')).toThrow(/user name or password/);
    expect(() => resolveEndpoint('gitlab', 'not a url')).toThrow(/not a URL/);
    expect(resolveEndpoint('github', 'http://127.0.0.1:9/api/v3').apiBase).toBe('http://127.0.0.1:9/api/v3');
    // The OAuth base override is for tests on this machine only.
    expect(resolveEndpoint('github', undefined, 'http://127.0.0.1:7').oauthBase).toBe('http://127.0.0.1:7');
    expect(() => resolveEndpoint('github', undefined, 'https://evil.example')).toThrow(/only name this machine/);
  });

  it('asks only the scopes a kind of key needs', () => {
    expect(scopesFor('github', 'account')).toEqual(['write:public_key']);
    expect(scopesFor('github', 'signing')).toEqual(['write:ssh_signing_key']);
    expect(scopesFor('github', 'deploy')).toEqual(['repo']);
    expect(scopesFor('gitlab', 'deploy')).toEqual(['api']);
    expect(scopesFor('bitbucket', 'account')).toEqual(['read:user:bitbucket', 'read:ssh-key:bitbucket', 'write:ssh-key:bitbucket']);
    expect(scopesCover('github', ['admin:public_key'], ['write:public_key'])).toBe(true);
    expect(scopesCover('github', ['write:public_key'], ['repo'])).toBe(false);
    expect(scopesCover('github', undefined, ['repo'])).toBe(false);
    expect(scopesCover('gitlab', undefined, ['api'])).toBe(true);
  });

  it('opens token pages prefilled where the provider allows it', () => {
    expect(tokenPageUrl(resolveEndpoint('github'), 'deploy')).toBe('https://github.com/settings/tokens/new?description=KeyDock&scopes=repo');
    expect(tokenPageUrl(resolveEndpoint('gitlab', 'https://gitlab.example.com'), 'account')).toBe('https://gitlab.example.com/-/user_settings/personal_access_tokens?name=KeyDock&scopes=api');
    expect(tokenPageUrl(resolveEndpoint('bitbucket'), 'account')).toBe('https://id.atlassian.com/manage-profile/security/api-tokens');
  });
});

describe('publish HTTP helpers', () => {
  const answer = (status: number, headers: Record<string, string>, body: unknown = null): ApiAnswer => ({ status, headers: new Headers(headers), body, url: 'https://x' });

  it('reads Link headers', () => {
    expect(nextLink('<https://api.github.com/user/keys?page=2>; rel="next", <https://api.github.com/user/keys?page=5>; rel="last"')).toBe('https://api.github.com/user/keys?page=2');
    expect(nextLink('<https://gitlab.com/api/v4/user/keys?page=1>; rel="first", <https://gitlab.com/api/v4/user/keys?page=1>; rel="last"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });

  it('tells a rate limit from other refusals and says when it lifts', () => {
    const now = 1_700_000_000_000;
    expect(isRateLimited(answer(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 90) }))).toBe(true);
    expect(retryAfterSeconds(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 90) }), now)).toBe(90);
    expect(isRateLimited(answer(429, { 'retry-after': '30' }))).toBe(true);
    expect(retryAfterSeconds(new Headers({ 'retry-after': '30' }))).toBe(30);
    expect(isRateLimited(answer(403, { 'x-ratelimit-remaining': '4999' }, { message: 'Must have admin rights to Repository.' }))).toBe(false);
    expect(isRateLimited(answer(403, {}, { message: 'You have exceeded a secondary rate limit.' }))).toBe(true);
  });

  it('follows pagination only on the API origin', () => {
    const c = new ApiClient(resolveEndpoint('github'), { Authorization: 'Bearer t' });
    expect(c.url('/user/keys', { per_page: '100' })).toBe('https://api.github.com/user/keys?per_page=100');
    expect(c.url('https://api.github.com/user/keys?page=2')).toBe('https://api.github.com/user/keys?page=2');
    expect(() => c.url('https://collector.example/user/keys?page=2')).toThrow(/another server/);
  });
});

describe('device flow polling rules', () => {
  it('adds 5 s on slow_down, or takes the longer interval the server names', () => {
    expect(slowedInterval(5, null)).toBe(10);
    expect(slowedInterval(5, 10)).toBe(10);
    expect(slowedInterval(1, 12)).toBe(12);
  });

  it('sleeps the interval before every poll and gives up locally when the code expires', async () => {
    let t = 0;
    const sleeps: number[] = [];
    const answers = [{ error: 'authorization_pending' }, { error: 'slow_down', interval: 8 }, { error: 'authorization_pending' }];
    const fakeFetch = async () => new Response(JSON.stringify(answers.shift() ?? { error: 'authorization_pending' }), { status: 200, headers: { 'Content-Type': 'application/json' } });
    const code: DeviceCode = { deviceCode: 'd', userCode: 'U', verificationUri: 'https://github.com/login/device', expiresIn: 30, interval: 3 };
    const e = resolveEndpoint('github');
    await expect(
      waitForDeviceToken(fakeFetch, e, 'cid', code, {
        now: () => t,
        sleep: async (ms) => {
          sleeps.push(ms);
          t += ms;
        },
      }),
    ).rejects.toMatchObject({ code: 'publish-sign-in-expired' });
    // 3 s, 3 s, then slow_down asked for 8 (more than 3 + 5): 8 s from then on, until 30 s are up.
    expect(sleeps).toEqual([3000, 3000, 8000, 8000, 8000]);
  });
});

describe('publish input checks', () => {
  it('accepts OWNER/REPO (GitLab: nested groups) and nothing that could escape the URL path', () => {
    const gh = resolveEndpoint('github');
    const gl = resolveEndpoint('gitlab');
    expect(checkRepo(gh, 'octo/app.git')).toBe('octo/app');
    expect(checkRepo(gl, 'group/sub/app')).toBe('group/sub/app');
    expect(() => checkRepo(gh, 'group/sub/app')).toThrow(expect.objectContaining({ hint: expect.stringContaining('OWNER/REPO') }));
    expect(() => checkRepo(gh, 'octo/..')).toThrow();
    expect(() => checkRepo(gl, 'group/a?b')).toThrow();
    expect(() => checkRepo(gh, 'app')).toThrow();
  });

  it('fingerprints listed keys as ssh-keygen does, comments and all', () => {
    const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    expect(fingerprintOfListed(line)).toBe('SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU');
    expect(fingerprintOfListed(`${line} someone@host`)).toBe('SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU');
    expect(fingerprintOfListed('2Sg8iYjAxxmI2LvUXpJjkYrMxURPc8r+dB7TJyvv1234')).toBeNull();
    expect(fingerprintOfListed(null)).toBeNull();
  });
});
