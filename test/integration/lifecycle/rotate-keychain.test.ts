import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyring, type TestKeyring } from '../../support/keyring';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { bundleCli, runKeydock } from './cli-process';

// A key whose passphrase KeyDock remembers (a private gnome-keyring): its successor's passphrase
// is remembered too, the old one is forgotten, and the agent gets the new key with the
// passphrase from the keychain. A rollback remembers the old passphrase again (asked on stdin:
// the keychain no longer has it) and forgets the new one.

let cli: { bin: string; cleanup(): Promise<void> };
let keyring: TestKeyring;
let home: TmpHome;
let agent: RealAgent;

beforeAll(async () => {
  cli = await bundleCli();
  keyring = await startKeyring();
  home = await makeTmpHome('keydock-rotate-kc-');
  agent = await startOpenSshAgent();
}, 120_000);
afterAll(async () => {
  await agent?.stop();
  await home?.cleanup();
  await keyring?.stop();
  await cli?.cleanup();
});

async function secret(fingerprint: string): Promise<string> {
  return (await run('secret-tool', ['lookup', 'service', 'KeyDock', 'username', fingerprint], { env: { ...process.env, ...keyring.env } })).stdout;
}

async function fingerprint(pub: string): Promise<string> {
  return (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', pub])).stdout.split(' ')[1] as string;
}

describe('keydock rotate and the keychain', () => {
  it('remembers the new passphrase, forgets the old one, loads the agent from the keychain; rollback reverses it', async () => {
    const env = { ...home.env, ...keyring.env, SSH_AUTH_SOCK: agent.socket };
    const old = join(home.sshDir, 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'old secret', '-C', 'me@box', '-f', old]);
    const add = await runKeydock(cli.bin, ['add', old, '--remember', '--passphrase-stdin', '--json'], env, 'old secret\n');
    expect(add.code, add.stdout + add.stderr).toBe(0);
    const oldFp = await fingerprint(`${old}.pub`);
    expect(await secret(oldFp)).toBe('old secret');

    const plan = await runKeydock(cli.bin, ['rotate', old, '--dry-run', '--json'], env);
    expect(plan.json?.plan).toMatchObject({ remembered: true, agents: [{ agentId: agent.socket }] });

    const r = await runKeydock(cli.bin, ['rotate', old, '--yes', '--passphrase-stdin', '--json'], env, 'new secret\n');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const steps = (r.json?.steps as Array<{ id: string; status: string }>).map((s) => `${s.id}:${s.status}`);
    expect(steps).toEqual(['generate:done', 'remember:done', 'agents:done', 'archive:done', 'forget-old:done', 'report:done']);
    const newKey = r.json?.newKey as { path: string; publicPath: string; fingerprint: string };
    // The old key had ssh's default name id_ed25519 for the same type: the new one is id_ed25519-DATE.
    expect(newKey.path).toMatch(/\/id_ed25519-\d{8}$/);
    expect(await secret(newKey.fingerprint)).toBe('new secret');
    expect(await secret(oldFp)).toBe('');
    const listed = (await agent.sshAdd(['-L'])).stdout;
    expect(listed).toContain((await readFile(newKey.publicPath, 'utf8')).split(' ')[1]);
    expect(listed).not.toContain((await readFile(join(home.sshDir, 'keydock-archive', new Date().toISOString().slice(0, 10), 'id_ed25519.pub'), 'utf8')).split(' ')[1]);

    const back = await runKeydock(cli.bin, ['rotate', old, '--rollback', '--passphrase-stdin', '--json'], env, 'new secret\nold secret\n');
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(back.json).toMatchObject({ status: 'rolled-back' });
    expect(await secret(oldFp)).toBe('old secret');
    expect(await secret(newKey.fingerprint)).toBe('');
    expect((await agent.sshAdd(['-l'])).stdout).toContain(oldFp);
    expect((await agent.sshAdd(['-l'])).stdout).not.toContain(newKey.fingerprint);
  }, 400_000);
});
