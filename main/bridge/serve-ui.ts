import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { access, lstat, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
/** The app icon the browser tab shows (/favicon.ico), drawn by scripts/make-icons.mjs. */
export const FAVICON_FILE = join(checkoutRoot(), 'build', 'icons', '32x32.png');

/** Serves the real UI over the bridge: how KeyDock runs where no Electron binary exists. */
export async function serveUi(ctx: AppContext, options: { port?: number; staticDir?: string } = {}): Promise<Bridge> {
  const staticDir = options.staticDir ?? RENDERER_DIR;
  try {
    await access(join(staticDir, 'index.html'));
  } catch {
    throw new KeyDockError('ui-not-built', 'The KeyDock window has not been built yet.', 'Run `npm start` (it builds first) or `npm run build`.', { exitCode: 2 });
  }
  try {
    return await startBridge(ctx, { staticDir, handlers: createHandlers(ctx), port: options.port, faviconFile: FAVICON_FILE });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new KeyDockError('ui-port-unavailable', `Port ${options.port} on 127.0.0.1 is ${code === 'EADDRINUSE' ? 'already in use' : 'not allowed for this user'}.`, 'Pick another --port, or leave it out to use a free one.', {
        exitCode: 2,
        cause: e,
      });
    }
    throw e;
  }
}

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];

/**
 * Test hook only: the integration tests point this at a fake browser that records what it was
 * started with. It names a program to run, never a secret.
 */
export const BROWSER_OVERRIDE_ENV = 'KEYDOCK_BROWSER';

/**
 * Opens the KeyDock page as an app window in Chromium when one is installed; returns whether it did.
 *
 * A browser's command line is readable by every local user (/proc/PID/cmdline), so the launch
 * code never goes there: it is written into a one-time redirect page, mode 0600 in a fresh 0700
 * folder, and Chromium is given only the file:// path of that page. The page forwards to
 * http://127.0.0.1:PORT/#code=…; the folder is deleted as soon as the code is used (or expires,
 * or KeyDock stops). The code itself works once, so even a copy seen later is worthless.
 */
export async function openInChromium(bridge: Bridge, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const exe = await findBrowser(env);
  if (!exe) return false;
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY && process.platform === 'linux') return false;

  const dir = await privateFolder(env);
  const launch = bridge.issueLaunchCode();
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  // Synchronous, so bridge.close() leaves no file behind even when the process exits right after.
  void launch.settled.then(removeDir);
  const page = join(dir, 'launch.html');
  try {
    await writeFile(page, redirectPage(launch.url), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    removeDir();
    throw e;
  }

  const profile = await mkdtemp(join(tmpdir(), 'keydock-chromium-'));
  const args = [`--app=${pathToFileURL(page).href}`, `--user-data-dir=${profile}`, '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  const child = spawn(exe, args, { stdio: 'ignore', detached: true, env });
  child.on('error', removeDir);
  child.unref();
  return true;
}

async function findBrowser(env: NodeJS.ProcessEnv): Promise<string | null> {
  const override = env[BROWSER_OVERRIDE_ENV];
  for (const exe of override ? [override] : CHROMIUM_CANDIDATES) {
    try {
      await access(exe);
      return exe;
    } catch {
      continue;
    }
  }
  return null;
}

/**
 * A new folder only this user can enter: under $XDG_RUNTIME_DIR (a per-user tmpfs) when that
 * is a 0700 folder of ours, else under the temp folder. mkdtemp makes it 0700 either way.
 */
async function privateFolder(env: NodeJS.ProcessEnv): Promise<string> {
  let base = tmpdir();
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime) {
    const st = await lstat(runtime).catch(() => null);
    if (st?.isDirectory() && (st.mode & 0o077) === 0 && st.uid === process.getuid?.()) base = runtime;
  }
  const dir = await mkdtemp(join(base, 'keydock-launch-'));
  const st = await lstat(dir);
  if (!st.isDirectory() || (st.mode & 0o077) !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new KeyDockError('ui-launch-folder', `Could not make a private folder for opening the browser (${dir}).`, 'Check the permissions of $XDG_RUNTIME_DIR and the temp folder.');
  }
  return dir;
}

/** The one-time redirect page (the URL holds only [A-Za-z0-9_-:/.#=], nothing to escape). */
function redirectPage(url: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${url}"><title>Opening KeyDock…</title></head>
<body><p>Opening KeyDock… <a href="${url}">Continue</a></p></body></html>
`;
}
