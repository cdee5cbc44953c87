import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { UserPaths } from '../util/paths';
import { safeWriteFile } from '../util/safe-write';

/** Path of the XDG autostart entry that starts KeyDock at login on Linux desktops. */
export function autostartFile(paths: UserPaths, env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(paths.home, '.config'), 'autostart', 'keydock.desktop');
}

/** Quotes one Exec= argument as the Desktop Entry spec requires. */
function quoteExecArg(arg: string): string {
  if (!/[\s"'\\$`]/.test(arg)) return arg;
  return `"${arg.replace(/([\\"$`])/g, '\\$1')}"`;
}

/** The desktop entry text: starts KeyDock hidden in the tray. */
export function autostartEntry(execPath: string, args: string[] = ['--hidden']): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=KeyDock',
    'Comment=Keep your SSH keys available',
    `Exec=${[execPath, ...args].map(quoteExecArg).join(' ')}`,
    'Icon=keydock',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Turns start-at-login on or off on Linux (macOS and Windows use Electron's login items). */
export async function setLinuxAutostart(paths: UserPaths, env: NodeJS.ProcessEnv, enabled: boolean, execPath: string): Promise<void> {
  const file = autostartFile(paths, env);
  if (!enabled) {
    await rm(file, { force: true });
    return;
  }
  await safeWriteFile(file, autostartEntry(execPath), { mode: 0o644, createParents: true });
}
