import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { bundleCli, runKeydock } from './cli-process';

// keydock rotate for a Git host: a local sshd that answers like GitHub stands in for
// github.com (the config's Host github.com points at it). KeyDock cannot add keys there; it
// shows the page, stops (saved) when nobody can press Enter, and on --resume tests the new key
// with the connection tester before it changes the config.

const PASS = 'a long enough passphrase';
const DAY = new Date().toISOString().slice(0, 10);

let cli: { bin: string; cleanup(): Promise<void> };
let sshd: Sshd;
let home: TmpHome;
let env: NodeJS.ProcessEnv;
let oldKey = '';
let configBefore = '';

beforeAll(async () => {
  cli = await bundleCli();
  sshd = await startSshd({ greeting: 'github' });
}, 120_000);
afterAll(async () => {
  await sshd?.stop();
  await cli?.cleanup();
});
beforeEach(async () => {
  home = await makeTmpHome('keydock-rotate-gh-');
  await writeFile(sshd.authorizedKeysFile, '');
  oldKey = join(home.sshDir, 'id_ed25519_github.com-work');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'work@laptop', '-f', oldKey]);
  await copyFile(sshd.knownHostsFile, join(home.sshDir, 'known_hosts'));
  configBefore = `Host github.com\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  IdentityFile ${oldKey}\n  IdentitiesOnly yes\n`;
  await writeFile(join(home.sshDir, 'config'), configBefore, { mode: 0o600 });
  env = { ...home.env, SSH_AUTH_SOCK: '', KEYDOCK_TESTER_GIT_USER: sshd.user, GIT_CONFIG_GLOBAL: join(home.dir, 'gitconfig') };
});
afterEach(async () => {
  await home.cleanup();
});

const rotate = (...extra: string[]) => runKeydock(cli.bin, ['rotate', oldKey, '--yes', '--passphrase-stdin', '--json', ...extra], env, `${PASS}\n`);

describe('keydock rotate with a Git host', () => {
  it('shows the page, waits (saved), refuses to go on until the host accepts the new key, then finishes', async () => {
    await sshd.addKey(`${oldKey}.pub`, 'octocat');
    const first = await rotate();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.json).toMatchObject({ ok: true, status: 'waiting' });
    const newKey = (first.json?.newKey as { path: string; publicKey: string; publicPath: string }) ?? null;
    expect(newKey.path).toBe(join(home.sshDir, `id_ed25519_github.com-work-${DAY.replace(/-/g, '')}`));
    expect(first.json?.waitingFor).toContain('https://github.com/settings/ssh/new');
    expect(first.json?.waitingFor).toContain('(account octocat)');
    expect(first.json?.waitingFor).toContain(newKey.publicKey);
    expect(first.json?.waitingFor).toContain(`keydock rotate ${oldKey} --resume`);
    // Nothing else changed while waiting.
    expect(await readFile(join(home.sshDir, 'config'), 'utf8')).toBe(configBefore);

    const early = await rotate('--resume');
    expect(early.code).toBe(1);
    expect(early.json).toMatchObject({ ok: false, error: { code: 'new-key-not-accepted' } });
    expect(await readFile(join(home.sshDir, 'config'), 'utf8')).toBe(configBefore);

    await sshd.addKey(newKey.publicPath, 'octocat');
    const done = await rotate('--resume');
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.json).toMatchObject({ status: 'done' });
    const steps = done.json?.steps as Array<{ id: string; status: string; detail?: string }>;
    expect(steps.find((s) => s.id === 'githost1-test')).toMatchObject({ status: 'done', detail: 'the new key works (octocat)' });
    expect((done.json?.todo as string[]).join('\n')).toContain('remove the old key');
    expect((done.json?.todo as string[]).join('\n')).toContain('https://github.com/settings/keys');
    expect(await readFile(join(home.sshDir, 'config'), 'utf8')).toBe(configBefore.replace(oldKey, newKey.path));
    expect(await readdir(join(home.sshDir, 'keydock-archive', DAY))).toEqual(expect.arrayContaining(['id_ed25519_github.com-work', 'id_ed25519_github.com-work.pub']));
  }, 400_000);

  it('names the deploy-key page of the repository the old key opens; --rollback gives back the start', async () => {
    await sshd.addKey(`${oldKey}.pub`, 'acme/widgets');
    const first = await rotate();
    expect(first.json).toMatchObject({ status: 'waiting' });
    expect(first.json?.waitingFor).toContain('as a deploy key of acme/widgets');
    expect(first.json?.waitingFor).toContain('https://github.com/acme/widgets/settings/keys/new');
    const back = await rotate('--rollback');
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(back.json).toMatchObject({ status: 'rolled-back' });
    expect((back.json?.todo as string[]).join('\n')).toContain('remove it there');
    expect(await readFile(join(home.sshDir, 'config'), 'utf8')).toBe(configBefore);
    expect((await readdir(home.sshDir)).sort()).toEqual(['config', 'id_ed25519_github.com-work', 'id_ed25519_github.com-work.pub', 'keydock-archive', 'known_hosts']);
  }, 400_000);
});
