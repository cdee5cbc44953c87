// KeyDock's agent as the login agent ("Always there", docs/login-agent.md): `keydock serve
// --install` / `--uninstall` and the Settings switch. The plan is the same list of steps on
// every face: on Linux a socket-activated systemd user unit, environment.d for SSH_AUTH_SOCK and
// `IdentityAgent` under `Host *` in ~/.ssh/config; on macOS a LaunchAgent and the IdentityAgent
// line; on Windows a Run value that starts the agent on ssh.exe's pipe and Pageant's. What was
// done is recorded (config/login-agent-files.ts) so uninstall reverses exactly that. Commands
// (systemctl, launchctl, reg) run only on the system they belong to and only when its service
// manager answers; otherwise the files are still written and the step says why it did not run.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import type { LoginAgentReport, LoginAgentStep } from '../../shared/contract/login-agent';
import {
  LAUNCHD_LABEL,
  SERVICE_UNIT,
  SOCKET_UNIT,
  SSH_CONFIG_MARK,
  WINDOWS_RUN_KEY,
  WINDOWS_RUN_VALUE,
  environmentText,
  launchAgentPlist,
  loginAgentFiles,
  loginAgentSocket,
  loginAgentStateFile,
  readLoginAgentState,
  removeLoginAgentState,
  serviceUnitText,
  sha256,
  socketUnitText,
  windowsRunCommand,
  writeLoginAgentState,
  type LoginAgentState,
} from '../config/login-agent-files';
import type { Runtime } from '../config/runtime';
import { addGlobalIdentityAgent, removeConfigText } from '../openssh/ssh-config-edit';
import { KeyDockError } from '../util/errors';
import { safeWriteFile } from '../util/safe-write';
import { execTool } from './exec';
import { daemonFlagsFor } from '../util/daemon-node-flags';

export interface LoginAgentOptions {
  /** How to run `keydock` from a unit file: absolute program and script, e.g. [node, …/bin/keydock.cjs]; null when not found. */
  launcher: string[] | null;
  /** The SSH config to edit (default ~/.ssh/config). */
  configFile?: string;
}

type Outcome = { status: LoginAgentStep['status']; message?: string | null };
interface PlannedStep extends LoginAgentStep {
  run?: () => Promise<Outcome>;
}

interface ServiceManager {
  name: string;
  reachable: boolean;
  reason: string | null;
}

/**
 * `node` and the `keydock` launcher (bin/keydock.cjs of a KeyDock checkout) as absolute paths, for
 * a unit file to start. Looked for beside the running script and from the working folder up;
 * inside Electron, `node` comes from PATH. Null when there is no launcher (the packaged app).
 */
