import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { run } from '../../support/processes';
import { startKeyring, type TestKeyring } from '../../support/keyring';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// A passphrase handed over on stdin is the one to use: a wrong one is an error even when the
// keychain holds the right one, and it never borrows the next key's line.
describe('keydock add --passphrase-stdin with a real keychain and a real ssh-agent', () => {
  let keyring: TestKeyring;
  let home: TmpHome;
  let agent: RealAgent;
  const env = () => ({ ...home.env, ...keyring.env, SSH_AUTH_SOCK: agent.socket, PATH: process.env.PATH });
  const keydock = (args: string[], input?: string) => run('node', ['bin/keydock.cjs', ...args], { env: env(), input, timeoutMs: 60_000 });
  const loaded = async () => (await run('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: agent.socket } })).stdout;

  beforeAll(async () => {
    keyring = await startKeyring();
    home = await makeTmpHome('keydock-pass-stdin-');
    agent = await startOpenSshAgent();
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    await home?.cleanup();
    await keyring?.stop();
  }, 120_000);

  it('refuses a wrong line although the keychain remembers the right passphrase', async () => {
    const file = join(home.sshDir, 'id_remembered');
    const g = await keydock(['keygen', '--file', file, '--comment', 'remembered', '--passphrase-stdin', '--remember', '--json'], 'right one\n');
    expect(g.code, g.stdout + g.stderr).toBe(0);
    const r = await keydock(['add', file, '--passphrase-stdin', '--json'], 'wrong one\n');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'key-wrong-passphrase' } });
    expect(await loaded()).not.toContain('remembered');
    // Without --passphrase-stdin the keychain opens it, as before.
    const k = await keydock(['add', file, '--json']);
    expect(k.code, k.stdout + k.stderr).toBe(0);
    expect(await loaded()).toContain('remembered');
  }, 120_000);

  it('gives each key its own line: a wrong first line does not eat the second key’s', async () => {
    const a = join(home.sshDir, 'id_a');
    const b = join(home.sshDir, 'id_b');
    for (const [f, p] of [[a, 'pass a'], [b, 'pass b']] as const) {
      expect((await keydock(['keygen', '--file', f, '--comment', f.endsWith('a') ? 'key-a' : 'key-b', '--passphrase-stdin'], `${p}\n`)).code).toBe(0);
    }
    const r = await keydock(['add', a, b, '--passphrase-stdin'], 'not a\npass b\n');
    expect(r.code).toBe(1);
    const list = await loaded();
    expect(list).not.toContain('key-a');
  }, 120_000);
});
