import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { runCli } from '../../../main/cli/program';
import { BridgeDenial } from '../../../shared/bridge-protocol';
import { startProcess, stopProcess } from '../../support/processes';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { closed, connectSession, hello, invoke, openSocket } from './client';
import { memoryIo } from '../../support/memory-io';

// `keydock ui` as a user runs it, from the CLI bundle (what bin/keydock.cjs runs after a build)
// and from the sources through tsx (what it runs in an edited checkout): both must find the
// built window, although their modules sit at different depths of the checkout.
const root = join(__dirname, '../../..');
const built = existsSync(join(root, 'out/renderer/index.html'));
const entries: Array<[string, string[]]> = [
  ['the CLI bundle', [join(root, 'out/cli/keydock.cjs')]],
  ['the sources through tsx', ['--import', 'tsx', join(root, 'main/cli/index.ts')]],
];

let home: TmpHome | undefined;
const started: ChildProcess[] = [];
/** Fake browsers outlive `keydock ui` (they are detached); stopped here by their own pid. */
const browserPids: number[] = [];
/** The browser profiles keydock made for them. */
const profiles: string[] = [];
afterEach(async () => {
  for (const child of started.splice(0)) await stopProcess(child);
  for (const pid of browserPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of profiles.splice(0)) await rm(dir, { recursive: true, force: true });
  await home?.cleanup();
  home = undefined;
});

/** Reads what the fake browser recorded and registers its process and profile for cleanup. */
async function browserRecord(path: string): Promise<string> {
  const record = await waitFor('the fake browser', () => readFile(path, 'utf8').catch(() => null));
  browserPids.push(Number(/^PID (\d+)$/m.exec(record)![1]));
  const profile = /^ARG --user-data-dir=(.+)$/m.exec(record)?.[1];
  if (profile) profiles.push(profile);
  return record;
}

/** Starts `keydock ui …` and resolves once it printed its address, with all it printed so far. */
async function startUi(args: string[], env: NodeJS.ProcessEnv, entry: string[] = [join(root, 'bin/keydock.cjs')]) {
  const child = startProcess(process.execPath, [...entry, 'ui', ...args], { env, cwd: root });
  started.push(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Press .*Ctrl-C to stop\./.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`keydock ui exited with ${code}: ${out}${err}`)));
  });
  const m = /KeyDock is running at (http:\/\/127\.0\.0\.1:(\d+)\/)(?:#code=([A-Za-z0-9_-]+))?/.exec(out);
  if (!m) throw new Error(`no address in: ${out}`);
  return { child, stdout: () => out, base: m[1]!, port: Number(m[2]), code: m[3] ?? null };
}


