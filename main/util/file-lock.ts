// One writer at a time for files that both the app and the `keydock` command change (the
// remembered-keys list, settings, ~/.ssh/config, known_hosts): a lock directory `FILE.lock`
// beside the file, made with mkdir (atomic on every file system KeyDock supports). A process
// that dies holding it leaves a lock that goes stale after STALE_MS and is then taken over.
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { KeyDockError } from './errors';

/** A held lock whose mtime has not been refreshed for this long belongs to a dead process. */
export const STALE_MS = 10_000;

/**
 * How long a writer waits for the lock: backoff from 25 ms to 250 ms, about 12 s in all, a
 * little longer than STALE_MS, so a lock left by a killed process is taken over instead of
 * failing. A live holder keeps its lock only for one read-modify-write, a few milliseconds.
 */
const WAIT_MS = 12_000;
const FIRST_DELAY_MS = 25;
const MAX_DELAY_MS = 250;

export interface FileLockOptions {
  /** Create the file's folder (mode 0700) when it is missing; otherwise that is an error naming it. */
  createParents?: boolean;
}

/** The path of the lock directory for PATH. */
export function lockPathFor(path: string): string {
  return `${resolve(path)}.lock`;
}

/**
 * Runs `fn` while holding the lock for PATH (which need not exist yet). Do the whole
 * read-modify-write inside `fn`: read the file again after the lock is held, never before.
 * The lock is not re-entrant: `fn` must not lock the same path again.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const abs = resolve(path);
  let release: () => Promise<void>;
  try {
    if (options.createParents) await mkdir(dirname(abs), { recursive: true, mode: 0o700 });
    release = await lockWithBackoff(abs);
  } catch (e) {
    throw lockError(e, abs);
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** Tries the lock until WAIT_MS has passed; only "held by someone else" is worth waiting for. */
async function lockWithBackoff(abs: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + WAIT_MS;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(MAX_DELAY_MS, Math.round(delay * 1.5))) {
    try {
      // Loaded on first use: commands that never write a shared file do not pay for it.
      const { lock } = await import('proper-lockfile');
      return await lock(abs, {
        realpath: false,
        stale: STALE_MS,
        // The default throws from a timer (an uncaught exception). A lock lost while held (the
        // machine slept past STALE_MS) changes nothing already written: every write is atomic.
        onCompromised: () => undefined,
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() >= deadline) throw e;
    }
    // A little jitter, so two waiting processes do not retry in lockstep.
    await new Promise((r) => setTimeout(r, Math.min(delay * (0.75 + Math.random() / 2), Math.max(0, deadline - Date.now()))));
  }
}

function lockError(e: unknown, abs: string): unknown {
  const dir = dirname(abs);
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ELOCKED') {
    return new KeyDockError(
      'file-locked',
      `${abs} is being changed by another KeyDock process (the app or the keydock command), which has held it for a while.`,
      `Try again in a few seconds. If nothing else is running, remove the folder ${abs}.lock.`,
      { cause: e },
    );
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new KeyDockError('folder-missing', `The folder ${dir} does not exist, so ${abs} cannot be changed.`, `Create ${dir} first, or check the path for a typo.`, { cause: e, exitCode: 2 });
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new KeyDockError('disk-full', `Could not save ${abs}: the disk is full.`, 'Free some disk space and try again; the previous file was left as it was.', { cause: e });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new KeyDockError('file-not-writable', `KeyDock may not write in ${dir} (${code}).`, `Check the owner and permissions of ${dir}.`, { cause: e });
  }
  return e;
}
