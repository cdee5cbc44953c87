import { execFileSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyDockError } from '../../../main/util/errors';
import { checkKeyPairTargets, copyFileAtomic, oldKeyBackupPath, resolveLinkTarget, safeWriteFile, writeKeyPair } from '../../../main/util/safe-write';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-safe-write-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o7777;
const temps = async (d: string) => (await readdir(d)).filter((n) => n.endsWith('.keydock-tmp'));
const codeOf = (e: unknown) => (e instanceof KeyDockError ? e.code : `not a KeyDockError: ${String(e)}`);

/** Runs FN and returns its rejection, failing if it takes longer than MS (a FIFO opened for writing would block). */
async function rejectsQuickly(fn: () => Promise<unknown>, ms = 2000): Promise<KeyDockError> {
  const started = Date.now();
  const err = await Promise.race([fn().then(() => new Error('did not fail')), new Promise<Error>((r) => setTimeout(() => r(new Error('timed out: something was opened')), ms))]).catch((e: unknown) => e);
  expect(Date.now() - started).toBeLessThan(ms);
  expect(err).toBeInstanceOf(KeyDockError);
  return err as KeyDockError;
}

describe('safeWriteFile: symlinks', () => {
  it('writes through an absolute symlink: the link stays, the target gets the content and keeps its mode', async () => {
    const real = join(dir, 'dotfiles', 'ssh_config');
    await mkdir(join(dir, 'dotfiles'));
    await writeFile(real, 'old\n', { mode: 0o640 });
    await chmod(real, 0o640);
    const link = join(dir, 'config');
    await symlink(real, link);
    const r = await safeWriteFile(link, 'new\n', { mode: 0o600 });
    expect(r.path).toBe(real);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(real);
    expect(await readFile(real, 'utf8')).toBe('new\n');
    expect(await mode(real)).toBe(0o640);
    expect(await temps(dir)).toEqual([]);
    expect(await temps(join(dir, 'dotfiles'))).toEqual([]);
  });

  it('follows a relative link and a chain of two links', async () => {
    await mkdir(join(dir, 'repo', 'ssh'), { recursive: true });
    await mkdir(join(dir, 'home', '.ssh'), { recursive: true });
    const real = join(dir, 'repo', 'ssh', 'known_hosts');
    await writeFile(real, 'a\n');
    // home/.ssh/known_hosts -> ../middle (relative) -> repo/ssh/known_hosts (relative)
    await symlink('../repo/ssh/known_hosts', join(dir, 'home', 'middle'));
    await symlink('../middle', join(dir, 'home', '.ssh', 'known_hosts'));
    const r = await safeWriteFile(join(dir, 'home', '.ssh', 'known_hosts'), 'b\n');
    expect(r.path).toBe(real);
    expect(await readlink(join(dir, 'home', '.ssh', 'known_hosts'))).toBe('../middle');
    expect(await readlink(join(dir, 'home', 'middle'))).toBe('../repo/ssh/known_hosts');
    expect(await readFile(real, 'utf8')).toBe('b\n');
  });

  it('resolves a relative link with .. against the real folder when the folder itself is a link', async () => {
    // ~/.ssh -> dotfiles/ssh, and ~/.ssh/config -> ../common/config means dotfiles/common/config.
    await mkdir(join(dir, 'dotfiles', 'ssh'), { recursive: true });
    await mkdir(join(dir, 'dotfiles', 'common'));
    await mkdir(join(dir, 'home'));
    await symlink(join(dir, 'dotfiles', 'ssh'), join(dir, 'home', '.ssh'));
    await symlink('../common/config', join(dir, 'dotfiles', 'ssh', 'config'));
    await writeFile(join(dir, 'dotfiles', 'common', 'config'), 'x\n');
    expect(await resolveLinkTarget(join(dir, 'home', '.ssh', 'config'))).toBe(join(dir, 'dotfiles', 'common', 'config'));
    await safeWriteFile(join(dir, 'home', '.ssh', 'config'), 'y\n');
    expect(await readFile(join(dir, 'dotfiles', 'common', 'config'), 'utf8')).toBe('y\n');
    expect((await lstat(join(dir, 'dotfiles', 'ssh', 'config'))).isSymbolicLink()).toBe(true);
  });

  it('creates the target of a dangling link and keeps the link', async () => {
    const link = join(dir, 'config');
    await symlink('real-config', link);
    await safeWriteFile(link, 'hello\n', { mode: 0o600 });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'real-config'), 'utf8')).toBe('hello\n');
    expect(await mode(join(dir, 'real-config'))).toBe(0o600);
  });

  it('refuses a link loop with a clear error', async () => {
    await symlink('b', join(dir, 'a'));
    await symlink('a', join(dir, 'b'));
    expect(codeOf(await safeWriteFile(join(dir, 'a'), 'x').catch((e: unknown) => e))).toBe('symlink-loop');
  });
});

