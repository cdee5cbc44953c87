import { describe, expect, it } from 'vitest';
import { diagnose, type AttemptFacts } from '../../../main/connect/diagnose';
import { GIT_HOST_PRESETS } from '../../../main/connect/git-hosts';
import type { ResolvedHost } from '../../../main/openssh/ssh-config';
import type { Attempt } from '../../../main/connect/tester';

const github = GIT_HOST_PRESETS[0];

function resolved(over: Partial<ResolvedHost> = {}): ResolvedHost {
  return {
    alias: 'github.com', hostname: 'github.com', user: 'git', port: 22, identityFiles: [], identityFilesExplicit: false, certificateFiles: [],
    identitiesOnly: false, identityAgent: '/run/agent', identityAgentSource: 'env', proxyJump: null, proxyCommand: null, hostKeyAlias: null,
    userKnownHostsFiles: ['/h/.ssh/known_hosts'], globalKnownHostsFiles: [], strictHostKeyChecking: 'ask', hashKnownHosts: false, batchMode: false,
    connectTimeout: null, addKeysToAgent: 'false', options: {}, sources: {}, filesRead: [], unsupported: [], ...over,
  };
}

function attempt(over: Partial<Attempt> = {}): Attempt {
  return {
    stage: 'tcp', tcpError: null, handshakeTimedOut: false, serverSpoke: false, hostKeyBlob: null, hostCheck: null, hostKeyStatus: null,
    offered: [], acceptableButLocked: [], accepted: null, methods: null, tooManyFailures: false, disconnectMessage: null, greeting: null, exitCode: null, ...over,
  };
}

function facts(over: Partial<AttemptFacts>): AttemptFacts {
  return {
    kind: 'attempt', resolved: resolved(), preset: github, providerEndpoint: true, attempt: attempt(), agentPath: '/run/agent',
    agent: { probe: { reachable: true }, keys: [], error: null }, files: [], candidates: [], probeFound: null, expectedUser: 'git',
    knownHostsName: 'github.com', repo: null, ...over,
  };
}

describe('diagnose', () => {
  it('port 22 to a Git host refused or timing out → port-blocked with the port-443 host', () => {
    for (const code of ['ECONNREFUSED', 'ETIMEDOUT']) {
      const d = diagnose(facts({ attempt: attempt({ tcpError: code }) }));
      expect(d.code).toBe('port-blocked');
      expect(d.fix).toContain('HostName ssh.github.com');
      expect(d.fix).toContain('Port 443');
    }
  });

  it('the same failure on another host or port is connection-refused / timeout', () => {
    expect(diagnose(facts({ preset: undefined, attempt: attempt({ tcpError: 'ECONNREFUSED' }) })).code).toBe('connection-refused');
    expect(diagnose(facts({ resolved: resolved({ port: 2222 }), attempt: attempt({ tcpError: 'ETIMEDOUT' }) })).code).toBe('timeout');
    expect(diagnose(facts({ attempt: attempt({ tcpError: 'EHOSTUNREACH' }), preset: undefined })).code).toBe('network-unreachable');
  });

  it('an unpublished key on the provider itself is never offered for trust', () => {
    const d = diagnose(facts({ attempt: attempt({ serverSpoke: true, hostKeyBlob: Buffer.from('x'), hostKeyStatus: 'new', hostCheck: { status: 'new', otherTypesKnown: [] } }) }));
    expect(d.code).toBe('host-key-unknown');
    expect(d.action).toBeNull();
    expect(d.message).toMatch(/NOT one of GitHub's published keys/);
  });

  it('dns failures name the HostName line', () => {
    const d = diagnose({ kind: 'dns', resolved: resolved({ alias: 'gh', hostname: 'gihtub.com' }), preset: github, error: 'ENOTFOUND' });
    expect(d).toMatchObject({ code: 'dns-failure' });
    expect(d.fix).toContain('HostName in your SSH config for "gh"');
  });

  it('a server that allows no public keys says so', () => {
    const d = diagnose(facts({ preset: undefined, attempt: attempt({ serverSpoke: true, hostKeyBlob: Buffer.from('x'), hostKeyStatus: 'known', methods: ['password'] }) }));
    expect(d.code).toBe('publickey-not-allowed');
  });
});
