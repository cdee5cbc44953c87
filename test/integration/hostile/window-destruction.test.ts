import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createContext, disposeContext, type AppContext } from '../../../main/context';
import { createHandlers } from '../../../main/ipc/handlers';
import { Router } from '../../../main/ipc/router';
import { run } from '../../support/processes';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// The main process never trusts the window with destruction (docs/architecture.md §7.2): a
// renderer, or anyone holding the bridge token, can ask to generate over an existing key, but the
// old key is kept by main and can be put back from the window.
describe('a compromised window cannot destroy a key', () => {
  let home: TmpHome;
  let ctx: AppContext;
  let router: Router;
  const call = (channel: string, payload: unknown = {}) => router.dispatch(channel, payload, { transport: 'bridge', token: 't', origin: 'http://127.0.0.1:1' });
  const fingerprint = async (file: string) => (await run('ssh-keygen', ['-lf', file])).stdout.split(' ')[1];

  beforeAll(async () => {
    home = await makeTmpHome('keydock-destroy-');
    ctx = createContext({ env: home.env, transport: 'bridge' });
    router = new Router(createHandlers(ctx), { bridgeToken: 't', bridgeOrigins: ['http://127.0.0.1:1'] }, { validateResponses: true });
  });
  afterAll(async () => {
    await disposeContext(ctx);
    await home.cleanup();
  });

  it('keeps the old pair when asked to generate over it, and restores it from the window', async () => {
    const key = join(home.sshDir, 'id_ed25519');
    const g = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'precious', '-f', key]);
    expect(g.code, g.stderr).toBe(0);
    const precious = await fingerprint(key);

    const over = await call('keys:generate-key', { fileName: 'id_ed25519', overwrite: true, comment: 'attacker' });
    expect(over).toMatchObject({ ok: true, value: { previous: expect.stringContaining('id_ed25519.keydock-old-') } });
    expect(await fingerprint(key)).not.toBe(precious);

    const list = await call('keys:list-backups');
    expect(list.ok).toBe(true);
    const backups = (list as { value: Array<{ path: string; original: string; kind: string; hasPublicKey: boolean }> }).value;
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ original: key, kind: 'key', hasPublicKey: true });
    expect(await fingerprint(backups[0]!.path)).toBe(precious);

    const name = backups[0]!.path.split('/').pop()!;
    const restored = await call('keys:restore-backup', { name });
    expect(restored).toMatchObject({ ok: true, value: { restored: key, keptCurrentAs: expect.stringContaining('keydock-old-') } });
    expect(await fingerprint(key)).toBe(precious);
    expect((await readFile(`${key}.pub`, 'utf8')).trim()).toMatch(/ precious$/);
    // Undoing is possible too: the attacker's key was kept, not dropped.
    expect((await call('keys:list-backups') as { value: unknown[] }).value.length).toBeGreaterThanOrEqual(2);
  });

  it('restores only KeyDock backups inside ~/.ssh, by name', async () => {
    await writeFile(join(home.dir, 'outside.keydock-old-20260101T000000Z'), 'x');
    await symlink('/etc/hostname', join(home.sshDir, 'link.keydock-old-20260101T000000Z'));
    for (const name of ['../outside.keydock-old-20260101T000000Z', 'id_ed25519', 'config', '/etc/passwd', 'link.keydock-old-20260101T000000Z', '.hidden.keydock-old-20260101T000000Z']) {
      expect(await call('keys:restore-backup', { name }), name).toMatchObject({ ok: false, error: { code: 'backup-unknown' } });
    }
    expect((await readdir(home.sshDir)).filter((n) => n === 'link')).toEqual([]);
  });

  it('keeps the previous ssh config and known_hosts restorable', async () => {
    const config = join(home.sshDir, 'config');
    await writeFile(config, 'Host mine\n  User me\n', { mode: 0o600 });
    await writeFile(`${config}.keydock-backup`, 'Host older\n', { mode: 0o600 });
    const r = await call('keys:restore-backup', { name: 'config.keydock-backup' });
    expect(r).toMatchObject({ ok: true, value: { restored: config, keptCurrentAs: expect.stringContaining('config.keydock-old-') } });
    expect(await readFile(config, 'utf8')).toBe('Host older\n');
    const kept = (r as { value: { keptCurrentAs: string } }).value.keptCurrentAs;
    expect(await readFile(kept, 'utf8')).toBe('Host mine\n  User me\n');
    const list = (await call('keys:list-backups') as { value: Array<{ path: string; kind: string }> }).value;
    expect(list.find((b) => b.path === kept)?.kind).toBe('ssh-config');
  });
});