describe('safeWriteFile: modes, owner, content', () => {
  it('a new file gets the mode asked for (even under a wide umask); a replaced file keeps its own', async () => {
    const f = join(dir, 'f');
    await safeWriteFile(f, 'one', { mode: 0o600 });
    expect(await mode(f)).toBe(0o600);
    await chmod(f, 0o644);
    await safeWriteFile(f, 'two', { mode: 0o600 });
    expect(await mode(f)).toBe(0o644);
    expect(await readFile(f, 'utf8')).toBe('two');
    await safeWriteFile(f, 'three', { mode: 0o600, forceMode: true });
    expect(await mode(f)).toBe(0o600);
    await safeWriteFile(f, Buffer.from([0, 1, 2, 255]));
    expect([...(await readFile(f))]).toEqual([0, 1, 2, 255]);
  });

  it.skipIf(process.getuid?.() !== 0)('keeps the owner of a replaced file when running as root', async () => {
    const f = join(dir, 'owned');
    await writeFile(f, 'x');
    await chown(f, 4321, 4322);
    await safeWriteFile(f, 'y');
    const s = await stat(f);
    expect([s.uid, s.gid]).toEqual([4321, 4322]);
  });
});

describe('safeWriteFile: refuses what is not a regular file, before opening it', () => {
  let server: Server | null = null;
  afterEach(() => {
    server?.close();
    server = null;
  });

  it('a FIFO (opening it to write would hang) and a link to it', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const e = await rejectsQuickly(() => safeWriteFile(fifo, 'x'));
    expect(e.code).toBe('not-a-regular-file');
    expect(e.message).toContain(fifo);
    expect(e.message).toMatch(/named pipe/);
    await symlink(fifo, join(dir, 'to-fifo'));
    expect((await rejectsQuickly(() => safeWriteFile(join(dir, 'to-fifo'), 'x'))).code).toBe('not-a-regular-file');
    expect((await rejectsQuickly(() => safeWriteFile(fifo, 'x', { exclusive: true }))).code).toBe('not-a-regular-file');
    // A backup path that is a FIFO is refused too, and the file it was for stays as it was.
    await writeFile(join(dir, 'other'), 'before');
    expect((await rejectsQuickly(() => safeWriteFile(join(dir, 'other'), 'x', { backup: fifo }))).code).toBe('not-a-regular-file');
    expect(await readFile(join(dir, 'other'), 'utf8')).toBe('before');
    expect(await temps(dir)).toEqual([]);
  });

  it('a folder, /dev/null, a link to /dev/null and a socket', async () => {
    await mkdir(join(dir, 'folder'));
    const f = await rejectsQuickly(() => safeWriteFile(join(dir, 'folder'), 'x'));
    expect(f.code).toBe('not-a-regular-file');
    expect(f.message).toMatch(/is a folder/);
    const n = await rejectsQuickly(() => safeWriteFile('/dev/null', 'x'));
    expect(n.message).toMatch(/\/dev\/null is a character device/);
    expect(n.hint).not.toBe('');
    await symlink('/dev/null', join(dir, 'config'));
    const l = await rejectsQuickly(() => safeWriteFile(join(dir, 'config'), 'x'));
    expect(l.message).toContain('a link to /dev/null');
    expect((await stat('/dev/null')).isCharacterDevice()).toBe(true);
    expect((await lstat(join(dir, 'config'))).isSymbolicLink()).toBe(true);
    const sock = join(dir, 'sock');
    server = createServer();
    await new Promise<void>((r) => (server as Server).listen(sock, r));
    expect((await rejectsQuickly(() => safeWriteFile(sock, 'x'))).message).toMatch(/socket/);
    expect(await temps(dir)).toEqual([]);
  });

  it('/dev/full is refused, never written', async () => {
    const e = await rejectsQuickly(() => safeWriteFile('/dev/full', 'x'));
    expect(e.code).toBe('not-a-regular-file');
  });
});

