import { describe, expect, it } from 'vitest';
import { parseDeepLink, routeFromArgv } from '../../../main/app/deep-link';

// keydock:// links come from any web page or program, so only two fixed routes may come out.
describe('parseDeepLink', () => {
  it('maps test and setup links to their routes', () => {
    expect(parseDeepLink('keydock://test/github.com')).toBe('fill/test/github.com');
    expect(parseDeepLink('keydock://test/git@gitlab.com:2222')).toBe('fill/test/git@gitlab.com:2222');
    expect(parseDeepLink('keydock://test/bitbucket.org/')).toBe('fill/test/bitbucket.org');
    expect(parseDeepLink('keydock://setup')).toBe('setup');
  });

  it('drops a query or fragment: only the host name reaches the window', () => {
    expect(parseDeepLink('keydock://test/host?x=<script>#frag')).toBe('fill/test/host');
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
      'keydock://test/%E0%A4%A',
      'keydock://%E0%A4%A/x',
    ]) {
      expect(parseDeepLink(url), url).toBeNull();
    }
  });

  it('logs and ignores a malformed link in argv instead of throwing', () => {
    const lines: string[] = [];
    expect(routeFromArgv(['/app', 'keydock://test/%E0%A4%A'], (l) => lines.push(l))).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(routeFromArgv(['/app', '--hidden'], (l) => lines.push(l))).toBeUndefined();
    expect(routeFromArgv(['/app', 'keydock://test/github.com'])).toBe('fill/test/github.com');
  });
});
