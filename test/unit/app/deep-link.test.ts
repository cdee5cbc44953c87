import { describe, expect, it } from 'vitest';
import { parseDeepLink } from '../../../main/app/deep-link';

// keydock:// links come from any web page or program, so only two fixed routes may come out.
describe('parseDeepLink', () => {
  it('maps test and setup links to their routes', () => {
    expect(parseDeepLink('keydock://test/github.com')).toBe('test/github.com');
    expect(parseDeepLink('keydock://test/git@gitlab.com:2222')).toBe('test/git@gitlab.com:2222');
    expect(parseDeepLink('keydock://test/bitbucket.org/')).toBe('test/bitbucket.org');
    expect(parseDeepLink('keydock://setup')).toBe('setup');
  });

  it('drops a query or fragment: only the host name reaches the window', () => {
    expect(parseDeepLink('keydock://test/host?x=<script>#frag')).toBe('test/host');
  });

  it('ignores every other link instead of passing it on', () => {
    for (const url of [
      'https://test/github.com',
      'keydock://settings',
      'keydock://test/',
      'keydock://test/a b',
      'keydock://test/%2e%2e%2fsettings',
      'keydock://test/host;rm -rf',
      `keydock://test/${'a'.repeat(254)}`,
      'keydock://',
      'not a url',
    ]) {
      expect(parseDeepLink(url), url).toBeNull();
    }
  });
});
