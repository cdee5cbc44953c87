import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppContext } from '../context';
import { KeyDockError } from '../util/errors';
import { createHandlers } from '../ipc/handlers';
import { startBridge, type Bridge } from './server';

/**
 * The checkout this module runs from: the nearest folder with a package.json. The module runs
 * from main/bridge (tsx) or from a chunk of the CLI bundle under out/cli, at different depths.
 */
function checkoutRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return join(here, '..', '..');
  }
}

/** The built renderer in the checkout (`npm run build` / `npm start` make it). */
export const RENDERER_DIR = join(checkoutRoot(), 'out', 'renderer');

/** Serves the real UI over the bridge: how KeyDock runs where no Electron binary exists. */
export async function serveUi(ctx: AppContext, options: { port?: number; staticDir?: string } = {}): Promise<Bridge> {
  const staticDir = options.staticDir ?? RENDERER_DIR;
  try {
    await access(join(staticDir, 'index.html'));
  } catch {
    throw new KeyDockError('ui-not-built', 'The KeyDock window has not been built yet.', 'Run `npm start` (it builds first) or `npm run build`.', { exitCode: 2 });
  }
  return startBridge(ctx, { staticDir, handlers: createHandlers(ctx), port: options.port });
}

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];

/** Opens the URL as an app window in Chromium when one is installed; returns whether it did. */
export async function openInChromium(url: string): Promise<boolean> {
  for (const exe of CHROMIUM_CANDIDATES) {
    try {
      await access(exe);
    } catch {
      continue;
    }
    const profile = await mkdtemp(join(tmpdir(), 'keydock-chromium-'));
    const args = [`--app=${url}`, `--user-data-dir=${profile}`, '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
    if (process.getuid?.() === 0) args.push('--no-sandbox');
    if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY && process.platform === 'linux') return false;
    const child = spawn(exe, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  }
  return false;
}
