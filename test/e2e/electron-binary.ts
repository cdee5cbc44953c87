import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const electronDir = fileURLToPath(new URL('../../node_modules/electron', import.meta.url));

/** The installed Electron executable, or null; never triggers the lazy download `require('electron')` does. */
export function electronExecutable(): string | null {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const exe = join(electronDir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(exe) ? exe : null;
}

export const NO_ELECTRON_REASON =
  'No Electron binary is installed on this machine (it cannot be downloaded here). Run `npx install-electron` where the network allows, then `npx playwright test --project e2e`.';
