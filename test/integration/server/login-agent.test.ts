import { existsSync } from 'node:fs';
import { appendFile, lstat, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAgentFiles, loginAgentStateFile, readLoginAgentState } from '../../../main/config/login-agent-files';
import type { Runtime } from '../../../main/config/runtime';
import { SettingsStore } from '../../../main/config/settings-store';
import { gatherFacts } from '../../../main/doctor/checks';
import { checkWhichAgent, whichAgents, agentFromSshCommand } from '../../../main/doctor/which-agent';
import { applyLoginAgent, findKeydockLauncher, planLoginAgent } from '../../../main/lifecycle/login-agent';
import { EventBus } from '../../../main/util/events';
import { userPaths } from '../../../main/util/paths';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { KEYDOCK_BIN, startServe } from './serve-process';

const REPO = process.cwd();

// KeyDock's agent as the login agent (docs/login-agent.md): `keydock serve --install` /
// `--uninstall` in a temp HOME with real files, real `ssh -G` and `systemd-analyze verify`, and
// the doctor's "which agent" answers. Socket activation is in login-agent-activation.test.ts.

const LAUNCHER = [process.execPath, KEYDOCK_BIN];

function runtime(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Runtime {
  const paths = userPaths(env, platform);
  return { env, platform, paths, events: new EventBus(), settings: new SettingsStore(join(paths.configDir, 'settings.json')) };
}

/** `ssh -G`'s identityagent for HOST through CONFIG (ssh ignores $HOME, so -F). */
async function sshIdentityAgent(config: string, host: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const r = await run('ssh', ['-G', '-F', config, host], { env });
  expect(r.code, r.stderr).toBe(0);
  return /^identityagent (.+)$/m.exec(r.stdout)?.[1] ?? null;
}

const ORIGINAL = '# my dotfiles\nHost work\n  HostName work.example.com\n  User me\n  IdentityAgent /run/other-agent.sock\n\nHost *\n  ServerAliveInterval 30'; // no final newline on purpose

let home: TmpHome;
beforeAll(async () => {
  home = await makeTmpHome('kd-login-agent-');
});
afterAll(async () => {
  await home?.cleanup();
});

describe('keydock serve --install / --uninstall (Linux: systemd user units, environment.d, IdentityAgent)', () => {
  it('installs, is idempotent, and uninstall puts a symlinked config back byte for byte', async () => {
    const rt = runtime(home.env, 'linux');
    const dotfile = join(home.dir, 'dotfiles', 'ssh_config');
    await mkdir(join(home.dir, 'dotfiles'));
    await writeFile(dotfile, ORIGINAL, { mode: 0o600 });
    const config = join(home.sshDir, 'config');
    await symlink(dotfile, config);
    const socket = join(home.env.XDG_RUNTIME_DIR as string, 'keydock', 'agent.sock');

    const plan = await planLoginAgent(rt, 'install', { launcher: LAUNCHER });
    expect(plan.steps.map((s) => s.status)).toEqual(plan.steps.map(() => 'planned'));
    expect(existsSync(loginAgentStateFile(rt.paths))).toBe(false);

    const r = await applyLoginAgent(rt, 'install', { launcher: LAUNCHER });
    expect(r.ok, JSON.stringify(r.steps, null, 1)).toBe(true);
    expect(r.socket).toBe(socket);
    const byId = Object.fromEntries(r.steps.map((s) => [s.id, s]));
    for (const id of ['write-socket-unit', 'write-service-unit', 'write-environment', 'ssh-config']) expect(byId[id]?.status, id).toBe('done');
    // This machine has no user manager for a temp HOME: said, not hidden; the files are still there.
    if (!r.serviceManager.reachable) {
      expect(byId['systemctl-enable']?.status).toBe('skipped');
      expect(byId['systemctl-enable']?.message).toContain('not run');
    }

    const files = loginAgentFiles('linux', home.env, rt.paths);
    const socketUnit = await readFile(files.socketUnit as string, 'utf8');
    expect(socketUnit).toContain('ListenStream=%t/keydock/agent.sock\nSocketMode=0600\nDirectoryMode=0700\n');
    const serviceUnit = await readFile(files.serviceUnit as string, 'utf8');
    expect(serviceUnit).toContain(`ExecStart=${process.execPath} ${KEYDOCK_BIN} serve -D --socket-activated --load-remembered\n`);
    expect(serviceUnit).toContain('Restart=on-failure');
    expect(await readFile(files.environment as string, 'utf8')).toContain('SSH_AUTH_SOCK=${XDG_RUNTIME_DIR}/keydock/agent.sock\n');

    // The link stays a link; the file at its end got the block; the backup is the old content.
    expect((await lstat(config)).isSymbolicLink()).toBe(true);
    expect(await readlink(config)).toBe(dotfile);
    const installed = await readFile(dotfile, 'utf8');
    expect(installed.startsWith(ORIGINAL + '\n')).toBe(true);
    expect(installed.match(/IdentityAgent/g)).toHaveLength(2);
    expect(await readFile(join(home.sshDir, 'config.keydock-backup'), 'utf8')).toBe(ORIGINAL);

    // Real ssh: any host gets KeyDock's agent; a host with its own IdentityAgent keeps it.
    expect(await sshIdentityAgent(config, 'github.com', home.env)).toBe(socket);
    expect(await sshIdentityAgent(config, 'work', home.env)).toBe('/run/other-agent.sock');

    // systemd's own reading of the units.
    if (existsSync('/usr/bin/systemd-analyze') || existsSync('/bin/systemd-analyze')) {
      const v = await run('systemd-analyze', ['--user', 'verify', files.socketUnit as string, files.serviceUnit as string], { env: home.env });
      expect(v.code, v.stderr + v.stdout).toBe(0);
      expect(v.stderr).not.toMatch(/unknown|invalid|failed/i);
    }

    // Twice = the same files and one IdentityAgent line of ours.
    const again = await applyLoginAgent(rt, 'install', { launcher: LAUNCHER });
    expect(again.ok).toBe(true);
    expect(again.installedBefore).toBe(true);
    for (const id of ['write-socket-unit', 'write-service-unit', 'write-environment', 'ssh-config']) expect(again.steps.find((s) => s.id === id)?.status, id).toBe('unchanged');
    expect(await readFile(dotfile, 'utf8')).toBe(installed);
    expect(await readFile(files.serviceUnit as string, 'utf8')).toBe(serviceUnit);

    const un = await applyLoginAgent(rt, 'uninstall', { launcher: LAUNCHER });
    expect(un.ok, JSON.stringify(un.steps, null, 1)).toBe(true);
    expect(un.installed).toBe(false);
    expect(await readFile(dotfile, 'utf8')).toBe(ORIGINAL);
    expect((await lstat(config)).isSymbolicLink()).toBe(true);
    for (const f of [files.socketUnit, files.serviceUnit, files.environment, loginAgentStateFile(rt.paths)]) expect(existsSync(f as string), f).toBe(false);

    const nothing = await applyLoginAgent(rt, 'uninstall', { launcher: LAUNCHER });
    expect(nothing.installedBefore).toBe(false);
    expect(nothing.steps).toEqual([]);
    expect(await readFile(dotfile, 'utf8')).toBe(ORIGINAL);
  });

  it('uninstall takes back only what is still as KeyDock wrote it', async () => {
    const h = await makeTmpHome('kd-login-agent2-');
    try {
      const rt = runtime(h.env, 'linux');
      const config = join(h.sshDir, 'config');
      const before = 'Host a\n  User x\n';
      await writeFile(config, before, { mode: 0o600 });
      expect((await applyLoginAgent(rt, 'install', { launcher: LAUNCHER })).ok).toBe(true);
      // The user adds a host after KeyDock's block and changes the environment.d file.
      await appendFile(config, 'Host b\n  User y\n');
      const env = loginAgentFiles('linux', h.env, rt.paths).environment as string;
      await appendFile(env, 'EDITOR=vi\n');
      const un = await applyLoginAgent(rt, 'uninstall', { launcher: LAUNCHER });
      expect(un.ok).toBe(true);
      expect(await readFile(config, 'utf8')).toBe(before + 'Host b\n  User y\n');
      const kept = un.steps.find((s) => s.path === env);
      expect(kept?.status).toBe('skipped');
      expect(kept?.message).toContain('left in place');
      expect(existsSync(env)).toBe(true);
    } finally {
      await h.cleanup();
    }
  });

  it('an earlier global IdentityAgent wins: the config is left as it was and the step says why', async () => {
    const h = await makeTmpHome('kd-login-agent3-');
    try {
      const rt = runtime(h.env, 'linux');
      const config = join(h.sshDir, 'config');
      const before = 'IdentityAgent /run/theirs.sock\nHost a\n  User x\n';
      await writeFile(config, before, { mode: 0o600 });
      const r = await applyLoginAgent(rt, 'install', { launcher: LAUNCHER });
      expect(r.ok).toBe(false);
      const edit = r.steps.find((s) => s.id === 'ssh-config');
      expect(edit?.status).toBe('failed');
      expect(edit?.message).toContain('/run/theirs.sock');
      expect(r.steps.find((s) => s.id === 'systemctl-enable')?.status).toBe('skipped');
      expect(await readFile(config, 'utf8')).toBe(before);
      // What did get written is recorded, so uninstall still cleans it up.
      expect((await readLoginAgentState(rt.paths))?.files).toHaveLength(3);
      expect((await applyLoginAgent(rt, 'uninstall', { launcher: LAUNCHER })).ok).toBe(true);
      expect(existsSync(loginAgentFiles('linux', h.env, rt.paths).serviceUnit as string)).toBe(false);
    } finally {
      await h.cleanup();
    }
  });

  it('macOS and Windows plans: a LaunchAgent with the IdentityAgent line; the Run key with the OpenSSH pipe and Pageant', async () => {
    const mac = await planLoginAgent(runtime(home.env, 'darwin'), 'install', { launcher: LAUNCHER });
    expect(mac.serviceManager).toMatchObject({ name: 'launchd', reachable: false });
    expect(mac.steps.map((s) => s.id)).toEqual(['write-launch-agent', 'ssh-config', 'launchctl-bootout', 'launchctl-bootstrap']);
    expect(mac.steps[0]?.path).toBe(join(home.dir, 'Library', 'LaunchAgents', 'com.keydock.agent.plist'));
    expect(mac.socket).toBe(join(home.dir, 'Library', 'Application Support', 'KeyDock', 'agent.sock'));
    const win = await planLoginAgent(runtime(home.env, 'win32'), 'install', { launcher: LAUNCHER });
    expect(win.socket).toBe('\\\\.\\pipe\\openssh-ssh-agent');
    expect(win.steps.map((s) => s.id)).toEqual(['windows-run', 'start-now']);
    const reg = win.steps[0]?.command ?? [];
    expect(reg.slice(0, 2)).toEqual(['reg', 'add']);
    expect(reg.join(' ')).toContain('serve --openssh-pipe --pageant --load-remembered');
    expect(win.steps.some((s) => s.id === 'ssh-config')).toBe(false);
  });

  it('keydock serve --install --dry-run --json prints one JSON object and changes nothing; conflicting options exit 2', async () => {
    const h = await makeTmpHome('kd-login-agent4-');
    try {
      const r = await run(process.execPath, [KEYDOCK_BIN, 'serve', '--install', '--dry-run', '--json'], { env: h.env, timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { ok: boolean; dryRun: boolean; action: string; steps: Array<{ status: string }> };
      expect(out).toMatchObject({ ok: true, dryRun: true, action: 'install' });
      expect(out.steps.every((s) => s.status === 'planned')).toBe(true);
      expect(existsSync(join(h.sshDir, 'config'))).toBe(false);
      expect(existsSync(join(h.env.XDG_CONFIG_HOME as string, 'systemd'))).toBe(false);
      const bad = await run(process.execPath, [KEYDOCK_BIN, 'serve', '--install', '--uninstall', '--json'], { env: h.env, timeoutMs: 120_000 });
      expect(bad.code).toBe(2);
      expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { code: 'usage' } });
    } finally {
      await h.cleanup();
    }
  });
});

describe('doctor: which agent ssh, git and new shells use', () => {
  let agent: RealAgent;
  beforeAll(async () => {
    agent = await startOpenSshAgent();
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('parses the agent out of ssh command lines', () => {
    expect(agentFromSshCommand('ssh -o IdentityAgent=/a/b -v')).toEqual({ kind: 'agent', socket: '/a/b', via: '-o IdentityAgent' });
    expect(agentFromSshCommand('ssh -o "IdentityAgent /a b"')).toEqual({ kind: 'agent', socket: '/a b', via: '-o IdentityAgent' });
    expect(agentFromSshCommand('SSH_AUTH_SOCK=/x ssh')).toEqual({ kind: 'agent', socket: '/x', via: 'SSH_AUTH_SOCK=' });
    expect(agentFromSshCommand('/usr/bin/ssh -F /etc/git-ssh')).toEqual({ kind: 'config', file: '/etc/git-ssh', options: [] });
    expect(agentFromSshCommand('plink.exe -batch')).toEqual({ kind: 'pageant' });
    expect(agentFromSshCommand('ssh -i ~/.ssh/id')).toEqual({ kind: 'same' });
  });

  it('SSH_AUTH_SOCK only: ssh, git and this session use the same agent, not KeyDock’s, running', async () => {
    const h = await makeTmpHome('kd-which-');
    try {
      const rt = runtime({ ...h.env, SSH_AUTH_SOCK: agent.socket });
      const uses = await whichAgents(await gatherFacts(rt));
      expect(uses.map((u) => [u.who, u.socket, u.keydock, u.running])).toEqual([
        ['ssh', agent.socket, false, true],
        ['git', agent.socket, false, true],
        ['shells', agent.socket, false, true],
      ]);
      // Asked of the real ssh (-F /dev/null when there is no config), not KeyDock's own reading.
      expect(uses[0]?.source).toBe('SSH_AUTH_SOCK (ssh -G github.com names no IdentityAgent)');
      expect(uses[2]?.source).toContain('nothing sets it for every login');
    } finally {
      await h.cleanup();
    }
  });

  it('after --install: ssh follows IdentityAgent to KeyDock’s running agent, new shells follow environment.d, GIT_SSH_COMMAND overrides git', async () => {
    const h = await makeTmpHome('kd-which2-');
    let serve: Awaited<ReturnType<typeof startServe>> | null = null;
    try {
      const rt = runtime({ ...h.env, SSH_AUTH_SOCK: agent.socket });
      expect((await applyLoginAgent(rt, 'install', { launcher: LAUNCHER })).ok).toBe(true);
      const socket = join(h.env.XDG_RUNTIME_DIR as string, 'keydock', 'agent.sock');
      serve = await startServe(['-a', socket], h.env);

      const facts = await gatherFacts(rt);
      const uses = await whichAgents(facts);
      expect(uses.map((u) => [u.who, u.socket, u.keydock, u.running, u.locked])).toEqual([
        ['ssh', socket, true, true, false],
        ['git', socket, true, true, false],
        ['shells', socket, true, true, false],
      ]);
      expect(uses[0]?.source).toContain('IdentityAgent in');
      expect(uses[2]?.source).toContain('environment.d');

      const withGit = runtime({ ...h.env, SSH_AUTH_SOCK: agent.socket, GIT_SSH_COMMAND: `ssh -o IdentityAgent=${agent.socket}` });
      const findings = await checkWhichAgent(await gatherFacts(withGit));
      const git = findings.find((f) => f.id === 'which-agent:git');
      expect(git?.severity).toBe('warning');
      expect(git?.message).toContain(agent.socket);
      expect(git?.message).toContain('GIT_SSH_COMMAND');
      expect(findings.find((f) => f.id === 'which-agent:ssh')?.severity).toBe('ok');

      // `keydock doctor --json` carries the same three findings.
      const r = await run(process.execPath, [KEYDOCK_BIN, 'doctor', '--json'], { env: { ...h.env, SSH_AUTH_SOCK: agent.socket }, timeoutMs: 120_000 });
      const doc = JSON.parse(r.stdout) as { findings: Array<{ id: string; message: string }> };
      expect(doc.findings.filter((f) => f.id.startsWith('which-agent:')).map((f) => f.id).sort()).toEqual(['which-agent:git', 'which-agent:shells', 'which-agent:ssh']);
      expect(doc.findings.find((f) => f.id === 'which-agent:ssh')?.message).toContain(`${socket} — KeyDock's agent, running, unlocked`);
    } finally {
      await serve?.stop();
      await h.cleanup();
    }
  });
});

describe('the launcher a login unit starts', () => {
  it('is bin/keydock.cjs of this checkout, whether keydock was started by it, by the old bin/keydock.js or from elsewhere', () => {
    const oldName = join(REPO, 'bin', 'keydock.js');
    for (const [argv1, cwd] of [[KEYDOCK_BIN, '/'], [oldName, '/'], ['/usr/bin/env', REPO], [join(REPO, 'out', 'cli', 'keydock.cjs'), '/']] as const) {
      const launcher = findKeydockLauncher(process.env, argv1, cwd);
      expect(launcher?.[0], String(argv1)).toBe(process.execPath);
      expect(launcher?.at(-1), String(argv1)).toBe(KEYDOCK_BIN);
    }
    expect(findKeydockLauncher(process.env, '/usr/lib/other/tool.js', '/')).toBeNull();
  });
});