describe('safeWriteFile: exclusive, backup, folders', () => {
  it('exclusive creates a new file and refuses an existing file or link, leaving it as it was', async () => {
    const f = join(dir, 'new');
    await safeWriteFile(f, 'first', { exclusive: true, mode: 0o600 });
    const e = await safeWriteFile(f, 'second', { exclusive: true }).catch((x: unknown) => x);
    expect(codeOf(e)).toBe('file-exists');
    expect((e as KeyDockError).message).toContain(f);
    expect(await readFile(f, 'utf8')).toBe('first');
    await symlink('nowhere', join(dir, 'dangling'));
    expect(codeOf(await safeWriteFile(join(dir, 'dangling'), 'x', { exclusive: true }).catch((x: unknown) => x))).toBe('file-exists');
    expect(await temps(dir)).toEqual([]);
  });

  it('backup: the previous content, with the original mode, written atomically; none for a new file', async () => {
    const f = join(dir, 'known_hosts');
    const r0 = await safeWriteFile(f, 'a\n', { mode: 0o644, backup: `${f}.old` });
    expect(r0.backup).toBeNull();
    await expect(stat(`${f}.old`)).rejects.toMatchObject({ code: 'ENOENT' });
    await chmod(f, 0o640);
    const r1 = await safeWriteFile(f, 'a\nb\n', { backup: `${f}.old` });
    expect(r1.backup).toBe(`${f}.old`);
    expect(await readFile(`${f}.old`, 'utf8')).toBe('a\n');
    expect(await mode(`${f}.old`)).toBe(0o640);
    expect(await readFile(f, 'utf8')).toBe('a\nb\n');
    // A backup that exists already is replaced, not appended to, and never left empty.
    await safeWriteFile(f, 'c\n', { backup: `${f}.old` });
    expect(await readFile(`${f}.old`, 'utf8')).toBe('a\nb\n');
    expect(await temps(dir)).toEqual([]);
  });

  it('copyFileAtomic copies content and mode', async () => {
    await writeFile(join(dir, 's'), '{ broken');
    await chmod(join(dir, 's'), 0o600);
    await copyFileAtomic(join(dir, 's'), join(dir, 's.corrupt'));
    expect(await readFile(join(dir, 's.corrupt'), 'utf8')).toBe('{ broken');
    expect(await mode(join(dir, 's.corrupt'))).toBe(0o600);
  });

  it('a missing folder is an error naming it; createParents makes it 0700', async () => {
    const f = join(dir, 'a', 'b', 'file');
    const e = await safeWriteFile(f, 'x').catch((x: unknown) => x);
    expect(codeOf(e)).toBe('folder-missing');
    expect((e as KeyDockError).message).toContain(join(dir, 'a', 'b'));
    await expect(stat(join(dir, 'a'))).rejects.toMatchObject({ code: 'ENOENT' });
    await safeWriteFile(f, 'x', { createParents: true });
    expect(await readFile(f, 'utf8')).toBe('x');
    expect(await mode(join(dir, 'a'))).toBe(0o700);
    expect(await mode(join(dir, 'a', 'b'))).toBe(0o700);
    await writeFile(join(dir, 'plain'), '');
    expect(codeOf(await safeWriteFile(join(dir, 'plain', 'x'), 'x').catch((x: unknown) => x))).toBe('folder-missing');
  });

  it('removes temp files left by a killed process, and any older than a minute, but not a live writer’s', async () => {
    const dead = join(dir, '.config.999999999-abcdef.keydock-tmp');
    const old = join(dir, `.config.${process.pid}-aaaaaa.keydock-tmp`);
    const fresh = join(dir, `.config.${process.pid}-bbbbbb.keydock-tmp`);
    for (const p of [dead, old, fresh]) await writeFile(p, '-----BEGIN OPENSSH PRIVATE KEY-----', { mode: 0o600 });
    const past = new Date(Date.now() - 120_000);
    await utimes(old, past, past);
    await safeWriteFile(join(dir, 'config'), 'x');
    expect((await temps(dir)).sort()).toEqual([`.config.${process.pid}-bbbbbb.keydock-tmp`]);
  });
});

