// KeyDock's agent as the login agent (docs/login-agent.md): where its files go on each system,
// what they say, and the small state file that records what `keydock serve --install` did, so
// `--uninstall` reverses exactly that and the doctor can say which agent new shells get. Only
// names and texts live here (the config layer); lifecycle/login-agent.ts writes and runs them.
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OPENSSH_AGENT_PIPE } from '../platform/windows/pipe-names';
import type { UserPaths } from '../util/paths';
import { safeWriteFile } from '../util/safe-write';

/** systemd units and launchd label. */
export const SOCKET_UNIT = 'keydock-agent.socket';
export const SERVICE_UNIT = 'keydock-agent.service';
export const LAUNCHD_LABEL = 'com.keydock.agent';
/** The value under HKCU\…\CurrentVersion\Run that starts the agent at Windows sign-in. */
export const WINDOWS_RUN_VALUE = 'KeyDockAgent';
export const WINDOWS_RUN_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';

/** What --install did, so --uninstall undoes exactly that. Written 0600 in KeyDock's config folder. */
export interface LoginAgentState {
  version: 1;
  platform: NodeJS.Platform;
  installedAt: string;
  /** The socket (or pipe) the login agent serves. */
  socket: string;
  /** Files KeyDock wrote, with the SHA-256 of what it wrote (a file changed since is left alone). */
  files: Array<{ path: string; sha256: string }>;
  /** The exact text added to an ssh config (removed only while it is still there, unchanged). */
  sshConfig: { file: string; text: string } | null;
  /** Units enabled with systemctl --user (empty when no user manager was reachable). */
  systemdEnabled: string[];
  /** launchctl bootstrap ran (macOS). */
  launchd: boolean;
  /** The Run value was added (Windows). */
  windowsRun: boolean;
}

/** Where the app's and the login agent's well-known socket is: `$XDG_RUNTIME_DIR/keydock/agent.sock` (Linux), KeyDock's folder (macOS), the OpenSSH pipe (Windows). */
export function loginAgentSocket(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, paths: UserPaths): string {
  if (platform === 'win32') return OPENSSH_AGENT_PIPE;
  if (platform === 'darwin') return join(paths.configDir, 'agent.sock');
  const runtime = env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.() ?? 0}`;
  return join(runtime, 'keydock', 'agent.sock');
}

function xdgConfigHome(env: NodeJS.ProcessEnv, paths: UserPaths): string {
  return env.XDG_CONFIG_HOME || join(paths.home, '.config');
}

/** The files --install writes on this system. */
export function loginAgentFiles(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, paths: UserPaths): { socketUnit?: string; serviceUnit?: string; environment?: string; plist?: string } {
  if (platform === 'darwin') return { plist: join(paths.home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`) };
  if (platform === 'win32') return {};
  const units = join(xdgConfigHome(env, paths), 'systemd', 'user');
  return { socketUnit: join(units, SOCKET_UNIT), serviceUnit: join(units, SERVICE_UNIT), environment: join(xdgConfigHome(env, paths), 'environment.d', '50-keydock.conf') };
}

/** The folder systemd reads `environment.d/*.conf` from for the user's session (what new shells inherit). */
export function environmentDir(env: NodeJS.ProcessEnv, paths: UserPaths): string {
  return join(xdgConfigHome(env, paths), 'environment.d');
}

