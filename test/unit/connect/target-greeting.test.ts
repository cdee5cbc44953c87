import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { parseTarget, presetForHost, isProviderEndpoint } from '../../../main/connect/target';
import { parseGreeting } from '../../../main/connect/greeting';
import { orderOffers, type IdentityFileInfo } from '../../../main/connect/identities';
import { GIT_HOST_PRESETS } from '../../../main/connect/git-hosts';
import { fingerprintSha256 } from '../../../main/keys/format';

const [github, gitlab, bitbucket] = GIT_HOST_PRESETS;

function blob(): Buffer {
  const raw = (generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32);
  const s = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([s(Buffer.from('ssh-ed25519')), s(raw)]);
}

describe('parseTarget', () => {
  it.each([
    ['github.com', { host: 'github.com' }],
    ['git@github.com', { host: 'github.com', user: 'git' }],
    ['host:2222', { host: 'host', port: 2222 }],
    ['me@host:2222', { host: 'host', user: 'me', port: 2222 }],
    ['git@github.com:owner/repo.git', { host: 'github.com', user: 'git', repo: 'owner/repo' }],
    ['ssh://git@gitlab.com:443/group/sub/project.git', { host: 'gitlab.com', user: 'git', port: 443, repo: 'group/sub/project' }],
    ['[::1]:2200', { host: '::1', port: 2200 }],
    ['github-work', { host: 'github-work' }],
  ])('%s', (input, want) => {
    expect(parseTarget(input)).toEqual(want);
  });

  it('turns preset ids into the provider host and user', () => {
    expect(parseTarget('GitLab')).toMatchObject({ host: 'gitlab.com', user: 'git', preset: { id: 'gitlab' } });
  });

  it.each(['', 'user@', 'host:99999', 'host:not a port', '-oProxyCommand=x', 'a b', 'host:owner'])('refuses %j with an example', (input) => {
    expect(() => parseTarget(input)).toThrow(expect.objectContaining({ code: 'invalid-target', exitCode: 2 }));
  });

  it('recognises providers by host or alternate, and only their own endpoints carry published keys', () => {
    expect(presetForHost('ssh.github.com')?.id).toBe('github');
    expect(presetForHost('github.com-myrepo', 'github.com')?.id).toBe('github');
    expect(presetForHost('example.com')).toBeUndefined();
    expect(isProviderEndpoint(github!, 'ssh.github.com', 443)).toBe(true);
    expect(isProviderEndpoint(github!, '127.0.0.1', 2222)).toBe(false);
  });
});

describe('parseGreeting', () => {
  it('reads GitHub accounts and deploy keys, GitLab users and anonymous deploy keys, Bitbucket', () => {
    expect(parseGreeting(github, "Hi octocat! You've successfully authenticated, but GitHub does not provide shell access.")).toEqual({ account: 'octocat', deployKeyRepo: null, recognised: true });
    expect(parseGreeting(github, "Hi owner/repo! You've successfully authenticated, but GitHub does not provide shell access.")).toEqual({ account: 'deployment key for owner/repo', deployKeyRepo: 'owner/repo', recognised: true });
    expect(parseGreeting(gitlab, 'Welcome to GitLab, @tanuki!').account).toBe('tanuki');
    expect(parseGreeting(gitlab, 'Welcome to GitLab, Anonymous!').account).toBe('deployment key');
    expect(parseGreeting(bitbucket, 'authenticated via ssh key.\n\nYou can use git to connect to Bitbucket. Shell access is disabled')).toEqual({ account: null, deployKeyRepo: null, recognised: true });
    expect(parseGreeting(bitbucket, 'logged in as alice.').account).toBe('alice');
    expect(parseGreeting(github, 'Permission denied (publickey).').recognised).toBe(false);
  });

  it('published fingerprints in the preset data are the SHA256 of the published keys', () => {
    for (const p of GIT_HOST_PRESETS) for (const k of p.hostKeys) expect(fingerprintSha256(Buffer.from(k.publicKey, 'base64'))).toBe(k.fingerprint);
  });
});

describe('orderOffers (ssh pubkey_prepare)', () => {
  const [a, b, c, d] = [blob(), blob(), blob(), blob()];
  const file = (path: string, k: Buffer | null): IdentityFileInfo => ({ path, exists: true, blob: k, comment: path, encrypted: false, privateKey: null });

  it('agent keys matching IdentityFiles first (agent order), then other agent keys, then files not in the agent', () => {
    const agentKeys = [{ blob: a, comment: 'a' }, { blob: b, comment: 'b' }, { blob: c, comment: 'c' }];
    const files = [file('/k/d', d), file('/k/c', c), file('/k/missing', null)];
    const order = orderOffers(agentKeys, files, false);
    expect(order.map((o) => [o.comment, o.source, o.path])).toEqual([
      ['c', 'agent', '/k/c'],
      ['a', 'agent', null],
      ['b', 'agent', null],
      ['/k/d', 'file', '/k/d'],
    ]);
  });

  it('IdentitiesOnly drops agent keys not named by an IdentityFile', () => {
    const order = orderOffers([{ blob: a, comment: 'a' }, { blob: b, comment: 'b' }], [file('/k/b.pub', b)], true);
    expect(order.map((o) => o.comment)).toEqual(['b']);
  });
});
