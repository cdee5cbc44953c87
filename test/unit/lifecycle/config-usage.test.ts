import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expandIdentityPath, findConfigUsages, planFileEdits, replaceIdentityValue, rewriteConfigFile, styledPath, undoConfigEdit } from '../../../main/lifecycle/config-usage';
import { successorEntry, signerLine } from '../../../main/lifecycle/allowed-signers';
import { successorPath, successorType } from '../../../main/lifecycle/plan';

let home = '';
let ssh = '';
const env = { HOME: '/nowhere', KEYS: '/keys' };

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'keydock-cfg-'));
  ssh = join(home, '.ssh');
  await mkdir(ssh, { mode: 0o700 });
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const keys = () => ({ privatePath: join(ssh, 'id_old'), publicPath: join(ssh, 'id_old.pub') });
const next = () => ({ privatePath: join(ssh, 'id_new'), publicPath: join(ssh, 'id_new.pub') });

describe('IdentityFile lines', () => {
  it('expands ~, %d and ${VAR} but leaves host-dependent paths alone', () => {
    expect(expandIdentityPath('~/.ssh/id', home, env)).toBe(join(home, '.ssh/id'));
    expect(expandIdentityPath('%d/.ssh/id', home, env)).toBe(join(home, '.ssh/id'));
    expect(expandIdentityPath('${KEYS}/id', home, env)).toBe('/keys/id');
    expect(expandIdentityPath('~/.ssh/id_%h', home, env)).toBeNull();
    expect(expandIdentityPath('${UNSET}/id', home, env)).toBeNull();
    expect(expandIdentityPath('~/100%%/id', home, env)).toBe(join(home, '100%/id'));
  });

  it('changes only the value, in the style it was written, and keeps every other byte', () => {
    const text = [
      '# top',
      'IdentityFile ~/.ssh/id_old',
      'Host a b',
      '\tidentityfile   "~/.ssh/id_old"   # quoted, tab, comment',
      '  IdentityFile=%d/.ssh/id_old.pub',
      `  IdentityFile ${join(ssh, 'id_old')}\r`,
      '  IdentityFile ~/.ssh/id_other',
      '  IdentityFile ~/.ssh/id_old_not',
      'Match host c',
      '  IdentityFile ~/.ssh/id_%h',
      '',
    ].join('\n');
    const r = planFileEdits(text, 'config', keys(), next(), { home, env });
    expect(r.edits.map((e) => e.line)).toEqual([2, 4, 5, 6]);
    expect(r.text).toBe(
      [
        '# top',
        'IdentityFile ~/.ssh/id_new',
        'Host a b',
        '\tidentityfile   ~/.ssh/id_new   # quoted, tab, comment',
        '  IdentityFile=%d/.ssh/id_new.pub',
        `  IdentityFile ${join(ssh, 'id_new')}\r`,
        '  IdentityFile ~/.ssh/id_other',
        '  IdentityFile ~/.ssh/id_old_not',
        'Match host c',
        '  IdentityFile ~/.ssh/id_%h',
        '',
      ].join('\n'),
    );
    expect(replaceIdentityValue('  IdentityFile ~/a', '/path with space/k')).toBe('  IdentityFile "/path with space/k"');
    expect(styledPath('~/.ssh/x', '/elsewhere/k', home)).toBe('/elsewhere/k');
  });

  it('finds the lines in Included files (globs, relative to ~/.ssh) with the block they sit in', async () => {
    await mkdir(join(ssh, 'conf.d'));
    await writeFile(join(ssh, 'config'), 'Host top\n  IdentityFile ~/.ssh/id_old\nHost inc\n  Include conf.d/*.conf\n');
    await writeFile(join(ssh, 'conf.d', 'a.conf'), '  IdentityFile ~/.ssh/id_old.pub\nHost deep\n  IdentityFile ~/.ssh/id_old\n');
    await writeFile(join(ssh, 'conf.d', 'b.txt'), 'IdentityFile ~/.ssh/id_old\n');
    const r = await findConfigUsages(join(ssh, 'config'), keys(), { home, env });
    expect(r.usages.map((u) => [u.file.slice(ssh.length + 1), u.line, u.which, u.block.patterns.join(' ')])).toEqual([
      ['config', 2, 'private', 'top'],
      ['conf.d/a.conf', 1, 'public', 'inc'],
      ['conf.d/a.conf', 3, 'private', 'deep'],
    ]);
  });

  it('rewrites a symlinked config through its link with a backup, and undoes it (whole file, or just its lines after other edits)', async () => {
    await mkdir(join(home, 'dotfiles'));
    const before = '# mine\nHost a\n  IdentityFile ~/.ssh/id_old\n';
    await writeFile(join(home, 'dotfiles', 'ssh_config'), before);
    await symlink('../dotfiles/ssh_config', join(ssh, 'config'));
    const config = join(ssh, 'config');
    const edit = await rewriteConfigFile(config, keys(), next(), { home, env });
    expect(edit?.written).toBe(join(home, 'dotfiles', 'ssh_config'));
    expect((await lstat(config)).isSymbolicLink()).toBe(true);
    expect(await readlink(config)).toBe('../dotfiles/ssh_config');
    expect(await readFile(config, 'utf8')).toBe('# mine\nHost a\n  IdentityFile ~/.ssh/id_new\n');
    expect(await readFile(`${config}.keydock-backup`, 'utf8')).toBe(before);
    // Nothing left to change: a second run (a resumed rotation) writes nothing.
    expect(await rewriteConfigFile(config, keys(), next(), { home, env })).toBeNull();
    expect(await undoConfigEdit(edit!)).toBe('restored');
    expect(await readFile(config, 'utf8')).toBe(before);
    expect((await lstat(config)).isSymbolicLink()).toBe(true);

    const again = await rewriteConfigFile(config, keys(), next(), { home, env });
    await writeFile(join(home, 'dotfiles', 'ssh_config'), `${await readFile(config, 'utf8')}Host later\n  User me\n`);
    expect(await undoConfigEdit(again!)).toBe('lines-reverted');
    expect(await readFile(config, 'utf8')).toBe(`${before}Host later\n  User me\n`);
  });
});