/** A process and all its descendants, from /proc. */
async function processTree(rootPid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isFinite(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  for (const queue = [rootPid]; queue.length > 0; ) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** What any local user may read of a process: its command line and (for its owner) environment. */
async function visibleText(pids: number[]): Promise<string> {
  const parts: string[] = [];
  for (const pid of pids) {
    for (const file of ['cmdline', 'environ']) parts.push(await readFile(`/proc/${pid}/${file}`, 'latin1').catch(() => ''));
  }
  return parts.join('\n');
}

/** A stand-in browser: records its argv, environment and the page it was given, then idles. */
async function fakeBrowser(dir: string): Promise<{ exe: string; record: string }> {
  const exe = join(dir, 'fake-browser.sh');
  const record = join(dir, 'browser-record.txt');
  await writeFile(
    exe,
    `#!/bin/sh
rec='${record}'
{
  for a in "$@"; do printf 'ARG %s\\n' "$a"; done
  env | sed 's/^/ENV /'
  for a in "$@"; do case "$a" in --app=file://*) f="\${a#--app=file://}";; esac; done
  printf 'FILE %s\\n' "$f"
  stat -c 'MODE %a %u' "$f"
  stat -c 'DIRMODE %a %u' "$(dirname "$f")"
  printf 'HTML '; tr '\\n' ' ' < "$f"; echo
  echo "PID $$"
} > "$rec.tmp"
mv "$rec.tmp" "$rec"
exec sleep 120
`,
  );
  await chmod(exe, 0o755);
  return { exe, record };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!built)('keydock ui serves the built window (run `npm run build` first)', () => {
  for (const [name, args] of entries) {
    it.skipIf(!existsSync(args.at(-1)!))(`from ${name}`, { timeout: 60_000 }, async () => {
      home = await makeTmpHome();
      const ui = await startUi(['--no-open'], home.env, args);
      const page = await fetch(ui.base);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      // The printed address carries a one-time code: it opens one page, and only once.
      expect(ui.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const first = await connectSession(ui.port, { code: ui.code! });
      expect((await invoke(first.ws, 1, 'app:get-info', {})).result.ok).toBe(true);
      const again = (await openSocket(ui.port)) as WebSocket;
      expect(await hello(again, { code: ui.code! })).toMatchObject({ type: 'denied', error: { code: BridgeDenial.codeUsed } });
      first.ws.close();
    });
  }

  it.skipIf(process.platform !== 'linux')(
    'opens the browser without any secret in a command line or environment, through a one-time 0600 page',
    { timeout: 60_000 },
    async () => {
      home = await makeTmpHome('keydock-ui-launch-');
      const browser = await fakeBrowser(home.dir);
      const env = { ...home.env, DISPLAY: ':99', KEYDOCK_BROWSER: browser.exe };
      const ui = await startUi([], env);
      expect(ui.stdout()).toContain('Opened it in Chromium.');
      // Nothing secret is printed when the browser was opened for the user.
      expect(ui.code).toBeNull();

      const record = await browserRecord(browser.record);
      const lines = record.split('\n');
      const argv = lines.filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4));
      const environ = lines.filter((l) => l.startsWith('ENV ')).join('\n');
      const launchFile = /^FILE (.+)$/m.exec(record)![1]!;
      const code = /#code=([A-Za-z0-9_-]+)/.exec(/^HTML (.*)$/m.exec(record)![1]!)?.[1];
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // The page is this user's alone: 0600 in a fresh 0700 folder under $XDG_RUNTIME_DIR.
      const uid = String(process.getuid!());
      expect(/^MODE (\d+) (\d+)$/m.exec(record)?.slice(1)).toEqual(['600', uid]);
      expect(/^DIRMODE (\d+) (\d+)$/m.exec(record)?.slice(1)).toEqual(['700', uid]);
      expect(launchFile.startsWith(`${home.env.XDG_RUNTIME_DIR}/keydock-launch-`)).toBe(true);
      expect(argv.find((a) => a.startsWith('--app='))).toBe(`--app=file://${launchFile}`);

      // Trade the code as the page would; then no secret of this session may be anywhere a
      // local user can read: the browser's argv and environment, /proc of keydock and its children.
      const page = await connectSession(ui.port, { code: code! });
      const tree = await processTree(ui.child.pid!);
      expect(tree).toContain(browserPids[0]);
      const visible = await visibleText(tree);
      expect(visible).toContain('keydock');
      for (const [what, secret] of [
        ['launch code', code!],
        ['session token', page.session],
      ] as const) {
        expect(argv.join('\n').includes(secret), `the ${what} is in the browser's argv`).toBe(false);
        expect(environ.includes(secret), `the ${what} is in the browser's environment`).toBe(false);
        expect(visible.includes(secret), `the ${what} is in /proc/*/cmdline or environ`).toBe(false);
        expect(ui.stdout().includes(secret), `the ${what} was printed`).toBe(false);
      }

      // The launch page is gone once used, and the code cannot be replayed.
      await waitFor('the launch page to be removed', async () => !existsSync(join(launchFile, '..')));
      const replay = (await openSocket(ui.port)) as WebSocket;
      const refused = await hello(replay, { code: code! });
      expect(refused).toMatchObject({ type: 'denied', error: { code: BridgeDenial.codeUsed } });
      expect(await closed(replay)).toBe(4401);

      // A reload: a new socket from the same tab, with the session token from sessionStorage.
      page.ws.close();
      const reloaded = await connectSession(ui.port, { session: page.session });
      expect((await invoke(reloaded.ws, 1, 'app:get-info', {})).result.ok).toBe(true);
      reloaded.ws.close();
    },
  );

  it.skipIf(process.platform !== 'linux')('removes an unused launch page when it stops', { timeout: 60_000 }, async () => {
    home = await makeTmpHome('keydock-ui-stop-');
    const browser = await fakeBrowser(home.dir);
    const ui = await startUi([], { ...home.env, DISPLAY: ':99', KEYDOCK_BROWSER: browser.exe });
    const record = await browserRecord(browser.record);
    const launchFile = /^FILE (.+)$/m.exec(record)![1]!;
    expect(existsSync(launchFile)).toBe(true);
    await stopProcess(ui.child);
    expect(existsSync(join(launchFile, '..'))).toBe(false);
  });

  it('says so in words when the port is taken', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    home = await makeTmpHome();
    try {
      const m = memoryIo(home.env);
      expect(await runCli(['ui', '--no-open', '--port', String(port)], m.io)).toBe(2);
      expect(m.stderr()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    } finally {
      squatter.close();
    }
  });
});

describe('keydock ui --port', () => {
  it.each(['99999', '65536', '-1', 'abc', '1.5', '', '0x50'])('refuses %j as a usage error (exit 2)', async (port) => {
    const m = memoryIo({ PATH: process.env.PATH, HOME: '/nonexistent' });
    expect(await runCli(['ui', '--no-open', '--port', port], m.io)).toBe(2);
    expect(m.stderr()).toContain('is not a port number');
    expect(m.stderr()).not.toContain('Something went wrong');
  });

  it('reports it as JSON with --json', async () => {
    const m = memoryIo({ PATH: process.env.PATH, HOME: '/nonexistent' });
    expect(await runCli(['--json', 'ui', '--no-open', '--port', '99999'], m.io)).toBe(2);
    expect(JSON.parse(m.stdout())).toMatchObject({ ok: false, error: { code: 'usage' } });
  });
});
