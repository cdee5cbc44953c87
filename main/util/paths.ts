import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where a user's files are; tests pass a temp HOME through env so nothing touches the real one. */
export interface UserPaths {
  home: string;
  sshDir: string;
  configDir: string;
}

/** Resolves the user's directories from the environment, the way ssh and XDG tools do. */
export function userPaths(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): UserPaths {
  const home = env.HOME || env.USERPROFILE || homedir();
  let configDir: string;
  if (platform === 'win32') configDir = join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'KeyDock');
  else if (platform === 'darwin') configDir = join(home, 'Library', 'Application Support', 'KeyDock');
  else configDir = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'keydock');
  return { home, sshDir: join(home, '.ssh'), configDir };
}