describe('the successor key', () => {
  it('keeps a sound type and moves weak ones to Ed25519', () => {
    expect(successorType({ type: 'ssh-ed25519', bits: 256, findings: ['unencrypted'] })).toMatchObject({ type: 'ed25519' });
    expect(successorType({ type: 'ssh-rsa', bits: 4096, findings: [] })).toMatchObject({ type: 'rsa', bits: 4096 });
    expect(successorType({ type: 'ssh-rsa', bits: 2048, findings: [] })).toMatchObject({ type: 'ed25519', reason: expect.stringContaining('3072') });
    expect(successorType({ type: 'ssh-dss', bits: 1024, findings: ['weak-dsa'] })).toMatchObject({ type: 'ed25519' });
    expect(successorType({ type: 'ecdsa-sha2-nistp384', bits: 384, findings: [] })).toMatchObject({ type: 'ecdsa', bits: 384 });
    expect(successorType({ type: 'ecdsa-sha2-nistp521', bits: 521, findings: ['putty-p521-cve-2024-31497'] })).toMatchObject({ type: 'ed25519' });
    expect(successorType({ type: 'sk-ssh-ed25519@openssh.com', bits: 256, findings: [] })).toMatchObject({ type: 'ed25519' });
    expect(successorType({ type: 'ssh-rsa', bits: 2048, findings: [] }, 'rsa')).toMatchObject({ type: 'rsa', bits: 3072 });
  });

  it('gets a free name: the new type’s default name when the old one had a default name, else NAME-DATE', async () => {
    const now = new Date('2026-03-04T05:06:07Z');
    expect(successorPath(join(ssh, 'id_rsa'), 'ed25519', now)).toBe(join(ssh, 'id_ed25519'));
    await writeFile(join(ssh, 'id_ed25519'), 'x');
    expect(successorPath(join(ssh, 'id_rsa'), 'ed25519', now)).toBe(join(ssh, 'id_ed25519-20260304'));
    expect(successorPath(join(ssh, 'id_ed25519'), 'ed25519', now)).toBe(join(ssh, 'id_ed25519-20260304'));
    expect(successorPath(join(ssh, 'id_rsa_work'), 'ed25519', now)).toBe(join(ssh, 'id_ed25519_work-20260304'));
    await writeFile(join(ssh, 'deploy-20260304.pub'), 'x');
    expect(successorPath(join(ssh, 'deploy'), 'ed25519', now)).toBe(join(ssh, 'deploy-20260304-2'));
  });

  it('gets the same allowed-signers principals and options as the old key', () => {
    const old = { type: 'ssh-ed25519', blob: 'AAAAold' };
    const neu = { type: 'ssh-ed25519', blob: 'AAAAnew' };
    expect(signerLine('me@example.com', neu)).toBe('me@example.com namespaces="git" ssh-ed25519 AAAAnew');
    expect(successorEntry('me@example.com,"*@corp.example" namespaces="git",valid-after="20250101" ssh-ed25519 AAAAold laptop', old, neu)).toBe(
      'me@example.com,"*@corp.example" namespaces="git",valid-after="20250101" ssh-ed25519 AAAAnew laptop',
    );
    expect(successorEntry('# me@example.com ssh-ed25519 AAAAold', old, neu)).toBeNull();
  });
});
