import { readFile, stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userPaths } from '../../../main/util/paths';
import { autostartEntry, autostartFile, setLinuxAutostart } from '../../../main/config/autostart';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

let home: TmpHome;
beforeEach(async () => (home = await makeTmpHome()));
afterEach(async () => home.cleanup());

describe('Linux autostart entry', () => {
  it('quotes paths with spaces and starts hidden', () => {
    expect(autostartEntry('/opt/Key Dock/keydock')).toContain('Exec="/opt/Key Dock/keydock" --hidden\n');
    expect(autostartEntry('/usr/bin/keydock')).toContain('Exec=/usr/bin/keydock --hidden\n');
  });

  it('is written into XDG_CONFIG_HOME/autostart and removed again', async () => {
    const paths = userPaths(home.env, 'linux');
    const file = autostartFile(paths, home.env);
    expect(file.startsWith(home.dir)).toBe(true);
    await setLinuxAutostart(paths, home.env, true, '/usr/bin/keydock');
    expect(await readFile(file, 'utf8')).toMatch(/^\[Desktop Entry\]\nType=Application\nName=KeyDock\n/);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    // Turning it on again replaces the entry in place (a new path to the app after an update).
    await setLinuxAutostart(paths, home.env, true, '/opt/KeyDock/keydock');
    expect(await readFile(file, 'utf8')).toContain('Exec=/opt/KeyDock/keydock --hidden\n');
    await setLinuxAutostart(paths, home.env, false, '/usr/bin/keydock');
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
