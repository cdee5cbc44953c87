// Moving a key pair into ~/.ssh/keydock-archive/<date>/ (and back, for a rollback). Nothing is
// deleted: each file is first given its new name (a hard link, or a safe-write copy with the
// same mode where links are not possible, e.g. across file systems), checked to hold the same
// bytes, and only then is the old name removed. main/util/safe-write.ts has no "move", so this
// is a small adapter on its copy; it runs under the private key's file lock, as key pair
// writes do. A stop at any point leaves the key under its old name, its new name, or both.
import { link, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KeyDockError } from '../util/errors';
import { withFileLock } from '../util/file-lock';
import { copyFileAtomic } from '../util/safe-write';

export interface MovedFile {
  from: string;
  to: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([readFile(a), readFile(b)]);
    return x.equals(y);
  } catch {
    return false;
  }
}

/** A name in DIR for BASE that is free, or already holds FROM's bytes (a move that was interrupted). */
async function destinationFor(from: string, dir: string): Promise<string> {
  const base = basename(from);
  for (let n = 1; ; n++) {
    const candidate = join(dir, n === 1 ? base : `${base}-${n}`);
    if (!(await exists(candidate))) return candidate;
    if (await sameBytes(from, candidate)) return candidate;
  }
}

/** Moves FROM to TO (see the file comment). TO must be free or already hold the same bytes. */
async function moveFile(from: string, to: string): Promise<void> {
  const st = await lstat(from);
  if (!(await exists(to))) {
    try {
      await link(from, to);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new KeyDockError('file-exists', `${to} already exists.`, 'Move it away, then try again.', { exitCode: 2 });
      if (st.isSymbolicLink()) throw e;
      await copyFileAtomic(from, to);
    }
  }
  if (!st.isSymbolicLink() && !(await sameBytes(from, to))) {
    throw new KeyDockError('archive-mismatch', `${to} does not hold the same bytes as ${from}; KeyDock left both in place.`, `Compare the two files and remove the wrong one yourself.`);
  }
  await unlink(from);
}

/**
 * Where PRIVATEPATH and its .pub (when present) go in DIR: decided (and saved by the caller)
 * before anything moves, so an interrupted move can be finished or undone.
 */
export async function planArchive(privatePath: string, publicPath: string | null, dir: string): Promise<MovedFile[]> {
  const out: MovedFile[] = [];
  // The .pub first: stopped in between, the private key still has its name.
  for (const from of [publicPath, privatePath]) {
    if (!from || !(await exists(from))) continue;
    out.push({ from, to: await destinationFor(from, dir) });
  }
  return out;
}

/** Carries out planned moves (folders made 0700); moves already done are recognised. */
export async function moveFiles(moves: MovedFile[], lockPath: string): Promise<MovedFile[]> {
  const done: MovedFile[] = [];
  await withFileLock(lockPath, async () => {
    for (const m of moves) {
      if (!(await exists(m.from))) {
        if (await exists(m.to)) done.push(m);
        continue;
      }
      await mkdir(dirname(m.to), { recursive: true, mode: 0o700 });
      await moveFile(m.from, m.to);
      done.push(m);
    }
  });
  return done;
}

/** Puts archived files back under their old names (a rollback); a name taken meanwhile is left alone and reported. */
export async function restoreFiles(moved: MovedFile[]): Promise<{ restored: MovedFile[]; blocked: MovedFile[] }> {
  const restored: MovedFile[] = [];
  const blocked: MovedFile[] = [];
  // The private key first back (it was moved last), then its .pub.
  for (const m of [...moved].reverse()) {
    if (!(await exists(m.to))) continue;
    if ((await exists(m.from)) && !(await sameBytes(m.from, m.to))) {
      blocked.push(m);
      continue;
    }
    await mkdir(dirname(m.from), { recursive: true, mode: 0o700 });
    await withFileLock(m.from, () => moveFile(m.to, m.from));
    restored.push(m);
  }
  return { restored, blocked };
}
