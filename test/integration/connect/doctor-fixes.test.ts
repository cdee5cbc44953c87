import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { runCliInMemory } from '../../support/memory-io';

// The doctor's advice names things that exist: a keydock command for the CLI, a fixAction code
// for the window's button; it finds IdentityFile lines that point nowhere (with file:line); and
// --fix says what it changed, in which file, and where the backup is.


type Finding = { id: string; severity: string; fix: string | null; fixAction?: string; fixPath?: string; message: string; canFix: boolean };

describe('keydock doctor: fixes that name real things', () => {
  let home: TmpHome;
  let agent: RealAgent;
  let env: NodeJS.ProcessEnv;
  const cli = (argv: string[]) => runCliInMemory(argv, env);
  const keygen = async (name: string) => {
    const path = join(home.sshDir, name);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
    return path;
  };

  beforeEach(async () => {
    home = await makeTmpHome('keydock-doctor-');
    agent = await startOpenSshAgent();
    env = { ...home.env, SSH_AUTH_SOCK: agent.socket };
  });
  afterEach(async () => {
    await agent.stop();
    await home.cleanup();
  });

  it('an unloaded key: fix is "keydock add FILE" with fixAction load-key; no fix text names a button that does not exist or ssh-add', async () => {
    const key = await keygen('id_ed25519');
    await writeFile(join(home.sshDir, 'config'), '', { mode: 0o600 });
    const r = await cli(['--json', 'doctor']);
    const findings = JSON.parse(r.stdout).findings as Finding[];
    const f = findings.find((x) => x.id === `key-not-loaded:${key}`);
    expect(f).toMatchObject({ fix: `keydock add ${key}`, fixAction: 'load-key', fixPath: key });
    for (const x of findings) {
      expect(x.fix ?? '').not.toMatch(/Keys → Load|ssh-add/);
    }
    // The command the fix names works.
    const add = await cli(['add', key]);
    expect(add.code, add.stderr).toBe(0);
    const again = JSON.parse((await cli(['--json', 'doctor'])).stdout).findings as Finding[];
    expect(again.some((x) => x.id === `key-not-loaded:${key}`)).toBe(false);
  });

  it('no agent: the fix names keydock serve and fixAction start-agent', async () => {
    env = { ...env, SSH_AUTH_SOCK: '' };
    const findings = JSON.parse((await cli(['--json', 'doctor'])).stdout).findings as Finding[];
    expect(findings.find((x) => x.id === 'agent')).toMatchObject({ severity: 'error', fixAction: 'start-agent' });
    expect(findings.find((x) => x.id === 'agent')?.fix).toMatch(/keydock serve/);
  });

  it('finds an IdentityFile that points to a missing file, with the config file:line', async () => {
    const present = await keygen('id_present');
    const config = join(home.sshDir, 'config');
    await writeFile(
      config,
      `Host a\n  IdentityFile ${present}\n  IdentityFile ~/.ssh/id_gone\nHost b\n  IdentityFile %d/.ssh/id_also_gone\n  IdentityFile /keys/%h\n  IdentityFile \${KEYDOCK_DOCTOR_DIR}/id_env\n`,
      { mode: 0o600 },
    );
    env = { ...env, KEYDOCK_DOCTOR_DIR: join(home.dir, 'nowhere') };
    const findings = JSON.parse((await cli(['--json', 'doctor'])).stdout).findings as Finding[];
    const missing = findings.filter((x) => x.id.startsWith('identity-file-missing:'));
    expect(missing.map((x) => x.id).sort()).toEqual([`identity-file-missing:${config}:3`, `identity-file-missing:${config}:5`, `identity-file-missing:${config}:7`]);
    const gone = missing.find((x) => x.id.endsWith(':3'));
    expect(gone).toMatchObject({ severity: 'warning', fixAction: 'edit-ssh-config', fixPath: config, canFix: false });
    expect(gone?.message).toContain(`${config}:3`);
    expect(gone?.message).toContain(join(home.sshDir, 'id_gone'));
  });

  it('--fix prints one line per change: the file, what changed, where the backup is', async () => {
    await chmod(home.sshDir, 0o755);
    const key = await keygen('id_ed25519');
    await chmod(key, 0o644);
    for (let i = 0; i < 6; i++) await agent.sshAdd([await keygen(`extra${i}`)]);
    const config = join(home.sshDir, 'config');
    await writeFile(config, `Host work\n  HostName github.com\n  IdentityFile ${key}\n`, { mode: 0o600 });
    const r = await cli(['doctor', '--fix']);
    expect(r.stdout).toMatch(/^Fixed 3 problem\(s\):$/m);
    expect(r.stdout).toContain(`Changed ${home.sshDir}: permissions 0755 → 0700; no backup (only permissions changed)`);
    expect(r.stdout).toContain(`Changed ${key}: permissions 0644 → 0600; no backup (only permissions changed)`);
    expect(r.stdout).toMatch(new RegExp(`Changed ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: added "IdentityFile .*" and "IdentitiesOnly yes" for Host work at lines \\d+–\\d+; backup: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.keydock-backup`));
    await chmod(home.sshDir, 0o755);
    const j = JSON.parse((await cli(['--json', 'doctor', '--fix'])).stdout);
    expect(j.changes).toEqual([{ finding: 'ssh-dir-permissions', file: home.sshDir, change: 'permissions 0755 → 0700', backup: null }]);
  });

  it('no ~/.ssh/config at all is not a problem (ssh needs none)', async () => {
    await rm(join(home.sshDir, 'config'), { force: true });
    const r = await cli(['--json', 'doctor']);
    expect((JSON.parse(r.stdout).findings as Finding[]).map((x) => x.id)).not.toContain('ssh-config-invalid');
  });

  it('a config ssh would refuse is an error naming file:line', async () => {
    const config = join(home.sshDir, 'config');
    await writeFile(config, 'Host a\n  Port 70000\n', { mode: 0o600 });
    const r = await cli(['--json', 'doctor']);
    expect(r.code).toBe(1);
    const f = (JSON.parse(r.stdout).findings as Finding[]).find((x) => x.id === 'ssh-config-invalid');
    expect(f).toMatchObject({ severity: 'error', fixAction: 'edit-ssh-config', fixPath: config });
    expect(f?.message).toContain(`${config}:2`);
  });
});
