import { describe, expect, it } from 'vitest';
import { allowedExternalUrl, externalHosts } from '../../../main/app/external-pages';
import { resolveEndpoint, tokenPageUrl } from '../../../main/publish/endpoints';

// The pages the Electron window may open in the browser: built from the publish endpoint
// table (main/publish/endpoints.ts) plus the servers the user configured, nothing else.
describe('external page allow-list', () => {
  const builtIn = externalHosts();

  it("allows the providers' key, token and help pages, Atlassian's token page included", () => {
    for (const url of [
      'https://github.com/settings/ssh/new',
      'https://github.com/login/device',
      'https://github.com/settings/tokens/new?description=KeyDock&scopes=write:public_key',
      'https://docs.github.com/en/authentication',
      'https://gitlab.com/-/user_settings/personal_access_tokens?name=KeyDock&scopes=api',
      'https://docs.gitlab.com/user/ssh/',
      'https://bitbucket.org/account/settings/ssh-keys/',
      'https://bitbucket.org/account/settings/app-passwords/',
      'https://id.atlassian.com/manage-profile/security/api-tokens',
      'https://support.atlassian.com/bitbucket-cloud/docs/using-api-tokens/',
    ]) {
      expect(allowedExternalUrl(url, builtIn), url).toBe(new URL(url).toString());
    }
  });

  it('takes every token page sign-in hands out from the same table', () => {
    for (const p of ['github', 'gitlab', 'bitbucket'] as const) {
      for (const kind of ['account', 'signing', 'deploy'] as const) {
        const url = tokenPageUrl(resolveEndpoint(p), kind);
        expect(allowedExternalUrl(url, builtIn), url).not.toBeNull();
      }
    }
  });

  it('refuses other hosts, look-alikes, http, user names and non-URLs', () => {
    for (const url of [
      'https://evil.example.com/github.com',
      'https://github.com.evil.example.com/',
      'https://notgithub.com/',
      'http://github.com/settings/keys',
      'https://user:pass@github.com/',
      'https://github.com@evil.example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'not a url',
      'https://ghe.example.com/settings/tokens/new',
      'https://gitlab.example.com/-/user_settings/personal_access_tokens',
    ]) {
      expect(allowedExternalUrl(url, builtIn), url).toBeNull();
    }
  });

  it('adds the pages of configured GitHub Enterprise and self-managed GitLab servers, on their own port only', () => {
    const hosts = externalHosts([
      { provider: 'github', api: 'https://ghe.example.com/api/v3' },
      { provider: 'gitlab', api: 'https://gitlab.example.com:8443' },
    ]);
    expect(allowedExternalUrl('https://ghe.example.com/settings/tokens/new?scopes=repo', hosts)).not.toBeNull();
    expect(allowedExternalUrl('https://ghe.example.com/login/device', hosts)).not.toBeNull();
    expect(allowedExternalUrl(tokenPageUrl(resolveEndpoint('gitlab', 'https://gitlab.example.com:8443'), 'account'), hosts)).not.toBeNull();
    expect(allowedExternalUrl('https://gitlab.example.com/', hosts)).toBeNull();
    expect(allowedExternalUrl('https://gitlab.example.com:9999/', hosts)).toBeNull();
    // The public services stay allowed alongside them.
    expect(allowedExternalUrl('https://github.com/settings/keys', hosts)).not.toBeNull();
  });

  it('ignores configured addresses the endpoint table refuses (plain http to another machine, user names)', () => {
    const hosts = externalHosts([
      { provider: 'github', api: 'http://ghe.example.com/api/v3' },
      { provider: 'gitlab', api: 'https://me:secret@gitlab.example.com' },
      { provider: 'github', api: 'http://127.0.0.1:8080/api/v3' },
    ]);
    expect([...hosts].sort()).toEqual([...builtIn].sort());
  });
});