// A real full disk: a 64 KiB tmpfs. Mounting needs root (CI runs as root).
const isRoot = process.getuid?.() === 0;
describe.skipIf(!isRoot)('safe writes on a full disk (tmpfs, root only)', () => {
  let mnt = '';
  let mounted = false;
  beforeAll(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'kd-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mnt]);
      mounted = true;
    } catch {
      // no tmpfs here (a container without CAP_SYS_ADMIN): the tests below skip themselves
    }
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });

  it('disk-full keeps the previous file and its backup, leaves no temp file, and a key pair is untouched', async (ctx) => {
    if (!mounted) ctx.skip();
    const f = join(mnt, 'known_hosts');
    await safeWriteFile(f, 'host1 ssh-ed25519 AAAA\n', { mode: 0o644 });
    await safeWriteFile(f, 'host1 ssh-ed25519 AAAA\nhost2 ssh-ed25519 BBBB\n', { backup: `${f}.old` });
    await writeKeyPair(join(mnt, 'id'), 'PRIVATE 1\n', join(mnt, 'id.pub'), 'PUBLIC 1\n');
    await writeFile(join(mnt, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined);
    const e = await safeWriteFile(f, Buffer.alloc(16 * 1024, 'x'), { backup: `${f}.old` }).catch((x: unknown) => x);
    expect(codeOf(e)).toBe('disk-full');
    expect((e as KeyDockError).hint).toMatch(/previous file was left as it was/);
    expect(await readFile(f, 'utf8')).toBe('host1 ssh-ed25519 AAAA\nhost2 ssh-ed25519 BBBB\n');
    expect(await readFile(`${f}.old`, 'utf8')).toBe('host1 ssh-ed25519 AAAA\n');
    const k = await writeKeyPair(join(mnt, 'id'), 'P'.repeat(16 * 1024), join(mnt, 'id.pub'), 'PUBLIC 2\n', { overwrite: true }).catch((x: unknown) => x);
    expect(codeOf(k)).toBe('disk-full');
    expect(await readFile(join(mnt, 'id'), 'utf8')).toBe('PRIVATE 1\n');
    expect(await readFile(join(mnt, 'id.pub'), 'utf8')).toBe('PUBLIC 1\n');
    expect(await temps(mnt)).toEqual([]);
  });
});

