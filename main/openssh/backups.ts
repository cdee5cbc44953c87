// The backups KeyDock keeps in ~/.ssh before it replaces a file there (docs/architecture.md §7.2):
// a replaced key pair as `NAME.keydock-old-<UTC time>` (+ `.pub`), the previous ssh config as
// `config.keydock-backup`, the previous known_hosts as `known_hosts.old`. They are listed to the
// window and restored from it; a restore first keeps what it replaces, so it can be undone too.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyDockError } from '../util/errors';
import { freeBackupPath, safeWriteFile, writeKeyPair } from '../util/safe-write';
import { readUserFile } from '../util/read-file';

export type BackupKind = 'key' | 'ssh-config' | 'known-hosts';

export interface Backup {
  /** The backup file (for a key: the private key's backup; its `.pub` travels with it). */
  path: string;
  /** The file it restores. */
  original: string;
  kind: BackupKind;
  /** When it was made (ms since the epoch): from the name for keys, else the file's mtime. */
  createdAt: number;
  hasPublicKey: boolean;
}

const KEY_BACKUP = /^(.+)\.keydock-old-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-\d+)?$/;
const MAX_BACKUP_BYTES = 4 * 1024 * 1024;

/** What a backup name in SSH_DIR restores, or null when the name is not one of KeyDock's backups. */
export function parseBackupName(sshDir: string, name: string): Omit<Backup, 'createdAt' | 'hasPublicKey'> | null {
  if (name.includes('/') || name.includes('\\') || name.startsWith('.')) return null;
  const m = KEY_BACKUP.exec(name);
  if (m && !name.endsWith('.pub')) {
    // A restore keeps the config or known_hosts it replaces under the same timestamped name.
    const kind: BackupKind = m[1] === 'config' ? 'ssh-config' : m[1] === 'known_hosts' ? 'known-hosts' : 'key';
    return { path: join(sshDir, name), original: join(sshDir, m[1]!), kind };
  }
  if (name === 'config.keydock-backup') return { path: join(sshDir, name), original: join(sshDir, 'config'), kind: 'ssh-config' };
  if (name === 'known_hosts.old') return { path: join(sshDir, name), original: join(sshDir, 'known_hosts'), kind: 'known-hosts' };
  return null;
}

const isRegular = async (p: string) => (await lstat(p).catch(() => null))?.isFile() ?? false;

/** KeyDock's backups in SSH_DIR, newest first. */
export async function listBackups(sshDir: string): Promise<Backup[]> {
  let names: string[];
  try {
    names = await readdir(sshDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: Backup[] = [];
  for (const name of names) {
    const b = parseBackupName(sshDir, name);
    if (!b) continue;
    const st = await lstat(b.path).catch(() => null);
    if (!st?.isFile()) continue;
    const m = KEY_BACKUP.exec(name);
    const createdAt = m ? Date.UTC(+m[2]!, +m[3]! - 1, +m[4]!, +m[5]!, +m[6]!, +m[7]!) : st.mtimeMs;
    out.push({ ...b, createdAt, hasPublicKey: b.kind === 'key' && (await isRegular(`${b.path}.pub`)) });
  }
  return out.sort((a, b) => b.createdAt - a.createdAt);
}

/**
 * Puts a backup back. Only a name `listBackups` would show, inside SSH_DIR, is accepted. What is
 * there now is kept first (a key pair as a new `keydock-old-` pair, a config or known_hosts as
 * `FILE.keydock-old-<time>`), so a restore never loses anything either.
 */
export async function restoreBackup(sshDir: string, backupName: string): Promise<{ restored: string; keptCurrentAs: string | null }> {
  const b = parseBackupName(sshDir, backupName);
  if (!b || !(await isRegular(b.path))) {
    throw new KeyDockError('backup-unknown', `${backupName} is not one of KeyDock's backups in ${sshDir}.`, 'Choose a backup from the list.');
  }
  const data = await readUserFile(b.path, { maxBytes: MAX_BACKUP_BYTES });
  if (b.kind === 'key') {
    const pubPath = `${b.path}.pub`;
    const pub = (await isRegular(pubPath)) ? (await readUserFile(pubPath, { maxBytes: MAX_BACKUP_BYTES })).toString('utf8') : null;
    if (pub === null) {
      // No .pub kept beside it (a key replaced before KeyDock wrote pairs): restore the private key alone.
      const r = await safeWriteFile(b.original, data, { mode: 0o600, backup: (await isRegular(b.original)) ? await freeBackupPath(b.original) : undefined });
      return { restored: b.original, keptCurrentAs: r.backup };
    }
    const r = await writeKeyPair(b.original, data.toString('utf8'), `${b.original}.pub`, pub, { overwrite: true });
    return { restored: b.original, keptCurrentAs: r.previous?.privatePath ?? null };
  }
  const keep = (await isRegular(b.original)) ? await freeBackupPath(b.original) : undefined;
  const r = await safeWriteFile(b.original, data, { mode: 0o600, ...(keep ? { backup: keep } : {}) });
  return { restored: b.original, keptCurrentAs: r.backup };
}
