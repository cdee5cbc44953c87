import { readFile, stat } from 'node:fs/promises';
import type { Settings } from '../../shared/contract/app';

// The schema (and zod with it) and the writers load on first use, not with every CLI command
// that makes a Runtime.
const schema = async () => (await import('../../shared/contract/app')).Settings;
const writers = async () => {
  const [{ withFileLock }, { copyFileAtomic, safeWriteFile }] = await Promise.all([import('../util/file-lock'), import('../util/safe-write')]);
  return { withFileLock, copyFileAtomic, safeWriteFile };
};

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

  /**
   * The settings when a settings file exists, else null (every field at its default), without
   * loading the schema for a file that is not there: what read-only commands ask.
   */
  async peek(): Promise<Settings | null> {
    if (this.cache) return this.cache;
    try {
      await stat(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return this.get();
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const [Settings, { withFileLock, safeWriteFile }] = await Promise.all([schema(), writers()]);
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
    await (await writers()).copyFileAtomic(this.file, `${this.file}.corrupt`);
    return Settings.parse({});
  }
}
