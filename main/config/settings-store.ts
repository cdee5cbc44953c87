import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Settings } from '../../shared/contract/app';
import { writeFileAtomic } from '../util/atomic-write';

/** Persists the user's settings as JSON; a corrupt file is kept aside, never silently lost. */
export class SettingsStore {
  private cache: Settings | null = null;

  constructor(private readonly file: string) {}

  async get(): Promise<Settings> {
    if (this.cache) return this.cache;
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
      parsed = {};
    }
    const result = Settings.safeParse(parsed);
    this.cache = result.success ? result.data : Settings.parse({});
    return this.cache;
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const next = Settings.parse({ ...(await this.get()), ...patch });
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
    this.cache = next;
    return next;
  }
}
