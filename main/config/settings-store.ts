import { readFile } from 'node:fs/promises';
import type { Settings } from '../../shared/contract/app';
import { withFileLock } from '../util/file-lock';
import { copyFileAtomic, safeWriteFile } from '../util/safe-write';

// The schema (and zod with it) loads on first use, not with every CLI command that makes a context.
const schema = async () => (await import('../../shared/contract/app')).Settings;

/**
 * Persists the user's settings as JSON. A file that does not parse is copied aside to
 * `<file>.corrupt` (atomically) before defaults are used, so the next save cannot lose what was
 * in it. The app and the CLI may both save: an update re-reads the file under its lock.
 */
export class SettingsStore {
  private cache: Settings | null = null;

  constructor(private readonly file: string) {}

  async get(): Promise<Settings> {
    if (this.cache) return this.cache;
    this.cache = await this.read();
    return this.cache;
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const Settings = await schema();
    const next = await withFileLock(
      this.file,
      async () => {
        const current = await this.read();
        const merged = Settings.parse({ ...current, ...patch });
        await safeWriteFile(this.file, JSON.stringify(merged, null, 2) + '\n', { mode: 0o600 });
        return merged;
      },
      { createParents: true },
    );
    this.cache = next;
    return next;
  }

  /** The settings on disk now: defaults for a missing file, and for a corrupt one after keeping it aside. */
  private async read(): Promise<Settings> {
    const Settings = await schema();
    let raw: string;
    try {
      raw = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Settings.parse({});
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    const result = Settings.safeParse(parsed);
    if (result.success) return result.data;
    await copyFileAtomic(this.file, `${this.file}.corrupt`);
    return Settings.parse({});
  }
}
