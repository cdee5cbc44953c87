import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, disposeContext, type AppContext } from '../../../main/context';
import { createHandlers } from '../../../main/ipc/handlers';
import { Router } from '../../../main/ipc/router';
import { convertMaterial } from '../../../main/keys/convert';
import { materialOf } from '../../../main/keys/load';
import { startKeyring, type TestKeyring } from '../../support/keyring';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

const fixtures = join(__dirname, '../../fixtures/keys/files');

// The renderer's path to keys: contract-validated, paths checked in main, passphrases in a real
// gnome-keyring, remembered keys loaded into a real ssh-agent.
describe('keys over IPC with a real keychain and agent', () => {
  let keyring: TestKeyring;
  let restoreEnv: () => void;
  let home: TmpHome;
  let agent: RealAgent;
  let ctx: AppContext;
  let router: Router;
  const sender = { transport: 'bridge' as const, token: 't', origin: 'http://127.0.0.1:1' };
  const call = (channel: string, payload: unknown = {}) => router.dispatch(channel, payload, sender);

  beforeAll(async () => {
    keyring = await startKeyring();
    restoreEnv = keyring.withEnv();
    home = await makeTmpHome('keydock-keys-ipc-');
    agent = await startOpenSshAgent();
    await copyFile(join(fixtures, 'ppk3-ecdsa521-enc.ppk'), join(home.sshDir, 'putty.ppk'));
    await copyFile(join(fixtures, 'openssh-ed25519'), join(home.sshDir, 'id_ed25519'));
    await copyFile(join(fixtures, 'openssh-ed25519.pub'), join(home.sshDir, 'id_ed25519.pub'));
    await writeFile(join(home.sshDir, 'known_hosts'), 'x ssh-ed25519 AAAA\n');
    ctx = createContext({ env: { ...home.env, ...keyring.env }, transport: 'bridge' });
    router = new Router(createHandlers(ctx), { bridgeToken: 't', bridgeOrigins: ['http://127.0.0.1:1'] }, { validateResponses: true });
    // ssh-add is the real peer here: the loaded key is handed over as a 0600 OpenSSH file.
    ctx.agents.setLoadTarget(async (key) => {
      const dir = await mkdtemp(join(tmpdir(), 'kd-add-'));
      try {
        await writeFile(join(dir, 'k'), await convertMaterial(materialOf(key), key.comment, 'openssh'), { mode: 0o600 });
        const r = await agent.sshAdd([join(dir, 'k')]);
        if (r.code !== 0) throw new Error(r.stderr);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }, 60_000);
  afterAll(async () => {
    await disposeContext(ctx);
    await agent.stop();
    await home.cleanup();
    restoreEnv();
    await keyring.stop();
  });

  it('lists the private keys in ~/.ssh with health, skipping other files', async () => {
    const r = await call('keys:list-files');
    expect(r.ok).toBe(true);
    const list = (r as { value: { path: string; findings: { code: string }[] }[] }).value;
    expect(list.map((k) => k.path.split('/').pop())).toEqual(['id_ed25519', 'putty.ppk']);
    expect(list[1]!.findings.map((f) => f.code)).toContain('putty-p521-cve-2024-31497');
  });

  it('refuses paths that are not key files, whatever the renderer sends', async () => {
    for (const path of ['relative/id', '/etc/passwd', home.sshDir, join(home.sshDir, 'known_hosts'), join(home.sshDir, 'nope'), '/dev/zero']) {
      const r = await call('keys:inspect-file', { path });
      expect(r, path).toMatchObject({ ok: false, error: { code: 'key-path-refused' } });
    }
    await writeFile(join(home.dir, 'big'), Buffer.alloc(300 * 1024, 'A'));
    expect(await call('keys:inspect-file', { path: join(home.dir, 'big') })).toMatchObject({ ok: false, error: { code: 'key-path-refused' } });
    const r = await call('keys:inspect-file', { path: join(home.sshDir, 'putty.ppk') });
    expect(r).toMatchObject({ ok: true, value: { format: 'ppk3', type: 'ecdsa-sha2-nistp521', encrypted: true } });
  });

  it('pick-files needs a picker, and checks what it returns', async () => {
    expect(await call('keys:pick-files')).toMatchObject({ ok: false, error: { code: 'picker-unavailable' } });
    await mkdir(join(home.dir, 'links'));
    await symlink('/etc/hostname', join(home.dir, 'links', 'sneaky'));
    ctx.pickFiles = async () => [join(home.dir, 'links', 'sneaky')];
    expect(await call('keys:pick-files')).toMatchObject({ ok: false, error: { code: 'key-path-refused' } });
    ctx.pickFiles = async () => [join(home.sshDir, 'putty.ppk')];
    expect(await call('keys:pick-files')).toEqual({ ok: true, value: [join(home.sshDir, 'putty.ppk')] });
  });

  it('reads public keys from private files, .pub files and PPK', async () => {
    const r = await call('keys:read-public-key', { path: join(home.sshDir, 'putty.ppk') });
    expect(r).toMatchObject({ ok: true, value: { fingerprint: expect.stringMatching(/^SHA256:/), publicKey: expect.stringMatching(/^ecdsa-sha2-nistp521 /) } });
    const pub = await call('keys:read-public-key', { path: join(home.sshDir, 'id_ed25519.pub') });
    expect(pub).toMatchObject({ ok: true, value: { publicKey: expect.stringMatching(/^ssh-ed25519 /) } });
  });

  it('generates a key, remembers its passphrase in gnome-keyring, loads it into ssh-agent, and forgets it', async () => {
    const g = await call('keys:generate-key', { fileName: 'id_work', comment: 'work@laptop', passphrase: 's3cret pass', remember: true });
    expect(g).toMatchObject({ ok: true, value: { remembered: true, path: join(home.sshDir, 'id_work') } });
    const fp = (g as { value: { fingerprint: string } }).value.fingerprint;
    expect(await call('keys:generate-key', { fileName: 'id_work' })).toMatchObject({ ok: false, error: { code: 'key-file-exists' } });
    for (const fileName of ['../escape', '..', '.hidden']) expect(await call('keys:generate-key', { fileName })).toMatchObject({ ok: false, error: { code: 'ipc-invalid-payload' } });

    const listed = (await call('keys:list-files')) as { value: { path: string; remembered: boolean }[] };
    expect(listed.value.find((k) => k.path.endsWith('id_work'))!.remembered).toBe(true);

    const loaded = await call('keys:load-remembered');
    expect(loaded).toEqual({ ok: true, value: { loaded: [join(home.sshDir, 'id_work')], failed: [] } });
    const l = await agent.sshAdd(['-l']);
    expect(l.stdout).toContain(fp);

    expect(await call('keys:forget-passphrase', { fingerprint: fp })).toEqual({ ok: true, value: { done: true } });
    expect(await call('keys:forget-passphrase', { fingerprint: fp })).toMatchObject({ ok: false, error: { code: 'keychain-not-remembered' } });
    expect(await call('keys:load-remembered')).toEqual({ ok: true, value: { loaded: [], failed: [] } });
  });
});
