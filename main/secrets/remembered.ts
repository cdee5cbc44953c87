// Which key files have a remembered passphrase, so `keydock load` (and the app at login) can
// find them again. Holds only paths and fingerprints; the passphrases stay in the keychain.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../keys/files';

const Entry = z.object({ fingerprint: z.string(), path: z.string(), comment: z.string().default('') });
const FileShape = z.object({ version: z.literal(1), keys: z.array(Entry) });
export type RememberedKey = z.infer<typeof Entry>;

/** Location of the list inside KeyDock's config folder. */
export function rememberedFile(configDir: string): string {
  return join(configDir, 'remembered-keys.json');
}

/** Reads the list; a missing or unreadable file is an empty list (the keychain stays the source of truth). */
export async function listRememberedKeys(configDir: string): Promise<RememberedKey[]> {
  try {
    const parsed = FileShape.safeParse(JSON.parse(await readFile(rememberedFile(configDir), 'utf8')));
    return parsed.success ? parsed.data.keys : [];
  } catch {
    return [];
  }
}

/** Adds or updates the entry for a fingerprint. */
export async function addRememberedKey(configDir: string, entry: RememberedKey): Promise<void> {
  const keys = (await listRememberedKeys(configDir)).filter((k) => k.fingerprint !== entry.fingerprint);
  keys.push(entry);
  await save(configDir, keys);
}

/** Drops the entry for a fingerprint; true when one existed. */
export async function removeRememberedKey(configDir: string, fingerprint: string): Promise<boolean> {
  const keys = await listRememberedKeys(configDir);
  const rest = keys.filter((k) => k.fingerprint !== fingerprint);
  if (rest.length !== keys.length) await save(configDir, rest);
  return rest.length !== keys.length;
}

async function save(configDir: string, keys: RememberedKey[]): Promise<void> {
  await writeFileAtomic(rememberedFile(configDir), `${JSON.stringify({ version: 1, keys }, null, 2)}\n`, { mode: 0o600, force: true });
}
