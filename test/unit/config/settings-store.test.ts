import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SettingsStore } from '../../../main/config/settings-store';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

let home: TmpHome;
beforeEach(async () => (home = await makeTmpHome()));
afterEach(async () => home.cleanup());

describe('SettingsStore', () => {
  it('starts from defaults and persists updates with mode 0600', async () => {
    const file = join(home.dir, 'cfg', 'settings.json');
    const store = new SettingsStore(file);
    expect((await store.get()).theme).toBe('system');
    await store.update({ theme: 'dark', defaultLifetimeMinutes: 30 });
    const again = new SettingsStore(file);
    expect(await again.get()).toMatchObject({ theme: 'dark', defaultLifetimeMinutes: 30 });
    const { mode } = await import('node:fs/promises').then((fs) => fs.stat(file));
    expect(mode & 0o777).toBe(0o600);
  });

  it('falls back to defaults for a corrupt file instead of crashing, and keeps the file aside', async () => {
    const file = join(home.dir, 'settings.json');
    await writeFile(file, '{ this is not json');
    const store = new SettingsStore(file);
    expect((await store.get()).theme).toBe('system');
    await store.update({ theme: 'dark' });
    expect(await readFile(`${file}.corrupt`, 'utf8')).toBe('{ this is not json');
  });
});
