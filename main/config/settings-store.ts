import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Settings } from '../../shared/contract/app';
import { writeFileAtomic } from '../util/atomic-write';

// The schema (and zod with it) loads on first use, not with every CLI command that makes a context.
const schema = async () => (await import('../../shared/contract/app')).Settings;

/**
 * Persists the user's settings as JSON. A file that does not parse is copied aside to
 * `<file>.corrupt` before defaults are used, so the next save cannot lose what was in it.
 */
export class SettingsStore {
  private cache: Settings | null = null;

  constructor(private readonly file: string) {}

  async get(): Promise<Settings> {
    if (this.cache) return this.cache;
    const Settings = await schema();
    let raw: string;
    try {
      raw = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return (this.cache = Settings.parse({}));
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    const result = Settings.safeParse(parsed);
    if (!result.success) await copyFile(this.file, `${this.file}.corrupt`);
    this.cache = result.success ? result.data : Settings.parse({});
    return this.cache;
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const Settings = await schema();
    const next = Settings.parse({ ...(await this.get()), ...patch });
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
    this.cache = next;
    return next;
  }
}
