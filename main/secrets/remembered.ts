// Which key files have a remembered passphrase, so `keydock load` (and the app at login) can
// find them again. Holds only paths and fingerprints; the passphrases stay in the keychain.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { KeyDockError } from '../util/errors';
import { withFileLock } from '../util/file-lock';
import { safeWriteFile } from '../util/safe-write';

// The schema (and zod with it) loads when the list is first read, not with every command that makes a context.
const schemas = async () => {
  const { z } = await import('zod');
  const Entry = z.object({ fingerprint: z.string(), path: z.string(), comment: z.string().default('') });
  return { Entry, FileShape: z.object({ version: z.literal(1), keys: z.array(Entry) }) };
};
export type RememberedKey = z.infer<Awaited<ReturnType<typeof schemas>>['Entry']>;

/** Location of the list inside KeyDock's config folder. */
export function rememberedFile(configDir: string): string {
  return join(configDir, 'remembered-keys.json');
}

/**
 * Reads the list. A missing file (or one holding only whitespace) is an empty list; a file that
 * exists but cannot be read or parsed is an error, never an empty list that the next save would
 * write over (the keychain still holds the passphrases, but this file says which keys they open).
 */
export async function listRememberedKeys(configDir: string): Promise<RememberedKey[]> {
  const file = rememberedFile(configDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new KeyDockError('remembered-unreadable', `Could not read the list of remembered keys, ${file} (${code ?? String(e)}).`, `Make ${file} readable by you; KeyDock leaves it alone until it can read it.`, { cause: e });
  }
  if (text.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw corrupt(file, e);
  }
  const parsed = (await schemas()).FileShape.safeParse(json);
  if (!parsed.success) throw corrupt(file, parsed.error);
  return parsed.data.keys;
}

function corrupt(file: string, cause: unknown): KeyDockError {
  return new KeyDockError(
    'remembered-corrupt',
    `The list of remembered keys, ${file}, is damaged: KeyDock cannot read it.`,
    `Fix the JSON in ${file}, or move it away to start a new list (the passphrases stay in the system keychain); KeyDock does not write over it.`,
    { cause },
  );
}

/** Adds or updates the entry for a fingerprint (under the file lock: the app and the CLI may both be adding). */
export async function addRememberedKey(configDir: string, entry: RememberedKey): Promise<void> {
  await update(configDir, (keys) => [...keys.filter((k) => k.fingerprint !== entry.fingerprint), entry]);
}

/** Drops the entry for a fingerprint; true when one existed. */
export async function removeRememberedKey(configDir: string, fingerprint: string): Promise<boolean> {
  let removed = false;
  await update(configDir, (keys) => {
    const rest = keys.filter((k) => k.fingerprint !== fingerprint);
    removed = rest.length !== keys.length;
    return removed ? rest : null;
  });
  return removed;
}

/** Read-modify-write under the lock; CHANGE returns null for "nothing to write". */
async function update(configDir: string, change: (keys: RememberedKey[]) => RememberedKey[] | null): Promise<void> {
  const file = rememberedFile(configDir);
  await withFileLock(
    file,
    async () => {
      const next = change(await listRememberedKeys(configDir));
      if (next) await safeWriteFile(file, `${JSON.stringify({ version: 1, keys: next }, null, 2)}\n`, { mode: 0o600, forceMode: true });
    },
    { createParents: true },
  );
}
