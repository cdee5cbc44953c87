import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// Messages that used to say the opposite of what happened, each against the real tools.
describe('keydock says what happened', () => {
  let home: TmpHome;
  let agent: RealAgent;
  const keydock = (args: string[]) => run('node', ['bin/keydock.cjs', ...args], { env: { ...home.env, SSH_AUTH_SOCK: agent.socket, PATH: process.env.PATH }, timeoutMs: 60_000 });
  const listed = async () => (await run('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: agent.socket } })).stdout;

  beforeAll(async () => {
    home = await makeTmpHome('keydock-messages-');
    agent = await startOpenSshAgent();
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    await home?.cleanup();
  });

  it('removes a key by the same private key path that was given to add', async () => {
    const key = join(home.sshDir, 'id_same_path');
    expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'same-path', '-f', key])).code).toBe(0);
    expect((await keydock(['add', key])).code).toBe(0);
    expect(await listed()).toContain('same-path');
    const r = await keydock(['remove', key]);
    expect(r.code, r.stderr).toBe(0);
    expect(await listed()).not.toContain('same-path');
  }, 90_000);

  it('says a path that is an ordinary file is not an agent, not that an agent stopped', async () => {
    const r = await keydock(['list', '--agent', '/etc/passwd', '--json']);
    expect(r.code).toBe(2);
    const error = (JSON.parse(r.stdout) as { error: { message: string } }).error;
    expect(error.message).toMatch(/not an agent socket/);
    expect(error.message).not.toMatch(/stopped/);
  }, 60_000);

  it('gives a new key the comment user@host, as ssh-keygen does', async () => {
    const r = await keydock(['keygen', '--file', join(home.sshDir, 'id_commented'), '--no-passphrase', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { publicKey: string }).publicKey).toMatch(new RegExp(` ${userInfo().username}@${hostname()}$`));
  }, 60_000);

  it('says ok:false with exit 1 when the key was written but the keychain could not remember it', async () => {
    // No Secret Service in this environment: remembering fails, the key itself is written.
    const r = await run('node', ['bin/keydock.cjs', 'keygen', '--file', join(home.sshDir, 'id_unremembered'), '--passphrase-stdin', '--remember', '--json'], {
      env: { ...home.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent', PATH: process.env.PATH },
      input: 'a passphrase\n',
      timeoutMs: 60_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, remembered: false, path: join(home.sshDir, 'id_unremembered'), error: { code: expect.stringMatching(/^keychain-/) } });
  }, 60_000);

  it('converts an encrypted PPK to its public key without asking for the passphrase', async () => {
    const pass = join(home.dir, 'pass.txt');
    await run('sh', ['-c', `printf 'secret words\\n' > ${pass}`]);
    const ppk = join(home.sshDir, 'enc.ppk');
    const g = await run('puttygen', ['-t', 'ed25519', '-C', 'putty-enc', '-o', ppk, '--new-passphrase', pass]);
    expect(g.code, g.stderr).toBe(0);
    const r = await keydock(['convert', ppk, '--to', 'pub']);
    expect(r.code, r.stderr).toBe(0);
    const want = (await run('puttygen', ['-L', ppk])).stdout.trim();
    expect(r.stdout.trim()).toBe(want);
  }, 60_000);
});
