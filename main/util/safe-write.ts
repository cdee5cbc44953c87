// The one way KeyDock writes a file. Readers see the old content or the new one, never half
// of either: the data goes to a dot-file beside the target (created 'wx' with its final mode,
// so a private key is never readable by others, not even for a moment), is fsynced, and is
// renamed over the target; then the folder is fsynced. A symlinked target (~/.ssh/config kept
// in a dotfiles repository) is written through: the link stays, its target gets the content.
// Anything that exists and is not a regular file (a folder, a FIFO, a device, a socket) is
// refused after an lstat/stat, before anything is opened.
import { randomBytes } from 'node:crypto';
import { type Stats } from 'node:fs';
import { link, lstat, mkdir, open, readFile, readdir, readlink, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { KeyDockError } from './errors';
import { withFileLock } from './file-lock';

export interface SafeWriteOptions {
  /** Mode of a new file (default 0600). A file being replaced keeps its own mode unless `forceMode`. */
  mode?: number;
  /** Give the file `mode` even when it replaces one with another mode (a private key is never left 0644). */
  forceMode?: boolean;
  /** Never replace: fail with 'file-exists' if the path exists, even when it appears meanwhile. */
  exclusive?: boolean;
  /** Keep the previous content here first (written the same safe way, with the original's mode). */
  backup?: string;
  /** Create missing folders (mode 0700) instead of failing with 'folder-missing'. */
  createParents?: boolean;
}

export interface SafeWriteResult {
  /** The file that was written: PATH, or the end of its symlink chain. */
  path: string;
  /** Where the previous content was kept, when `backup` was asked for and there was a previous file. */
  backup: string | null;
}

interface Target {
  /** The path as the caller gave it, absolute. */
  path: string;
  /** The end of the symlink chain (PATH itself when it is not a link). */
  real: string;
  /** The existing regular file at `real`, or null when there is none. */
  existing: Stats | null;
}

const TEMP_SUFFIX = '.keydock-tmp';
const TEMP_NAME = /^\..+\.(\d+)-[0-9a-f]+\.keydock-tmp$/;
/** Temp files of a live process older than this are leftovers too (a write takes milliseconds). */
const TEMP_MAX_AGE_MS = 60_000;
const MAX_LINK_HOPS = 40;

/**
 * Writes DATA to PATH safely (see the file comment). Errors are KeyDockErrors a user can act on:
 * 'not-a-regular-file', 'file-exists' (exclusive), 'folder-missing', 'disk-full' (the previous
 * file is untouched), 'file-not-writable', 'symlink-loop', 'file-write-failed'.
 */
export async function safeWriteFile(path: string, data: string | Uint8Array, options: SafeWriteOptions = {}): Promise<SafeWriteResult> {
  const t = await prepareTarget(path, { exclusive: !!options.exclusive, createParents: !!options.createParents });
  const mode = t.existing && !options.forceMode ? t.existing.mode & 0o7777 : (options.mode ?? 0o600);
  await removeStaleTemps(dirname(t.real));
  let tmp: string | null = null;
  try {
    tmp = await createTemp(t.real, data, mode, t.existing);
    killPoint('after-temp-write', t.real, t.path);
    let backup: string | null = null;
    if (options.backup && t.existing) {
      backup = await keepCopy(t, options.backup);
      killPoint('after-backup', t.real, t.path);
    }
    if (options.exclusive) await publishIfAbsent(tmp, t.real, () => fileExists(t.path));
    else await rename(tmp, t.real);
    tmp = null;
    killPoint('after-rename', t.real, t.path);
    await syncFolder(dirname(t.real));
    return { path: t.real, backup };
  } catch (e) {
    throw writeError(e, t.path);
  } finally {
    if (tmp) await unlink(tmp).catch(() => undefined);
  }
}

/** Copies SRC to DEST safely (DEST gets SRC's mode); for keeping a file aside, e.g. `settings.json.corrupt`. */
export async function copyFileAtomic(src: string, dest: string, options: { createParents?: boolean } = {}): Promise<SafeWriteResult> {
  const s = await statRegular(src);
  const data = await readFile(src);
  return safeWriteFile(dest, data, { mode: s.mode & 0o7777, forceMode: true, createParents: !!options.createParents });
}

/**
 * The end of PATH's symlink chain, like realpath(3) except that a dangling link resolves to the
 * file it names (which a write then creates). A path that is not a link is returned absolute.
 */
export async function resolveLinkTarget(path: string): Promise<string> {
  return (await followLinks(resolve(path))).real;
}

/** A key file backup name: `PATH.keydock-old-YYYYMMDDTHHMMSSZ` (UTC). */
export function oldKeyBackupPath(path: string, when: Date = new Date()): string {
  return `${path}.keydock-old-${when.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/** A backup name for PATH that is free right now: oldKeyBackupPath, with -2, -3… on a clash. */
export async function freeBackupPath(path: string, when: Date = new Date()): Promise<string> {
  const base = oldKeyBackupPath(path, when);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!(await lstatOrNull(candidate)) && !(await lstatOrNull(`${candidate}.pub`))) return candidate;
  }
}

export interface KeyPairWriteOptions {
  /** Replace an existing pair; the old one is kept as `NAME.keydock-old-<UTC time>` (+ `.pub`). */
  overwrite?: boolean;
  /** Create missing folders (mode 0700) instead of failing with 'folder-missing'. */
  createParents?: boolean;
}

export interface KeyPairWriteResult {
  privatePath: string;
  publicPath: string;
  /** Where the replaced pair was kept (overwrite of an existing private key), else null. */
  previous: { privatePath: string; publicPath: string | null } | null;
}

/**
 * Checks, before a key is generated, that the pair can be written: both paths are absent or
 * regular files, their folders exist (unless `createParents`), and without `overwrite` there is
 * no private key. A lone `.pub` (no private key beside it) counts as absent: it is what a write
 * interrupted between its two renames leaves, and it is replaced.
 */
export async function checkKeyPairTargets(privatePath: string, publicPath: string, options: KeyPairWriteOptions = {}): Promise<void> {
  await keyPairTargets(resolve(privatePath), resolve(publicPath), !!options.overwrite, !!options.createParents);
}

/**
 * Writes a private key and its `.pub` so that no interruption (even SIGKILL or a power cut)
 * leaves a half file or a pair that does not match: both go to temp files first, then the
 * `.pub` is renamed into place and the private key last. When a pair is replaced, the old one is
 * first hard-linked (or copied) to `NAME.keydock-old-<UTC time>` (+ `.pub`) and the old private
 * key's name removed, so every moment shows the old pair, no private key (with its backup
 * beside it), or the new pair. Runs under the private key's file lock. Errors as safeWriteFile,
 * with 'key-file-exists' when the private key exists and `overwrite` is not set.
 */
export async function writeKeyPair(privatePath: string, privateText: string, publicPath: string, publicText: string, options: KeyPairWriteOptions = {}): Promise<KeyPairWriteResult> {
  const privAbs = resolve(privatePath);
  const pubAbs = resolve(publicPath);
  const overwrite = !!options.overwrite;
  await ensureFolder(dirname(privAbs), !!options.createParents, privAbs);
  await ensureFolder(dirname(pubAbs), !!options.createParents, pubAbs);
  return withFileLock(privAbs, async () => {
    const { priv, pub } = await keyPairTargets(privAbs, pubAbs, overwrite, false);
    await removeStaleTemps(dirname(priv.real));
    if (dirname(pub.real) !== dirname(priv.real)) await removeStaleTemps(dirname(pub.real));
    let privTmp: string | null = null;
    let pubTmp: string | null = null;
    let previous: KeyPairWriteResult['previous'] = null;
    let oldKeyRemoved = false;
    let pubReplaced = false;
    try {
      privTmp = await createTemp(priv.real, privateText, 0o600, priv.existing);
      pubTmp = await createTemp(pub.real, publicText, pub.existing ? pub.existing.mode & 0o7777 : 0o644, pub.existing);
      killPoint('after-temp-write', priv.real, priv.path);
      if (priv.existing) {
        previous = await keepOldPair(priv.real, pub.existing ? pub.real : null);
        killPoint('after-backup', priv.real, priv.path);
        // The old pair lives on under its backup names; without this, a stop right after the
        // .pub rename would leave the old private key beside the new .pub.
        await unlink(priv.real);
        oldKeyRemoved = true;
        killPoint('after-old-key-removed', priv.real, priv.path);
      }
      await rename(pubTmp, pub.real);
      pubTmp = null;
      pubReplaced = true;
      killPoint('after-pub-rename', priv.real, priv.path);
      // The private key's name is free now in both modes: link() refuses a key created meanwhile.
      await publishIfAbsent(privTmp, priv.real, () => keyFileExists(priv.path));
      privTmp = null;
      killPoint('after-rename', priv.real, priv.path);
      await syncFolder(dirname(priv.real));
      if (dirname(pub.real) !== dirname(priv.real)) await syncFolder(dirname(pub.real));
      return { privatePath: priv.real, publicPath: pub.real, previous };
    } catch (e) {
      const err = writeError(e, privAbs);
      if (previous && oldKeyRemoved && !(await putBackOldPair(previous, priv.real, pub.real, pubReplaced)) && err instanceof KeyDockError) {
        const kept = `${previous.privatePath}${previous.publicPath ? ` and ${previous.publicPath}` : ''}`;
        throw new KeyDockError(err.code, err.message, `${err.hint} The previous key pair is kept as ${kept}.`, { cause: e, exitCode: err.exitCode });
      }
      throw err;
    } finally {
      if (privTmp) await unlink(privTmp).catch(() => undefined);
      if (pubTmp) await unlink(pubTmp).catch(() => undefined);
    }
  });
}

/** After a failed replace: the old pair back under its names (best effort; its backup stays either way). */
async function putBackOldPair(previous: NonNullable<KeyPairWriteResult['previous']>, privReal: string, pubReal: string, pubReplaced: boolean): Promise<boolean> {
  try {
    if (pubReplaced && previous.publicPath) {
      const tmp = tempPathFor(pubReal);
      await link(previous.publicPath, tmp);
      await rename(tmp, pubReal).catch(async (e: unknown) => {
        await unlink(tmp).catch(() => undefined);
        throw e;
      });
    } else if (pubReplaced) {
      await unlink(pubReal);
    }
    await link(previous.privatePath, privReal);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Test hook: KEYDOCK_TEST_KILL_AT=<step> or <file name>:<step> makes this process SIGKILL
 * itself at that step, the way a crash or a killed terminal would stop it. Steps:
 * after-temp-write, after-backup, after-old-key-removed, after-pub-rename, after-rename
 * (the file name is the path's as given or its symlink target's; a backup's own temp file has
 * after-temp-write under the backup's name).
 */
function killPoint(step: string, ...files: string[]): void {
  const at = process.env.KEYDOCK_TEST_KILL_AT;
  if (at && (at === step || files.some((f) => at === `${basename(f)}:${step}`))) process.kill(process.pid, 'SIGKILL');
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function notRegular(t: { path: string; real: string }, st: Stats): KeyDockError {
  const what = t.real === t.path ? t.path : `${t.path} (a link to ${t.real})`;
  return new KeyDockError('not-a-regular-file', `${what} is ${kindOf(st)}, not a regular file; KeyDock will not write to it.`, 'Give the path of a regular file, or move what is there out of the way first.', { exitCode: 2 });
}

function fileExists(path: string): KeyDockError {
  return new KeyDockError('file-exists', `${path} already exists; KeyDock does not replace it.`, 'Choose another file name, or pass --force to replace it.', { exitCode: 2 });
}

function keyFileExists(path: string): KeyDockError {
  return new KeyDockError('key-file-exists', `${path} already exists; KeyDock does not overwrite keys.`, 'Choose another file name, or pass --force to replace it (the old pair is kept as NAME.keydock-old-TIME).', { exitCode: 2 });
}

async function statRegular(path: string): Promise<Stats> {
  const abs = resolve(path);
  const s = await stat(abs);
  if (!s.isFile()) throw notRegular({ path: abs, real: await realpath(abs) }, s);
  return s;
}

/** Makes sure DIR is an existing folder (creating it 0700 when allowed); the error names it. */
async function ensureFolder(dir: string, create: boolean, forPath: string): Promise<void> {
  if (create) {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTDIR' && code !== 'ENOENT') throw writeError(e, forPath);
    }
  }
  let st: Stats;
  try {
    st = await stat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new KeyDockError('folder-missing', `The folder ${dir} does not exist, so ${forPath} cannot be saved.`, `Create ${dir} first, or check the path for a typo.`, { cause: e, exitCode: 2 });
    }
    throw e;
  }
  if (!st.isDirectory()) {
    throw new KeyDockError('folder-missing', `${dir} is not a folder, so ${forPath} cannot be saved in it.`, 'Check the path for a typo.', { exitCode: 2 });
  }
}

/** Walks PATH's symlink chain. Relative links resolve against the real folder holding the link. */
async function followLinks(abs: string): Promise<{ real: string; existing: Stats | null }> {
  let p = abs;
  for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
    const st = await lstatOrNull(p);
    if (!st || !st.isSymbolicLink()) return { real: p, existing: st };
    const to = await readlink(p);
    p = resolve(await realpath(dirname(p)), to);
  }
  throw new KeyDockError('symlink-loop', `${abs} is a chain of more than ${MAX_LINK_HOPS} symbolic links (a loop?).`, 'Point the link at a regular file.', { exitCode: 2 });
}

async function prepareTarget(path: string, opts: { exclusive: boolean; createParents: boolean }): Promise<Target> {
  const abs = resolve(path);
  await ensureFolder(dirname(abs), opts.createParents, abs);
  if (opts.exclusive) {
    // Never-overwrite means the name itself: a link there (even a dangling one) is something that exists.
    const st = await lstatOrNull(abs);
    if (st && !st.isFile() && !st.isSymbolicLink()) throw notRegular({ path: abs, real: abs }, st);
    if (st) throw fileExists(abs);
    return { path: abs, real: abs, existing: null };
  }
  const { real, existing } = await followLinks(abs);
  if (existing && !existing.isFile()) throw notRegular({ path: abs, real }, existing);
  if (real !== abs) await ensureFolder(dirname(real), false, `${abs} (a link to ${real})`);
  return { path: abs, real, existing };
}

async function keyPairTargets(privAbs: string, pubAbs: string, overwrite: boolean, mayCreateParents: boolean): Promise<{ priv: Target; pub: Target }> {
  const folder = async (p: string) => {
    const exists = await stat(dirname(p)).then(
      () => true,
      () => false,
    );
    if (!exists && mayCreateParents) return false;
    await ensureFolder(dirname(p), false, p);
    return true;
  };
  let priv: Target = { path: privAbs, real: privAbs, existing: null };
  if (await folder(privAbs)) {
    if (overwrite) {
      const { real, existing } = await followLinks(privAbs);
      priv = { path: privAbs, real, existing };
      if (existing && !existing.isFile()) throw notRegular(priv, existing);
      if (real !== privAbs) await ensureFolder(dirname(real), false, `${privAbs} (a link to ${real})`);
    } else {
      const st = await lstatOrNull(privAbs);
      if (st && !st.isFile() && !st.isSymbolicLink()) throw notRegular(priv, st);
      if (st) throw keyFileExists(privAbs);
    }
  }
  let pub: Target = { path: pubAbs, real: pubAbs, existing: null };
  if (await folder(pubAbs)) {
    const { real, existing } = await followLinks(pubAbs);
    pub = { path: pubAbs, real, existing };
    if (existing && !existing.isFile()) throw notRegular(pub, existing);
    if (real !== pubAbs) await ensureFolder(dirname(real), false, `${pubAbs} (a link to ${real})`);
  }
  return { priv, pub };
}

function tempPathFor(real: string): string {
  return join(dirname(real), `.${basename(real)}.${process.pid}-${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

/** Gives the new file the replaced file's owner (root editing a user's file); EPERM means we may not. */
async function keepOwner(fh: FileHandle, owner: Stats): Promise<void> {
  if (typeof process.getuid !== 'function') return;
  const mine = await fh.stat();
  if (mine.uid === owner.uid && mine.gid === owner.gid) return;
  try {
    await fh.chown(owner.uid, owner.gid);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EINVAL') throw e;
  }
}

/** Writes DATA to a new temp file beside REAL with MODE from the start; removes it on any failure. */
async function createTemp(real: string, data: string | Uint8Array, mode: number, owner: Stats | null): Promise<string> {
  const tmp = tempPathFor(real);
  const fh = await open(tmp, 'wx', mode);
  try {
    if (owner) await keepOwner(fh, owner);
    // open() applied the umask (never wider than MODE); now exactly MODE, also after a chown.
    await fh.chmod(mode);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return tmp;
}

/** link() as an atomic "create if absent" (rename would replace a file created meanwhile). */
async function publishIfAbsent(tmp: string, real: string, exists: () => KeyDockError): Promise<void> {
  try {
    await link(tmp, real);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw exists();
    // No hard links here (FAT, some network shares): check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    if (await lstatOrNull(real)) throw exists();
    await rename(tmp, real);
    return;
  }
  await unlink(tmp);
}

/** Keeps the current content of T at BACKUP (through BACKUP's links), with T's mode and owner. */
async function keepCopy(t: Target, backupPath: string): Promise<string> {
  const b = await prepareTarget(backupPath, { exclusive: false, createParents: false });
  const existing = t.existing as Stats;
  const tmp = await createTemp(b.real, await readFile(t.real), existing.mode & 0o7777, existing);
  try {
    killPoint('after-temp-write', b.real, b.path);
    await rename(tmp, b.real);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncFolder(dirname(b.real));
  return b.real;
}

/** SRC also at DEST (a new name): a hard link, or a safe copy where links are not possible. */
async function linkOrCopy(src: string, dest: string): Promise<void> {
  try {
    await link(src, dest);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
  }
  const s = await stat(src);
  const tmp = await createTemp(dest, await readFile(src), s.mode & 0o7777, s);
  try {
    await publishIfAbsent(tmp, dest, () => fileExists(dest));
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function keepOldPair(privReal: string, pubReal: string | null): Promise<{ privatePath: string; publicPath: string | null }> {
  const base = await freeBackupPath(privReal);
  // The .pub first: stopped in between, the key is still in place and a spare .pub is harmless.
  if (pubReal) await linkOrCopy(pubReal, `${base}.pub`);
  await linkOrCopy(privReal, base);
  await syncFolder(dirname(base));
  return { privatePath: base, publicPath: pubReal ? `${base}.pub` : null };
}

function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes KeyDock temp files in DIR left by a process that was killed mid-write (they may hold
 * key material): those of a process that is gone, and any older than a minute.
 */
async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    try {
      const st = await lstat(file);
      if (!st.isFile()) continue;
      if (processGone(Number(m[1])) || now - st.mtimeMs > TEMP_MAX_AGE_MS) await unlink(file);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
}

async function syncFolder(dir: string): Promise<void> {
  // Windows cannot open a folder for fsync; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  let fh: FileHandle | null = null;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some file systems (network shares) refuse fsync on a folder; the data itself was synced.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** Turns a failed write into an error the user can act on. */
function writeError(e: unknown, path: string): unknown {
  if (e instanceof KeyDockError) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return e;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new KeyDockError('disk-full', `Could not save ${path}: the disk is full.`, 'Free some disk space and try again; the previous file was left as it was.', { cause: e });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new KeyDockError('file-not-writable', `KeyDock may not write ${path} (${code}).`, `Check the owner and permissions of ${path} and its folder; the previous file was left as it was.`, { cause: e });
  }
  return new KeyDockError('file-write-failed', `Could not save ${path} (${code}).`, 'The previous file was left as it was; try again.', { cause: e });
}
