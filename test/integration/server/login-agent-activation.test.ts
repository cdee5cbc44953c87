import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RememberedKeys } from '../../../main/keys/remembered-keys';
import { addRememberedKey } from '../../../main/secrets/remembered';
import { createSecretStore } from '../../../main/secrets/store';
import { userPaths } from '../../../main/util/paths';
import { startKeyring, type TestKeyring } from '../../support/keyring';
import { run, startProcess, stopProcess } from '../../support/processes';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { KEYDOCK_BIN } from './serve-process';

// The login agent's service as systemd runs it (docs/login-agent.md): `keydock serve -D
// --socket-activated --load-remembered` started by systemd-socket-activate on the well-known
// socket (fd 3, LISTEN_FDS/LISTEN_PID for the exec'd agent itself), loading the keys whose
// passphrases a real gnome-keyring holds, and saying which it could not load.

const ACTIVATE = ['/usr/bin/systemd-socket-activate', '/bin/systemd-socket-activate'].find((p) => existsSync(p));

async function encryptedKey(dir: string, name: string, passphrase: string): Promise<{ path: string; fingerprint: string }> {
  const path = join(dir, name);
  const g = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', `${name}@login-agent`, '-f', path]);
  expect(g.code, g.stderr).toBe(0);
  const l = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`]);
  return { path, fingerprint: (l.stdout.split(' ')[1] as string).trim() };
}

describe.skipIf(!ACTIVATE)('keydock serve --socket-activated (systemd-socket-activate)', () => {
  let home: TmpHome;
  let keyring: TestKeyring;
  let restoreEnv: () => void;

  beforeAll(async () => {
    keyring = await startKeyring();
    home = await makeTmpHome('kd-activate-');
  }, 60_000);
  afterAll(async () => {
    await home?.cleanup();
    await keyring?.stop();
  });

  it('serves the passed socket, answers ssh-add through it, and loads the remembered keys the keychain gives', async () => {
    const one = await encryptedKey(home.sshDir, 'id_one', 'first passphrase');
    const two = await encryptedKey(home.sshDir, 'id_two', 'second passphrase');
    const configDir = userPaths(home.env).configDir;
    restoreEnv = keyring.withEnv();
    try {
      await new RememberedKeys(createSecretStore('linux'), configDir).remember({ path: one.path, fingerprint: one.fingerprint, comment: 'id_one' }, 'first passphrase');
    } finally {
      restoreEnv();
    }
    // Listed as remembered, but its passphrase is not in the keychain (forgotten there, say).
    await addRememberedKey(configDir, { path: two.path, fingerprint: two.fingerprint, comment: 'id_two' });

    const socket = join(home.env.XDG_RUNTIME_DIR as string, 'keydock', 'agent.sock');
    await mkdir(join(home.env.XDG_RUNTIME_DIR as string, 'keydock'), { mode: 0o700 });
    const env = { ...home.env, DBUS_SESSION_BUS_ADDRESS: keyring.env.DBUS_SESSION_BUS_ADDRESS };
    const pass = Object.keys(env).flatMap((k) => ['-E', k]);
    const child = startProcess(ACTIVATE as string, ['-l', socket, ...pass, process.execPath, KEYDOCK_BIN, 'serve', '-D', '--socket-activated', '--load-remembered'], { env });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    try {
      // The socket exists before the agent runs: the first client starts it.
      await expect.poll(() => existsSync(socket), { timeout: 10_000 }).toBe(true);
      const first = await run('ssh-add', ['-l'], { env: { ...home.env, SSH_AUTH_SOCK: socket }, timeoutMs: 120_000 });
      expect([0, 1], first.stderr).toContain(first.code);
      expect(first.stderr).not.toContain('Error connecting to agent');
      await expect
        .poll(async () => (await run('ssh-add', ['-l'], { env: { ...home.env, SSH_AUTH_SOCK: socket } })).stdout, { timeout: 60_000 })
        .toContain(one.fingerprint);
      const listed = await run('ssh-add', ['-l'], { env: { ...home.env, SSH_AUTH_SOCK: socket } });
      expect(listed.stdout).not.toContain(two.fingerprint);
      await expect.poll(() => err, { timeout: 20_000 }).toContain(`remembered key ${two.path} not loaded`);
      expect(err).toContain(`loaded remembered key ${one.path}`);
      // It names the socket it was given, like ssh-agent -D.
      expect(out).toContain(`SSH_AUTH_SOCK=${socket}; export SSH_AUTH_SOCK;`);
      // Neither passphrase reaches the log.
      expect(err + out).not.toMatch(/first passphrase|second passphrase/);
    } finally {
      await stopProcess(child);
    }
  });

  it('refuses --socket-activated without a passed socket or for another process (exit 2)', async () => {
    const none = await run(process.execPath, [KEYDOCK_BIN, 'serve', '-D', '--socket-activated', '--json'], { env: home.env, timeoutMs: 120_000 });
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stdout)).toMatchObject({ ok: false, error: { code: 'not-socket-activated' } });
    const other = await run(process.execPath, [KEYDOCK_BIN, 'serve', '-D', '--socket-activated', '--json'], { env: { ...home.env, LISTEN_FDS: '1', LISTEN_PID: '1' }, timeoutMs: 120_000 });
    expect(other.code).toBe(2);
    expect(JSON.parse(other.stdout).error.message).toContain('not for this process');
  });
});
