import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyDockError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic-write';

// Makes Windows' own OpenSSH (C:\Windows\System32\OpenSSH\ssh.exe, and Git when core.sshCommand
// points at it) use KeyDock's Pageant pipe, the way `pageant --openssh-config FILE` does
// (SPEC-agent.md §2.3): a one-line file with IdentityAgent, Included from ~/.ssh/config.
// Git for Windows' bundled MSYS ssh cannot open Windows pipes at all; see gitSshCommandForWindowsOpenSsh.

/** The default name of the file KeyDock writes next to ~/.ssh/config. */
export const IDENTITY_AGENT_FILE = 'keydock-agent.conf';

/**
 * The line PuTTY writes: the pipe path with `\` turned into `/` (ssh_config treats backslashes
 * in quoted strings as escapes; Windows OpenSSH accepts `//./pipe/…`), quoted, LF-terminated.
 */
export function identityAgentLine(pipePath: string): string {
  if (!/^(\\\\|\/\/)\.(\\|\/)pipe(\\|\/)[^"\r\n\\/]+$/.test(pipePath)) {
    throw new KeyDockError('invalid-pipe-path', `${JSON.stringify(pipePath)} is not a Windows pipe path.`, 'Pass a path like \\\\.\\pipe\\openssh-ssh-agent.', { exitCode: 2 });
  }
  return `IdentityAgent "${pipePath.replace(/\\/g, '/')}"\n`;
}

/** The `Include` line for ~/.ssh/config (forward slashes, quoted when the path has spaces). */
export function includeLine(file: string): string {
  const p = file.replace(/\\/g, '/');
  return `Include ${/[\s"]/.test(p) ? `"${p.replace(/"/g, '')}"` : p}\n`;
}

/**
 * Adds the Include at the very top of a config text unless it is there already: an Include
 * after a `Host` line would apply only to that host, so it must come first.
 */
export function withInclude(configText: string, file: string): { text: string; changed: boolean } {
  const wanted = includeLine(file).trim();
  const norm = (l: string) => l.trim().replace(/\s+/g, ' ').replace(/\\/g, '/').toLowerCase();
  if (configText.split(/\r?\n/).some((l) => norm(l) === norm(wanted))) return { text: configText, changed: false };
  const eol = configText.includes('\r\n') ? '\r\n' : '\n';
  const header = `# Added by KeyDock: use KeyDock's agent pipe (remove this line to stop)${eol}${wanted}${eol}`;
  return { text: header + (configText ? eol + configText : ''), changed: true };
}

export interface IdentityAgentSetup {
  includeFile: string;
  configFile: string;
  configChanged: boolean;
}

/**
 * On request only: writes ~/.ssh/keydock-agent.conf with the IdentityAgent line and makes
 * ~/.ssh/config Include it (created if missing), both atomically.
 */
export async function writeOpenSshIdentityAgent(options: { sshDir: string; pipePath: string; fileName?: string }): Promise<IdentityAgentSetup> {
  const includeFile = join(options.sshDir, options.fileName ?? IDENTITY_AGENT_FILE);
  const configFile = join(options.sshDir, 'config');
  const line = identityAgentLine(options.pipePath);
  await mkdir(options.sshDir, { recursive: true, mode: 0o700 });
  let current = '';
  try {
    current = await readFile(configFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new KeyDockError('ssh-config-unreadable', `Could not read ${configFile}: ${(e as Error).message}`, 'Check the file\'s permissions.', { cause: e });
    }
  }
  await writeFileAtomic(includeFile, line, { mode: 0o600 });
  const next = withInclude(current, includeFile);
  if (next.changed) await writeFileAtomic(configFile, next.text, { mode: 0o600 });
  return { includeFile, configFile, configChanged: next.changed };
}

/**
 * Git for Windows runs its own MSYS ssh, which cannot reach Windows pipes; pointing Git at
 * Windows OpenSSH makes it use the agent above without GIT_SSH_COMMAND in every shell.
 */
export function gitSshCommandForWindowsOpenSsh(systemRoot = 'C:\\Windows'): string[] {
  return ['git', 'config', '--global', 'core.sshCommand', `${systemRoot.replace(/\\/g, '/')}/System32/OpenSSH/ssh.exe`];
}
