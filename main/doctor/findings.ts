/**
 * What every doctor check shares: the finding shape with its optional fix, and the files of
 * ~/.ssh the permission checks (Unix modes, Windows ACLs) look at.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DoctorFinding } from '../../shared/contract/connect';

/** One change a fix made, as `keydock doctor --fix` reports it. */
export interface FixChange {
  file: string;
  /** What changed, in words ("permissions 0755 → 0700", "added IdentitiesOnly yes at line 4"). */
  change: string;
  /** Where the previous version is kept; null when nothing was kept (only permissions changed). */
  backup: string | null;
}

export interface CheckedFinding extends DoctorFinding {
  /** Applies the fix and says what it changed; only present when canFix. */
  apply?: () => Promise<FixChange[]>;
}

export function finding(f: Omit<CheckedFinding, 'canFix'> & { canFix?: boolean }): CheckedFinding {
  return { ...f, canFix: f.canFix ?? f.apply !== undefined };
}

export const sshDirMissing = (dir: string): CheckedFinding =>
  finding({ id: 'ssh-dir-missing', severity: 'info', title: 'No ~/.ssh folder', message: `${dir} does not exist yet; you have no SSH keys or config.`, fix: 'Create a key: keydock keygen' });

/** Private keys in ~/.ssh (PEM/OpenSSH "PRIVATE KEY" blocks and PuTTY .ppk files), sorted by name. */
export async function privateKeyFiles(dir: string): Promise<Array<{ name: string; path: string }>> {
  const out: Array<{ name: string; path: string }> = [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    const path = join(dir, name);
    const head = await readHead(path);
    if (head && /-----BEGIN [A-Z ]*PRIVATE KEY-----|^PuTTY-User-Key-File-/m.test(head)) out.push({ name, path });
  }
  return out;
}

async function readHead(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    if (!s.isFile() || s.size > 64 * 1024) return null;
    return (await readFile(path, 'utf8')).slice(0, 200);
  } catch {
    return null;
  }
}