describe('writeKeyPair', () => {
  it('writes a new pair (private 0600, public 0644) and refuses to replace the private key without overwrite', async () => {
    const priv = join(dir, 'id_test');
    const r = await writeKeyPair(priv, 'PRIVATE A\n', `${priv}.pub`, 'PUBLIC A\n');
    expect(r.previous).toBeNull();
    expect(await mode(priv)).toBe(0o600);
    expect(await mode(`${priv}.pub`)).toBe(0o644);
    const e = await writeKeyPair(priv, 'PRIVATE B\n', `${priv}.pub`, 'PUBLIC B\n').catch((x: unknown) => x);
    expect(codeOf(e)).toBe('key-file-exists');
    expect(await readFile(priv, 'utf8')).toBe('PRIVATE A\n');
    expect(await readFile(`${priv}.pub`, 'utf8')).toBe('PUBLIC A\n');
    await expect(checkKeyPairTargets(priv, `${priv}.pub`)).rejects.toMatchObject({ code: 'key-file-exists' });
    expect(await temps(dir)).toEqual([]);
    await expect(stat(`${priv}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a lone .pub (no private key beside it) counts as absent and is replaced', async () => {
    const priv = join(dir, 'id_lone');
    await writeFile(`${priv}.pub`, 'PUBLIC OLD\n');
    await checkKeyPairTargets(priv, `${priv}.pub`);
    await writeKeyPair(priv, 'PRIVATE N\n', `${priv}.pub`, 'PUBLIC N\n');
    expect(await readFile(`${priv}.pub`, 'utf8')).toBe('PUBLIC N\n');
  });

  it('overwrite keeps the old pair as NAME.keydock-old-<UTC time> (+ .pub), twice in the same second too', async () => {
    const priv = join(dir, 'id_over');
    await writeKeyPair(priv, 'PRIVATE 1\n', `${priv}.pub`, 'PUBLIC 1\n');
    const r2 = await writeKeyPair(priv, 'PRIVATE 2\n', `${priv}.pub`, 'PUBLIC 2\n', { overwrite: true });
    const r3 = await writeKeyPair(priv, 'PRIVATE 3\n', `${priv}.pub`, 'PUBLIC 3\n', { overwrite: true });
    expect(r2.previous?.privatePath).toMatch(/\/id_over\.keydock-old-\d{8}T\d{6}Z$/);
    expect(r3.previous?.privatePath).not.toBe(r2.previous?.privatePath);
    expect(await readFile(r2.previous!.privatePath, 'utf8')).toBe('PRIVATE 1\n');
    expect(await readFile(r2.previous!.publicPath!, 'utf8')).toBe('PUBLIC 1\n');
    expect(await readFile(r3.previous!.privatePath, 'utf8')).toBe('PRIVATE 2\n');
    expect(await readFile(r3.previous!.publicPath!, 'utf8')).toBe('PUBLIC 2\n');
    expect(await mode(r2.previous!.privatePath)).toBe(0o600);
    expect(await readFile(priv, 'utf8')).toBe('PRIVATE 3\n');
    expect(await readFile(`${priv}.pub`, 'utf8')).toBe('PUBLIC 3\n');
    expect(oldKeyBackupPath('/k/id', new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('/k/id.keydock-old-20240102T030405Z');
  });

  it('overwrite still refuses a private key path that is not a regular file, before writing anything', async () => {
    await mkdir(join(dir, 'id_dir'));
    await expect(checkKeyPairTargets(join(dir, 'id_dir'), join(dir, 'id_dir.pub'), { overwrite: true })).rejects.toMatchObject({ code: 'not-a-regular-file' });
    await expect(writeKeyPair('/dev/null', 'x', join(dir, 'x.pub'), 'y', { overwrite: true })).rejects.toMatchObject({ code: 'not-a-regular-file' });
    await mkdir(join(dir, 'id_p.pub'));
    await expect(writeKeyPair(join(dir, 'id_p'), 'x', join(dir, 'id_p.pub'), 'y', { overwrite: true })).rejects.toMatchObject({ code: 'not-a-regular-file' });
    await expect(stat(join(dir, 'id_p'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await temps(dir)).toEqual([]);
  });

  it('a missing folder is an error naming it unless createParents', async () => {
    const priv = join(dir, 'keys', 'id');
    const e = await checkKeyPairTargets(priv, `${priv}.pub`).catch((x: unknown) => x);
    expect(codeOf(e)).toBe('folder-missing');
    expect((e as KeyDockError).message).toContain(join(dir, 'keys'));
    await checkKeyPairTargets(priv, `${priv}.pub`, { createParents: true });
    await writeKeyPair(priv, 'P\n', `${priv}.pub`, 'Q\n', { createParents: true });
    expect(await mode(join(dir, 'keys'))).toBe(0o700);
  });
});
