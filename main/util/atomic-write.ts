import { randomBytes } from 'node:crypto';
import { open, rename, unlink, stat } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { KeyDockError } from './errors';

export interface AtomicWriteOptions {
  /** File mode for a new file; an existing file keeps its mode unless this is set. */
  mode?: number;
  /** Refuse to replace an existing file (key generation never overwrites silently). */
  exclusive?: boolean;
}

/**
 * Writes a file so readers see either the old or the new content, never half of it:
 * a sibling temp file is written, fsynced, then renamed over the target. On failure
 * (a full disk, say) the temp file is removed and the original is untouched.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  let mode = options.mode;
  try {
    const st = await stat(path);
    if (options.exclusive) {
      throw new KeyDockError('file-exists', `${path} already exists.`, 'Choose another file name, or pass --force to replace it.');
    }
    mode ??= st.mode & 0o777;
  } catch (e) {
    if (e instanceof KeyDockError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    if (options.exclusive) {
      // rename() would replace a file created meanwhile; link-then-unlink keeps the promise.
      const { link } = await import('node:fs/promises');
      try {
        await link(tmp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new KeyDockError('file-exists', `${path} already exists.`, 'Choose another file name, or pass --force to replace it.');
        }
        throw e;
      }
      await unlink(tmp);
    } else {
      await rename(tmp, path);
    }
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new KeyDockError('disk-full', `Could not save ${path}: the disk is full.`, 'Free some disk space and try again; the previous file was left as it was.', { cause: e });
    }
    throw e;
  }
}
