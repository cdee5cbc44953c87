import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../support/processes';
import { startKeyring, type TestKeyring } from '../../support/keyring';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// The keydock binary as users run it, against a real gnome-keyring-daemon, and without one.
describe('keydock keygen --remember / inspect / forget with a real keychain', () => {
  let keyring: TestKeyring;
  let home: TmpHome;
  const keydock = (args: string[], env: NodeJS.ProcessEnv, input?: string) => run('node', ['bin/keydock.cjs', ...args], { env: { ...env, PATH: process.env.PATH }, input, timeoutMs: 60_000 });

  beforeAll(async () => {
    keyring = await startKeyring();
    home = await makeTmpHome('keydock-cli-keychain-');
  }, 60_000);
  afterAll(async () => {
    await home.cleanup();
    await keyring.stop();
  });

  it('stores the passphrase under service KeyDock, account = fingerprint, and forgets it', async () => {
    const env = { ...home.env, ...keyring.env };
    const file = join(home.sshDir, 'id_remember');
    const g = await keydock(['keygen', '--file', file, '--passphrase-stdin', '--remember', '--json'], env, 'pass phrase 1\n');
    expect(g.code, g.stderr).toBe(0);
    const out = JSON.parse(g.stdout) as { fingerprint: string; remembered: boolean };
    expect(out.remembered).toBe(true);
    // secret-tool reads it back under @napi-rs/keyring's attributes: the keychain really holds it.
    const lookup = await run('secret-tool', ['lookup', 'service', 'KeyDock', 'username', out.fingerprint], { env: { ...process.env, ...keyring.env } });
    expect(lookup.stdout).toBe('pass phrase 1');

    const inspect = JSON.parse((await keydock(['inspect', file, '--json'], env)).stdout) as { remembered: boolean; encrypted: boolean; kdf: string };
    expect(inspect).toMatchObject({ remembered: true, encrypted: true, kdf: 'bcrypt' });

    // A remembered passphrase opens the key without any prompt or stdin.
    const conv = await keydock(['convert', file, '--to', 'ppk', '--out', join(home.dir, 'k.ppk'), '--json'], env);
    expect(conv.code, conv.stderr).toBe(0);

    const f = await keydock(['forget', file, '--json'], env);
    expect(JSON.parse(f.stdout)).toMatchObject({ ok: true, fingerprint: out.fingerprint });
    expect((await run('secret-tool', ['lookup', 'service', 'KeyDock', 'username', out.fingerprint], { env: { ...process.env, ...keyring.env } })).stdout).toBe('');
    const again = await keydock(['forget', out.fingerprint, '--json'], env);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { code: 'keychain-not-remembered' } });
  }, 60_000);

  it('without a keychain: a clear error, the key is still written, nothing stored in plain files', async () => {
    const env = { ...home.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home.dir, 'no-bus')}` };
    const file = join(home.sshDir, 'id_headless');
    const g = await keydock(['keygen', '--file', file, '--passphrase-stdin', '--remember', '--json'], env, 'pp\n');
    expect(g.code).toBe(1);
    // Written but not remembered is not what was asked: ok:false, exit 1 (the key is still written).
    expect(JSON.parse(g.stdout)).toMatchObject({ ok: false, remembered: false, keychainError: { code: 'keychain-unavailable' } });
    await access(file);
    await expect(access(join(home.env.XDG_CONFIG_HOME as string, 'keydock', 'remembered-keys.json'))).rejects.toThrow();
    const plain = await keydock(['keygen', '--file', join(home.sshDir, 'id_h2'), '--passphrase-stdin', '--remember'], env, 'pp\n');
    expect(plain.stdout).toContain('Not remembered: No system keychain is available');
    // The key still opens with the passphrase typed (here on stdin).
    const fp = await keydock(['convert', file, '--to', 'pub', '--passphrase-stdin', '--json'], env, 'pp\n');
    expect(fp.code, fp.stderr).toBe(0);
    const load = await keydock(['load', '--json'], env);
    expect(JSON.parse(load.stdout)).toMatchObject({ ok: true, loaded: [], failed: [] });
  }, 60_000);
});
