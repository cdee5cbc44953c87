import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// A key comment is text anyone who hands you a key file chose. Printed raw, ESC and BEL sequences
// retitle the terminal, hide lines or fake output; ssh-keygen -l escapes them, and so does keydock
// in human output. JSON output stays exact.
const EVIL = 'evil\u001b]0;pwned\u0007\u001b[2Jgone\u009b31m\u202etxt.exe';

describe('file-derived text is terminal-safe in human output', () => {
  let home: TmpHome;
  let agent: RealAgent;
  let key: string;
  const keydock = (args: string[]) => run('node', ['bin/keydock.cjs', ...args], { env: { ...home.env, SSH_AUTH_SOCK: agent.socket, PATH: process.env.PATH }, timeoutMs: 60_000 });

  beforeAll(async () => {
    home = await makeTmpHome('keydock-escapes-');
    agent = await startOpenSshAgent();
    key = join(home.sshDir, 'id_evil');
    const g = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', EVIL, '-f', key]);
    expect(g.code, g.stderr).toBe(0);
    const a = await run('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: agent.socket } });
    expect(a.code, a.stderr).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    await home?.cleanup();
  });

  it.each([['fingerprint'], ['inspect'], ['list']])('keydock %s escapes ESC, BEL, C1 and bidi overrides', async (cmd) => {
    const r = await keydock(cmd === 'list' ? ['list'] : [cmd, key]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('evil\\033]0;pwned\\007\\033[2Jgone\\233');
    for (const c of ['\u0007', '\u001b', '\u009b', '\u202e']) expect(r.stdout).not.toContain(c);
  });

  it('keeps the comment byte-exact in --json', async () => {
    const r = await keydock(['fingerprint', key, '--json']);
    expect((JSON.parse(r.stdout) as { comment: string }).comment).toBe(EVIL);
  });
});
