import { describe, expect, it } from 'vitest';
import { launchAgentPlist, loginAgentSocket, serviceUnitText, systemdArg, windowsRunCommand } from '../../../main/config/login-agent-files';
import { shellWords } from '../../../main/doctor/which-agent';

// The texts `keydock serve --install` writes must survive unusual paths (docs/login-agent.md).
describe('login agent file texts', () => {
  it('quotes ExecStart arguments as systemd reads them, expanding nothing', () => {
    expect(systemdArg('/usr/bin/node')).toBe('/usr/bin/node');
    expect(systemdArg('/home/a b/keydock.cjs')).toBe('"/home/a b/keydock.cjs"');
    expect(systemdArg('/x/100%/$HOME')).toBe('/x/100%%/$$HOME');
    expect(systemdArg('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    expect(serviceUnitText(['/opt/node', '/src/my keydock/bin/keydock.cjs'])).toContain('ExecStart=/opt/node "/src/my keydock/bin/keydock.cjs" serve -D --socket-activated --load-remembered\n');
  });

  it('escapes XML in the LaunchAgent and quotes the Windows command line', () => {
    const plist = launchAgentPlist(['/usr/local/bin/node', '/Users/me/R&D <x>/bin/keydock.cjs'], '/Users/me/Library/Application Support/KeyDock/agent.sock', '/tmp/log');
    expect(plist).toContain('<string>/Users/me/R&amp;D &lt;x&gt;/bin/keydock.cjs</string>');
    expect(plist).toContain('<string>--load-remembered</string>');
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<true\/>/);
    expect(windowsRunCommand(['C:\\Program Files\\nodejs\\node.exe', 'C:\\src\\bin\\keydock.cjs'])).toBe('"C:\\Program Files\\nodejs\\node.exe" C:\\src\\bin\\keydock.cjs serve --openssh-pipe --pageant --load-remembered');
  });

  it('puts the socket where the app’s own agent listens', () => {
    const paths = { home: '/home/u', sshDir: '/home/u/.ssh', configDir: '/home/u/.config/keydock' };
    expect(loginAgentSocket('linux', { XDG_RUNTIME_DIR: '/run/user/1000' }, paths)).toBe('/run/user/1000/keydock/agent.sock');
    expect(loginAgentSocket('win32', {}, paths)).toBe('\\\\.\\pipe\\openssh-ssh-agent');
  });

  it('splits ssh command lines as sh does', () => {
    expect(shellWords(`ssh -o 'IdentityAgent /a b' -F "/c d" x\\ y`)).toEqual(['ssh', '-o', 'IdentityAgent /a b', '-F', '/c d', 'x y']);
    expect(shellWords('  ssh   ""  ')).toEqual(['ssh', '']);
  });
});
