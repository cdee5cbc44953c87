import { lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli/program';
import { addKnownHost, removeKnownHost } from '../../../main/openssh/known-hosts';
import { setHostIdentity } from '../../../main/openssh/ssh-config-edit';
import { run } from '../../support/processes';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { memoryIo } from '../../support/memory-io';

// Dotfiles setups keep ~/.ssh/config and known_hosts in a repository and symlink them into
// ~/.ssh. KeyDock writes the file the link points to and leaves the link alone.

let home: TmpHome;
let dotfiles: string;
const OLD_CONFIG = '# from my dotfiles\nHost example\n  User me\n';

beforeEach(async () => {
  home = await makeTmpHome('keydock-links-');
  dotfiles = join(home.dir, 'dotfiles', 'ssh');
  await mkdir(dotfiles, { recursive: true });
});
afterEach(async () => home.cleanup());


async function sshG(config: string, alias: string): Promise<string> {
  return (await run('ssh', ['-G', '-F', config, alias])).stdout;
}

describe('symlinked ~/.ssh/config', () => {
  it('keydock setup-host writes the link target, keeps the link and a backup of the old content', async () => {
    const config = join(home.sshDir, 'config');
    await writeFile(join(dotfiles, 'config'), OLD_CONFIG, { mode: 0o644 });
    await symlink('../dotfiles/ssh/config', config);
    const m = memoryIo(home.env);
    const code = await runCli(['--json', 'setup-host', 'github', '--account', 'work', '--no-passphrase'], m.io);
    expect(code, m.stderr() + m.stdout()).toBe(0);
    const res = JSON.parse(m.stdout()) as { backupFile: string; keyPath: string };
    expect((await lstat(config)).isSymbolicLink()).toBe(true);
    expect(await readlink(config)).toBe('../dotfiles/ssh/config');
    const text = await readFile(join(dotfiles, 'config'), 'utf8');
    expect(text).toContain('Host github.com-work\n');
    expect(text).toContain('Host example\n  User me\n');
    expect((await stat(join(dotfiles, 'config'))).mode & 0o777).toBe(0o644);
    expect(res.backupFile).toBe(`${config}.keydock-backup`);
    expect(await readFile(res.backupFile, 'utf8')).toBe(OLD_CONFIG);
    expect((await stat(res.backupFile)).mode & 0o777).toBe(0o644);
    expect(await sshG(config, 'github.com-work')).toMatch(/^identitiesonly yes$/m);
  });

  it('setHostIdentity (the tester’s add-identities-only fix) through a chain of two links', async () => {
    await writeFile(join(dotfiles, 'config'), `${OLD_CONFIG}Host git.example.com\n  User git\n`, { mode: 0o600 });
    await symlink(join(dotfiles, 'config'), join(home.dir, 'dotfiles', 'current'));
    await symlink('../dotfiles/current', join(home.sshDir, 'config'));
    const config = join(home.sshDir, 'config');
    const key = join(home.sshDir, 'id_work');
    const r = await setHostIdentity(config, 'git.example.com', key, { home: home.dir, env: home.env, systemConfigFile: null });
    expect(r.resolved.identitiesOnly).toBe(true);
    expect(await readlink(config)).toBe('../dotfiles/current');
    expect(await readlink(join(home.dir, 'dotfiles', 'current'))).toBe(join(dotfiles, 'config'));
    const text = await readFile(join(dotfiles, 'config'), 'utf8');
    expect(text).toContain(`Host git.example.com\n  IdentityFile ${key}\n  IdentitiesOnly yes\n  User git\n`);
    expect((await stat(join(dotfiles, 'config'))).mode & 0o777).toBe(0o600);
    expect(await readFile(`${config}.keydock-backup`, 'utf8')).toBe(`${OLD_CONFIG}Host git.example.com\n  User git\n`);
    expect(await sshG(config, 'git.example.com')).toMatch(/^identitiesonly yes$/m);
  });

  it('an edit ssh would not honour is rolled back through the link; a dangling link gets its file created', async () => {
    const config = join(home.sshDir, 'config');
    const blocked = 'IdentitiesOnly no\nHost example\n  User me\n';
    await writeFile(join(dotfiles, 'config'), blocked);
    await symlink(join(dotfiles, 'config'), config);
    await expect(setHostIdentity(config, 'example', join(home.sshDir, 'id_x'), { home: home.dir, env: home.env, systemConfigFile: null })).rejects.toMatchObject({ code: 'ssh-config-edit-ineffective' });
    expect((await lstat(config)).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dotfiles, 'config'), 'utf8')).toBe(blocked);

    const other = join(home.sshDir, 'config-dangling');
    await symlink(join(dotfiles, 'not-yet'), other);
    await setHostIdentity(other, 'new.example', join(home.sshDir, 'id_x'), { home: home.dir, env: home.env, systemConfigFile: null });
    expect((await lstat(other)).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dotfiles, 'not-yet'), 'utf8')).toContain('Host new.example\n');
    expect((await stat(join(dotfiles, 'not-yet'))).mode & 0o777).toBe(0o600);
  });
});

describe('symlinked known_hosts', () => {
  it('adding and removing hosts writes the target, keeps the link, and keeps known_hosts.old', async () => {
    const file = join(home.sshDir, 'known_hosts');
    const first = 'one.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDW5u6JDsLJ5cMJk0jvsgEOCSWmMt4Hvqcj6/DJZ8Bu8\n';
    await writeFile(join(dotfiles, 'known_hosts'), first, { mode: 0o644 });
    await symlink(join(dotfiles, 'known_hosts'), file);
    const blob = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', 'base64');
    expect(await addKnownHost(file, 'two.example', blob)).toBe(2);
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dotfiles, 'known_hosts'), 'utf8')).toBe(`${first}two.example ssh-ed25519 ${blob.toString('base64')}\n`);
    expect(await readFile(`${file}.old`, 'utf8')).toBe(first);
    expect(await removeKnownHost(file, ['one.example'], null)).toEqual([1]);
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dotfiles, 'known_hosts'), 'utf8')).toBe(`two.example ssh-ed25519 ${blob.toString('base64')}\n`);
    const found = await run('ssh-keygen', ['-F', 'two.example', '-f', file]);
    expect(found.stdout).toMatch(/found: line 1/);
  });
});