export function findKeydockLauncher(env: NodeJS.ProcessEnv, argv1: string | undefined = process.argv[1], cwd = process.cwd()): string[] | null {
  const node = process.versions.electron ? onPath('node', env) : process.execPath;
  if (!node) return null;
  const looksLikeLauncher = (p: string) => /[\\/]bin[\\/]keydock\.cjs$/.test(p) && existsSync(p);
  // The unit starts a long-running agent: give it the background agent's memory-saving V8 flags,
  // checked now against this node (a unit has nobody to retry without them).
  const withFlags = (script: string) => [node, ...daemonFlagsFor(node), script];
  if (argv1 && looksLikeLauncher(resolve(argv1))) return withFlags(resolve(argv1));
  for (const start of [argv1 ? dirname(resolve(argv1)) : null, cwd]) {
    for (let dir = start; dir; dir = dirname(dir) === dir ? null : dirname(dir)) {
      const candidate = join(dir, 'bin', 'keydock.cjs');
      if (looksLikeLauncher(candidate) && existsSync(join(dir, 'package.json'))) return withFlags(candidate);
    }
  }
  return null;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isAbsolute(dir) && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Is this system's service manager there to talk to? Only the real OS's, never one a test pretends to be. */
async function serviceManager(rt: Runtime): Promise<ServiceManager> {
  const here = rt.platform === process.platform;
  if (rt.platform === 'darwin') return { name: 'launchd', reachable: here, reason: here ? null : 'this is not macOS' };
  if (rt.platform === 'win32') return { name: 'Windows sign-in (Run key)', reachable: here, reason: here ? null : 'this is not Windows' };
  if (!here) return { name: 'systemd user manager', reachable: false, reason: `this is not ${rt.platform}` };
  try {
    const r = await execTool('systemctl', ['--user', 'show-environment'], { env: rt.env, timeoutMs: 15_000 });
    if (r.code === 0) return { name: 'systemd user manager', reachable: true, reason: null };
    const why = (r.stderr.trim().split('\n')[0] ?? '').slice(0, 200) || `systemctl --user exited with ${r.code}`;
    return { name: 'systemd user manager', reachable: false, reason: why };
  } catch {
    return { name: 'systemd user manager', reachable: false, reason: 'systemctl is not installed' };
  }
}

/** Writes TEXT to PATH unless it holds exactly that already. */
async function writeOwnFile(path: string, text: string, mode: number): Promise<Outcome> {
  const now = await readFile(path, 'utf8').catch(() => null);
  if (now === text) return { status: 'unchanged', message: 'already there' };
  await safeWriteFile(path, text, { mode, createParents: true });
  return { status: 'done' };
}

/** Runs a service-manager command; a failure is a failed step with the tool's own words. */
async function runCommand(rt: Runtime, argv: string[], okCodes: number[] = [0]): Promise<Outcome> {
  const r = await execTool(argv[0] as string, argv.slice(1), { env: rt.env, timeoutMs: 30_000 });
  if (okCodes.includes(r.code ?? -1)) return { status: 'done' };
  return { status: 'failed', message: (r.stderr.trim() || r.stdout.trim() || `exit status ${r.code}`).slice(0, 400) };
}

const uid = () => process.getuid?.() ?? 0;

function step(id: string, title: string, extra: { path?: string; command?: string[]; run?: () => Promise<Outcome> }): PlannedStep {
  return { id, title, path: extra.path ?? null, command: extra.command ?? null, status: 'planned', message: null, run: extra.run };
}

/** The install's steps; `record` collects what they did for the state file. */
function installSteps(rt: Runtime, options: LoginAgentOptions, manager: ServiceManager, record: LoginAgentState): PlannedStep[] {
  const launcher = options.launcher;
  if (!launcher) {
    throw new KeyDockError(
      'keydock-cli-missing',
      "KeyDock's command (bin/keydock.cjs) was not found, so there is nothing a login service could start.",
      'Install KeyDock from its source folder (npm install there puts the command in place), then turn this on again from that installation.',
      { exitCode: 2 },
    );
  }
  const files = loginAgentFiles(rt.platform, rt.env, rt.paths);
  const socket = record.socket;
  const steps: PlannedStep[] = [];
  const writeFile = (id: string, title: string, path: string, text: string, mode: number) =>
    steps.push(
      step(id, title, {
        path,
        run: async () => {
          const o = await writeOwnFile(path, text, mode);
          record.files = [...record.files.filter((f) => f.path !== path), { path, sha256: sha256(text) }];
          return o;
        },
      }),
    );
  const configFile = options.configFile ?? join(rt.paths.sshDir, 'config');
  const sshConfigStep = () =>
    step('ssh-config', `Add "IdentityAgent ${socket}" under "Host *" in your SSH config (the previous file is kept as a backup)`, {
      path: configFile,
      run: async () => {
        const r = await addGlobalIdentityAgent(configFile, socket, SSH_CONFIG_MARK, { home: rt.paths.home, env: rt.env, platform: rt.platform });
        if (r.added !== null) record.sshConfig = { file: configFile, text: r.added };
        // Already there without a record (the record was deleted): take back the block itself.
        else if (!record.sshConfig) record.sshConfig = { file: configFile, text: [SSH_CONFIG_MARK, 'Host *', `  IdentityAgent ${r.resolved.identityAgent ?? socket}`].map((l) => `${l}\n`).join('') };
        return r.added === null ? { status: 'unchanged', message: 'already there' } : { status: 'done', message: r.backupFile ? `backup: ${r.backupFile}` : null };
      },
    });
  const managed = (id: string, title: string, argv: string[], after?: () => void, okCodes?: number[]) =>
    step(id, title, {
      command: argv,
      run: async () => {
        if (!manager.reachable) return { status: 'skipped', message: `not run: ${manager.reason ?? 'no service manager'}` };
        const o = await runCommand(rt, argv, okCodes);
        if (o.status === 'done') after?.();
        return o;
      },
    });

  if (rt.platform === 'darwin') {
    const plist = files.plist as string;
    writeFile('write-launch-agent', `Write the LaunchAgent that starts KeyDock's agent at login on ${socket}`, plist, launchAgentPlist(launcher, socket, join(rt.paths.configDir, 'agent.log')), 0o644);
    steps.push(sshConfigStep());
    // bootout first, so a second install reloads the plist instead of failing on "already loaded".
    steps.push(managed('launchctl-bootout', 'Unload an earlier copy of the LaunchAgent, if one is loaded', ['launchctl', 'bootout', `gui/${uid()}/${LAUNCHD_LABEL}`], undefined, [0, 3, 5, 36, 113]));
    steps.push(managed('launchctl-bootstrap', 'Load the LaunchAgent now (launchctl bootstrap)', ['launchctl', 'bootstrap', `gui/${uid()}`, plist], () => (record.launchd = true)));
    return steps;
  }
  if (rt.platform === 'win32') {
    const command = windowsRunCommand(launcher);
    steps.push(managed('windows-run', "Start KeyDock's agent at sign-in, on ssh.exe's pipe and Pageant's (Run key)", ['reg', 'add', WINDOWS_RUN_KEY, '/v', WINDOWS_RUN_VALUE, '/t', 'REG_SZ', '/d', command, '/f'], () => (record.windowsRun = true)));
    steps.push(managed('start-now', "Start KeyDock's agent now", [...launcher, 'serve', '--openssh-pipe', '--pageant', '--load-remembered']));
    return steps;
  }
  writeFile('write-socket-unit', `Write the systemd socket unit: systemd listens on ${socket} and starts the agent on first use`, files.socketUnit as string, socketUnitText(), 0o644);
  writeFile('write-service-unit', "Write the systemd service unit that runs KeyDock's agent (remembered keys are loaded when it starts)", files.serviceUnit as string, serviceUnitText(launcher), 0o644);
  writeFile('write-environment', 'Set SSH_AUTH_SOCK for every new session and shell (environment.d)', files.environment as string, environmentText(), 0o644);
  steps.push(sshConfigStep());
  steps.push(managed('systemctl-daemon-reload', 'Tell the systemd user manager about the new units', ['systemctl', '--user', 'daemon-reload']));
  steps.push(
    managed('systemctl-enable', 'Enable and start the socket now and at every login', ['systemctl', '--user', 'enable', '--now', SOCKET_UNIT], () => {
      record.systemdEnabled = [SOCKET_UNIT];
    }),
  );
  return steps;
}

/** The uninstall's steps: exactly what the record says install did, nothing else. */
function uninstallSteps(rt: Runtime, manager: ServiceManager, state: LoginAgentState | null): PlannedStep[] {
  if (!state) return [];
  const steps: PlannedStep[] = [];
  const managed = (id: string, title: string, argv: string[], okCodes?: number[]) =>
    step(id, title, { command: argv, run: async () => (manager.reachable ? runCommand(rt, argv, okCodes) : { status: 'skipped', message: `not run: ${manager.reason ?? 'no service manager'}` }) });
  const linuxUnits = state.files.some((f) => f.path.endsWith(SOCKET_UNIT) || f.path.endsWith(SERVICE_UNIT));
  if (state.platform === 'linux' && (state.systemdEnabled.length > 0 || (linuxUnits && manager.reachable))) {
    steps.push(managed('systemctl-disable', 'Stop and disable the socket and the agent', ['systemctl', '--user', 'disable', '--now', SOCKET_UNIT, SERVICE_UNIT]));
  }
  if (state.launchd) steps.push(managed('launchctl-bootout', 'Unload the LaunchAgent', ['launchctl', 'bootout', `gui/${uid()}/${LAUNCHD_LABEL}`], [0, 3, 5, 36, 113]));
  if (state.windowsRun) steps.push(managed('windows-run', 'Remove the sign-in entry (Run key)', ['reg', 'delete', WINDOWS_RUN_KEY, '/v', WINDOWS_RUN_VALUE, '/f']));
  for (const f of state.files) {
    steps.push(
      step('remove-file', 'Remove a file KeyDock wrote', {
        path: f.path,
        run: async () => {
          const now = await readFile(f.path, 'utf8').catch(() => null);
          if (now === null) return { status: 'unchanged', message: 'already gone' };
          if (sha256(now) !== f.sha256) return { status: 'skipped', message: 'changed since KeyDock wrote it, so it was left in place' };
          await rm(f.path, { force: true });
          return { status: 'done' };
        },
      }),
    );
  }
  if (state.sshConfig) {
    const { file, text } = state.sshConfig;
    steps.push(
      step('ssh-config', `Remove KeyDock's "IdentityAgent" block from your SSH config (the previous file is kept as a backup)`, {
        path: file,
        run: async () => {
          const r = await removeConfigText(file, text);
          return r.removed ? { status: 'done', message: r.backupFile ? `backup: ${r.backupFile}` : null } : { status: 'skipped', message: 'the block is no longer there as KeyDock wrote it, so the file was left as it is' };
        },
      }),
    );
  }
  if (state.platform === 'linux' && linuxUnits) steps.push(managed('systemctl-daemon-reload', 'Tell the systemd user manager the units are gone', ['systemctl', '--user', 'daemon-reload']));
  steps.push(
    step('remove-record', 'Forget the install record', {
      path: loginAgentStateFile(rt.paths),
      run: async () => {
        await removeLoginAgentState(rt.paths);
        return { status: 'done' };
      },
    }),
  );
  return steps;
}

function report(action: 'install' | 'uninstall', rt: Runtime, socket: string, installedBefore: boolean, installed: boolean, manager: ServiceManager, steps: PlannedStep[]): LoginAgentReport {
  return {
    action,
    platform: rt.platform,
    socket,
    installedBefore,
    installed,
    serviceManager: manager,
    steps: steps.map(({ run: _run, ...s }) => s),
    ok: !steps.some((s) => s.status === 'failed'),
  };
}

/** What install (or uninstall) would do here, without changing anything. */
export async function planLoginAgent(rt: Runtime, action: 'install' | 'uninstall', options: LoginAgentOptions): Promise<LoginAgentReport> {
  const state = await readLoginAgentState(rt.paths);
  const manager = await serviceManager(rt);
  const socket = state?.socket ?? loginAgentSocket(rt.platform, rt.env, rt.paths);
  const steps = action === 'install' ? installSteps(rt, options, manager, emptyState(rt, socket)) : uninstallSteps(rt, manager, state);
  for (const s of steps) if (s.command && !manager.reachable) s.message = `will not run: ${manager.reason ?? 'no service manager'}`;
  return report(action, rt, socket, state !== null, state !== null, manager, steps);
}

function emptyState(rt: Runtime, socket: string): LoginAgentState {
  return { version: 1, platform: rt.platform, installedAt: new Date().toISOString(), socket, files: [], sshConfig: null, systemdEnabled: [], launchd: false, windowsRun: false };
}

/**
 * Installs or uninstalls. Steps run in order; after a failed one the rest are skipped. Install
 * records what it did even when it stopped half-way, so uninstall can always take it back.
 */
export async function applyLoginAgent(rt: Runtime, action: 'install' | 'uninstall', options: LoginAgentOptions): Promise<LoginAgentReport> {
  const before = await readLoginAgentState(rt.paths);
  const manager = await serviceManager(rt);
  const socket = before?.socket ?? loginAgentSocket(rt.platform, rt.env, rt.paths);
  const record: LoginAgentState = before ? { ...before, installedAt: new Date().toISOString() } : emptyState(rt, socket);
  const steps = action === 'install' ? installSteps(rt, options, manager, record) : uninstallSteps(rt, manager, before);
  let failed = false;
  for (const s of steps) {
    if (failed) {
      s.status = 'skipped';
      s.message = 'not run: an earlier step failed';
      continue;
    }
    try {
      const o = (await s.run?.()) ?? { status: 'done' };
      s.status = o.status;
      s.message = o.message ?? null;
    } catch (e) {
      s.status = 'failed';
      s.message = e instanceof KeyDockError ? `${e.message} ${e.hint}` : e instanceof Error ? e.message : String(e);
    }
    if (s.status === 'failed') failed = true;
  }
  if (action === 'install') {
    if (record.files.length > 0 || record.sshConfig || record.systemdEnabled.length || record.launchd || record.windowsRun) await writeLoginAgentState(rt.paths, record);
    return report(action, rt, socket, before !== null, (await readLoginAgentState(rt.paths)) !== null, manager, steps);
  }
  return report(action, rt, socket, before !== null, (await readLoginAgentState(rt.paths)) !== null, manager, steps);
}

/** The report in plain words, one line per step (the CLI's text output). */
export function describeLoginAgentReport(r: LoginAgentReport, dryRun: boolean): string {
  const lines: string[] = [];
  const verb = r.action === 'install' ? 'Install' : 'Uninstall';
  if (r.action === 'uninstall' && !r.installedBefore) return "KeyDock's agent is not installed as the login agent; nothing to undo.";
  lines.push(dryRun ? `${verb} plan for KeyDock's agent as the login agent (${r.socket}); nothing is changed:` : `${verb}: KeyDock's agent as the login agent (${r.socket})`);
  const mark: Record<LoginAgentStep['status'], string> = { planned: '-', done: 'done', unchanged: 'unchanged', skipped: 'skipped', failed: 'FAILED' };
  for (const s of r.steps) {
    lines.push(`  [${mark[s.status]}] ${s.title}${s.path ? `\n      ${s.path}` : ''}${s.command ? `\n      $ ${s.command.join(' ')}` : ''}${s.message ? `\n      ${s.message}` : ''}`);
  }
  if (!r.serviceManager.reachable) lines.push(`The ${r.serviceManager.name} is not reachable here (${r.serviceManager.reason ?? 'unknown reason'}): its commands ${dryRun ? 'would be' : 'were'} skipped${r.action === 'install' ? '; the files take effect at your next login' : ''}.`);
  const installed = r.platform === 'win32' ? `Done. ssh.exe and Git use ${r.socket}, PuTTY uses Pageant's window and pipe.` : `Done. New shells get SSH_AUTH_SOCK=${r.socket}; ssh uses it through IdentityAgent already.`;
  if (!dryRun && r.ok) lines.push(r.action === 'install' ? installed : 'Done. KeyDock no longer starts its agent at login.');
  return lines.join('\n');
}
