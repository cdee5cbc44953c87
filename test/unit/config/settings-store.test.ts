import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
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

  it('keeps the .corrupt copy with the original mode and leaves no temp file or lock', async () => {
    const file = join(home.dir, 'settings.json');
    await writeFile(file, '{"theme": 42}');
    await chmod(file, 0o640);
    await new SettingsStore(file).update({ theme: 'light' });
    expect(await readFile(`${file}.corrupt`, 'utf8')).toBe('{"theme": 42}');
    expect((await stat(`${file}.corrupt`)).mode & 0o777).toBe(0o640);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ theme: 'light' });
    expect((await readdir(home.dir)).filter((n) => n.endsWith('.keydock-tmp') || n.endsWith('.lock'))).toEqual([]);
  });

  it('an update re-reads the file, so a change another process saved meanwhile is kept', async () => {
    const file = join(home.dir, 'settings.json');
    const app = new SettingsStore(file);
    const cli = new SettingsStore(file);
    expect((await app.get()).theme).toBe('system');
    await cli.update({ defaultLifetimeMinutes: 45 });
    // The app's cached copy predates the CLI's save; its update must not undo it.
    await app.update({ theme: 'dark' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ theme: 'dark', defaultLifetimeMinutes: 45 });
    await Promise.all([app.update({ theme: 'light' }), cli.update({ defaultLifetimeMinutes: 10 })]);
    expect(await new SettingsStore(file).get()).toMatchObject({ theme: 'light', defaultLifetimeMinutes: 10 });
  });
});