/** One ExecStart= argument, quoted as systemd.service(5) reads it; `%` and `$` are escaped so nothing is expanded by accident. */
export function systemdArg(arg: string): string {
  const escaped = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (escaped !== '' && !/[\s"'\\;]/.test(escaped)) return escaped;
  return `"${escaped.replace(/(["\\])/g, '\\$1')}"`;
}

/** The socket unit: systemd listens on the well-known socket and starts the agent on the first connection. */
export function socketUnitText(): string {
  return [
    '# Written by keydock serve --install; keydock serve --uninstall removes it (docs/login-agent.md).',
    '[Unit]',
    "Description=KeyDock's SSH agent socket",
    '',
    '[Socket]',
    'ListenStream=%t/keydock/agent.sock',
    'SocketMode=0600',
    'DirectoryMode=0700',
    '',
    '[Install]',
    'WantedBy=sockets.target',
    '',
  ].join('\n');
}

/** The service unit: `keydock serve -D --socket-activated --load-remembered` on the socket systemd passes (fd 3). */
export function serviceUnitText(launcher: string[]): string {
  const exec = [...launcher, 'serve', '-D', '--socket-activated', '--load-remembered'].map(systemdArg).join(' ');
  return [
    '# Written by keydock serve --install; keydock serve --uninstall removes it (docs/login-agent.md).',
    '[Unit]',
    "Description=KeyDock's SSH agent",
    `Requires=${SOCKET_UNIT}`,
    `After=${SOCKET_UNIT}`,
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    'Restart=on-failure',
    '',
    '[Install]',
    `Also=${SOCKET_UNIT}`,
    '',
  ].join('\n');
}

/** environment.d: every program of the session (new shells included) gets the login agent's socket. */
export function environmentText(): string {
  return ['# Written by keydock serve --install; keydock serve --uninstall removes it (docs/login-agent.md).', 'SSH_AUTH_SOCK=${XDG_RUNTIME_DIR}/keydock/agent.sock', ''].join('\n');
}

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The macOS LaunchAgent: starts at login, restarted when it stops. */
export function launchAgentPlist(launcher: string[], socket: string, logFile: string): string {
  const args = [...launcher, 'serve', '-D', '--socket', socket, '--load-remembered'];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by keydock serve --install; keydock serve --uninstall removes it (docs/login-agent.md). -->',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  <string>${LAUNCHD_LABEL}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...args.map((a) => `    <string>${xmlText(a)}</string>`),
    '  </array>',
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <key>KeepAlive</key>',
    '  <true/>',
    '  <key>StandardErrorPath</key>',
    `  <string>${xmlText(logFile)}</string>`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

/** The command line of the Windows Run value: the agent in the background, serving ssh.exe's pipe and Pageant. */
export function windowsRunCommand(launcher: string[]): string {
  return [...launcher, 'serve', '--openssh-pipe', '--pageant', '--load-remembered'].map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)).join(' ');
}

/** The comment line that marks KeyDock's block in ~/.ssh/config. */
export const SSH_CONFIG_MARK = "# KeyDock's agent for every host (keydock serve --uninstall removes this block)";

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function loginAgentStateFile(paths: UserPaths): string {
  return join(paths.configDir, 'login-agent.json');
}

/** The recorded install, or null when KeyDock's agent is not installed as the login agent (or the record is unreadable). */
export async function readLoginAgentState(paths: UserPaths): Promise<LoginAgentState | null> {
  let raw: string;
  try {
    raw = await readFile(loginAgentStateFile(paths), 'utf8');
  } catch {
    return null;
  }
  try {
    const s = JSON.parse(raw) as Partial<LoginAgentState>;
    if (s.version !== 1 || typeof s.socket !== 'string' || !Array.isArray(s.files)) return null;
    return {
      version: 1,
      platform: (s.platform ?? process.platform) as NodeJS.Platform,
      installedAt: String(s.installedAt ?? ''),
      socket: s.socket,
      files: s.files.filter((f) => typeof f?.path === 'string' && typeof f?.sha256 === 'string'),
      sshConfig: s.sshConfig && typeof s.sshConfig.file === 'string' && typeof s.sshConfig.text === 'string' ? s.sshConfig : null,
      systemdEnabled: Array.isArray(s.systemdEnabled) ? s.systemdEnabled.filter((u) => typeof u === 'string') : [],
      launchd: s.launchd === true,
      windowsRun: s.windowsRun === true,
    };
  } catch {
    return null;
  }
}

export async function writeLoginAgentState(paths: UserPaths, state: LoginAgentState): Promise<void> {
  await safeWriteFile(loginAgentStateFile(paths), JSON.stringify(state, null, 2) + '\n', { mode: 0o600, createParents: true });
}

export async function removeLoginAgentState(paths: UserPaths): Promise<void> {
  await rm(loginAgentStateFile(paths), { force: true });
}
