import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitSshCommandForWindowsOpenSsh, identityAgentLine, includeLine, withInclude, writeOpenSshIdentityAgent } from '../../../main/config/openssh-identity-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

let home: TmpHome | null = null;
afterEach(async () => {
  await home?.cleanup();
  home = null;
});

const PIPE = '\\\\.\\pipe\\pageant.alice.' + 'ab'.repeat(32);

describe('IdentityAgent config for Windows OpenSSH', () => {
  it('writes the pipe like pageant --openssh-config: slashes, quoted, LF', () => {
    expect(identityAgentLine(PIPE)).toBe(`IdentityAgent "//./pipe/pageant.alice.${'ab'.repeat(32)}"\n`);
    expect(identityAgentLine('//./pipe/openssh-ssh-agent')).toBe('IdentityAgent "//./pipe/openssh-ssh-agent"\n');
    expect(() => identityAgentLine('C:\\Users\\alice\\agent.sock')).toThrow(/not a Windows pipe/);
    expect(() => identityAgentLine('\\\\.\\pipe\\a"b')).toThrow(/not a Windows pipe/);
  });

  it('puts the Include first (before any Host) and only once', () => {
    const first = withInclude('Host github.com\n  User git\n', 'C:\\Users\\Al Ice\\.ssh\\keydock-agent.conf');
    expect(first.changed).toBe(true);
    expect(first.text.split('\n')[1]).toBe('Include "C:/Users/Al Ice/.ssh/keydock-agent.conf"');
    expect(first.text.indexOf('Include')).toBeLessThan(first.text.indexOf('Host github.com'));
    expect(withInclude(first.text, 'C:\\Users\\Al Ice\\.ssh\\keydock-agent.conf')).toEqual({ text: first.text, changed: false });
    expect(includeLine('/home/a/.ssh/x.conf')).toBe('Include /home/a/.ssh/x.conf\n');
    expect(withInclude('Host a\r\n', '/x.conf').text).toContain('Include /x.conf\r\n');
  });

  it('writes the include file and updates ~/.ssh/config, keeping what was there', async () => {
    home = await makeTmpHome();
    await writeFile(join(home.sshDir, 'config'), 'Host example\n  User me\n');
    const r = await writeOpenSshIdentityAgent({ sshDir: home.sshDir, pipePath: PIPE });
    expect(await readFile(r.includeFile, 'utf8')).toBe(identityAgentLine(PIPE));
    const config = await readFile(r.configFile, 'utf8');
    expect(config).toContain(`Include ${r.includeFile}`);
    expect(config).toContain('Host example\n  User me\n');
    expect(r.configChanged).toBe(true);
    expect((await stat(r.includeFile)).mode & 0o777).toBe(0o600);
    const again = await writeOpenSshIdentityAgent({ sshDir: home.sshDir, pipePath: PIPE });
    expect(again.configChanged).toBe(false);
    expect(await readFile(r.configFile, 'utf8')).toBe(config);
  });

  it('creates ~/.ssh/config when missing', async () => {
    home = await makeTmpHome();
    const r = await writeOpenSshIdentityAgent({ sshDir: home.sshDir, pipePath: '\\\\.\\pipe\\openssh-ssh-agent' });
    expect(await readFile(r.configFile, 'utf8')).toMatch(/^# Added by KeyDock.*\nInclude .*keydock-agent\.conf\n$/);
  });

  it('suggests pointing Git at Windows OpenSSH', () => {
    expect(gitSshCommandForWindowsOpenSsh()).toEqual(['git', 'config', '--global', 'core.sshCommand', 'C:/Windows/System32/OpenSSH/ssh.exe']);
  });
});
