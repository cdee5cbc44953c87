// Writing key files safely: private files are created 0600 in one step, never half-written,
// and never replace an existing file unless the caller explicitly forces it.
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { KeyDockError } from '../util/errors';

/** Writes `content` to `path` atomically with `mode`; refuses to overwrite unless `force`. */
export async function writeFileAtomic(path: string, content: string, opts: { mode: number; force?: boolean }): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.keydock-${randomBytes(6).toString('hex')}.tmp`);
  // 'wx' + mode: the temp file never exists with wider permissions, not even for a moment.
  const fh = await open(tmp, 'wx', opts.mode);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, opts.mode);
    if (opts.force) await rename(tmp, path);
    else {
      // link() fails with EEXIST instead of replacing: an atomic "create if absent".
      await link(tmp, path);
      await unlink(tmp);
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KeyDockError('key-file-exists', `${path} already exists; KeyDock does not overwrite keys.`, 'Choose another file name, or pass --force if you really want to replace it (the old key is lost).', { exitCode: 2 });
    }
    throw new KeyDockError('key-file-write-failed', `Could not write ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, 'Check that the folder exists and is writable.', { exitCode: 2, cause: e });
  }
}

/** Checks both target paths are free before writing either, so a pair is never half-created. */
export async function ensureAbsent(paths: string[]): Promise<void> {
  const { access } = await import('node:fs/promises');
  for (const p of paths) {
    const exists = await access(p).then(
      () => true,
      () => false,
    );
    if (exists) throw new KeyDockError('key-file-exists', `${p} already exists; KeyDock does not overwrite keys.`, 'Choose another file name, or pass --force to replace it (the old key is lost).', { exitCode: 2 });
  }
}
