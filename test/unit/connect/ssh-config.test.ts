import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSshConfig } from '../../../main/openssh/ssh-config';
import { hostPatternsMatch, matchPatternList, parseConfigBlocks, splitArgs, splitConfigLine } from '../../../main/openssh/ssh-config-parse';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

describe('ssh config line splitting', () => {
  it('splits keyword=value, quotes, escapes and trailing comments like OpenSSH', () => {
    expect(splitConfigLine('  HostName = example.com  ')).toEqual({ keyword: 'hostname', rawKeyword: 'HostName', args: ['example.com'] });
    expect(splitConfigLine('IdentityFile "/a b/c" # note')?.args).toEqual(['/a b/c']);
    expect(splitArgs(String.raw`a\ b "c \"d\"" 'e f'`)).toEqual(['a b', 'c "d"', 'e f']);
    expect(splitConfigLine('# only a comment')).toBeNull();
    expect(splitConfigLine('   ')).toBeNull();
    expect(() => splitArgs('"open')).toThrow(/quote is not closed/);
  });

  it('matches Host patterns with wildcards and negation', () => {
    expect(hostPatternsMatch('a.example.com', ['*.example.com', '!bad.example.com'])).toBe(true);
    expect(hostPatternsMatch('bad.example.com', ['*.example.com', '!bad.example.com'])).toBe(false);
    expect(hostPatternsMatch('x', ['!y'])).toBe(false);
    expect(hostPatternsMatch('a.b', ['a?b'])).toBe(true);
    expect(hostPatternsMatch('a+b', ['a+b'])).toBe(true);
    expect(matchPatternList('Host.Example', 'x,*.example', true)).toBe(1);
    expect(matchPatternList('bad', '*,!bad', true)).toBe(-1);
  });

  it('groups lines into blocks with line numbers', () => {
    const blocks = parseConfigBlocks('User x\nHost a b\n  Port 1\nMatch host c\n  User y\n');
    expect(blocks.map((b) => [b.kind, b.patterns, b.line, b.entries.length])).toEqual([
      ['global', [], 0, 1],
      ['host', ['a', 'b'], 2, 1],
      ['match', ['host', 'c'], 4, 1],
    ]);
  });
});

describe('resolveSshConfig with a temp HOME', () => {
  let home: TmpHome;
  beforeEach(async () => {
    home = await makeTmpHome();
  });
  afterEach(async () => {
    await home.cleanup();
  });

  it('reads ~/.ssh/config, relative Includes from ~/.ssh, then the system file', async () => {
    await mkdir(join(home.sshDir, 'conf.d'));
    await writeFile(join(home.sshDir, 'config'), 'Include conf.d/*\nHost gh\n  HostName github.com\n');
    await writeFile(join(home.sshDir, 'conf.d', 'work'), 'Host gh\n  User git\n  IdentityFile ~/.ssh/id_work\n  IdentitiesOnly yes\n');
    const system = join(home.dir, 'ssh_config');
    await writeFile(system, 'Host *\n  Port 2222\n  User system\n');
    const r = await resolveSshConfig('gh', { home: home.dir, env: { SSH_AUTH_SOCK: '/run/agent' }, systemConfigFile: system, localUser: 'me' });
    expect(r).toMatchObject({ hostname: 'github.com', user: 'git', port: 2222, identitiesOnly: true, identityAgent: '/run/agent', identityAgentSource: 'env' });
    expect(r.identityFiles).toEqual([join(home.sshDir, 'id_work')]);
    expect(r.identityFilesExplicit).toBe(true);
    expect(r.filesRead).toEqual([join(home.sshDir, 'config'), join(home.sshDir, 'conf.d', 'work'), system]);
    expect(r.sources.user).toEqual({ file: join(home.sshDir, 'conf.d', 'work'), line: 2 });
  });

  it('uses defaults when there is no config at all', async () => {
    const r = await resolveSshConfig('example.org', { home: home.dir, env: {}, systemConfigFile: null, localUser: 'me' });
    expect(r).toMatchObject({ hostname: 'example.org', user: 'me', port: 22, identitiesOnly: false, identityAgent: null, proxyJump: null });
    expect(r.identityFilesExplicit).toBe(false);
    expect(r.identityFiles[0]).toBe(join(home.sshDir, 'id_rsa'));
    expect(r.userKnownHostsFiles).toEqual([join(home.sshDir, 'known_hosts'), join(home.sshDir, 'known_hosts2')]);
  });

  it('notes what it does not evaluate (Match exec, ProxyJump) instead of guessing silently', async () => {
    await writeFile(join(home.sshDir, 'config'), 'Match exec "true"\n  User ran\nHost j\n  ProxyJump bastion\n');
    const r = await resolveSshConfig('j', { home: home.dir, env: {}, systemConfigFile: null, localUser: 'me' });
    expect(r.user).toBe('me');
    expect(r.proxyJump).toBe('bastion');
    expect(r.unsupported.join('\n')).toMatch(/Match exec/);
    expect(r.unsupported.join('\n')).toMatch(/ProxyJump bastion/);
  });

  it('refuses what ssh refuses, with the file and line', async () => {
    const cfg = join(home.sshDir, 'config');
    await writeFile(cfg, 'Host x\n  Port nope\n');
    await expect(resolveSshConfig('x', { home: home.dir, env: {}, systemConfigFile: null })).rejects.toMatchObject({ code: 'ssh-config-invalid', message: expect.stringContaining(`${cfg}:2`) });
    await writeFile(cfg, 'Host x\n  IdentityFile ~/%q\n');
    await expect(resolveSshConfig('x', { home: home.dir, env: {}, systemConfigFile: null })).rejects.toMatchObject({ code: 'ssh-config-invalid', message: expect.stringContaining('%q') });
    await expect(resolveSshConfig('-oProxyCommand=x', { home: home.dir, env: {} })).rejects.toMatchObject({ code: 'invalid-host' });
    await expect(resolveSshConfig('x', { home: home.dir, env: {}, configFile: join(home.dir, 'missing') })).rejects.toMatchObject({ code: 'ssh-config-unreadable' });
  });
});
