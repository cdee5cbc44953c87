/**
 * Window benchmark: how long the keys view takes to show every key. A real OpenSSH ssh-agent
 * holds 5 keys and ~/.ssh holds 20 key files (the 5 loaded ones among them); the built
 * renderer (`npx electron-vite build` first) is served by the loopback bridge, in a process of
 * its own as `keydock ui` runs it (bench/ui-server.ts), to Debian's Chromium, and we time from
 * the start of the navigation until the page has drawn the frame that shows all 20 rows
 * (watched from inside the page, see ROWS_SHOWN_SCRIPT), median of 5 fresh page loads after two
 * warm-up loads (the browser's first load is printed on its own), and from a click on Keys in
 * the sidebar (coming from Settings) until the rows show again, median of 5. Also prints the
 * size of the page's initial JavaScript, gzipped.
 * Run: `npx tsx bench/ui.ts` (or through `npm run bench ui`).
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { run, startProcess, stopProcess } from '../test/support/processes';
import { startOpenSshAgent } from '../test/support/ssh-agent';
import { makeTmpHome } from '../test/support/tmp-home';
import { BUILT_RENDERER } from '../test/support/ui-services';
import { median } from './stats';

const FILES = 20;
const LOADED = 5;
const RUNS = 5;
const WARM_UP_LOADS = 2;
/** Extra page loads after the measured ones, on their own page, with timestamps recorded in the page. */
const TRACED_RUNS = 3;

export interface UiBenchResult {
  /** From the start of the navigation (page.goto) until the frame that shows every row was drawn. */
  keysVisibleMs: number[];
  medianMs: number;
  /** The same loads, until the benchmark process got the page's message (one more hop). */
  seenMs: number[];
  /** The browser's first load of the page: nothing cached, main's worker not started yet. */
  coldMs: number;
  /** From a click on "Keys" in the sidebar (coming from Settings) until all rows show. */
  inAppMs: number[];
  inAppMedianMs: number;
  initialJsGzipBytes: number;
}


/** The JavaScript index.html loads before any view: the entry script (lazy views excluded). */
function initialJsGzip(): number {
  const html = readFileSync(join(BUILT_RENDERER, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script[^>]+src="\.?\/?([^"]+\.js)"/g)].map((m) => m[1]!);
  const preloads = [...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\.?\/?([^"]+\.js)"/g)].map((m) => m[1]!);
  return [...entries, ...preloads].reduce((n, f) => n + gzipSync(readFileSync(join(BUILT_RENDERER, f))).length, 0);
}

export async function runUiBench({ log = (_: string) => undefined }: { log?: (line: string) => void } = {}): Promise<{ table: string; result: UiBenchResult }> {
  if (!readdirSync(BUILT_RENDERER).includes('index.html')) throw new Error('build the renderer first: npx electron-vite build');
  const home = await makeTmpHome('keydock-bench-ui-');
  const agent = await startOpenSshAgent();
  const browser = await chromium.launch({
    executablePath: process.env.KEYDOCK_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  let server: UiServer | null = null;
  try {
    log(`making ${FILES} keys, loading ${LOADED}…`);
    for (let i = 0; i < FILES; i++) {
      const path = join(home.sshDir, `id_bench_${String(i).padStart(2, '0')}`);
      const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `bench-${i}@keydock`, '-f', path]);
      if (r.code !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
      if (i < LOADED && (await agent.sshAdd([path])).code !== 0) throw new Error('ssh-add failed');
    }
    server = await startUiServer({ ...home.env, SSH_AUTH_SOCK: agent.socket });
    const launch = server.launch;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(ROWS_SHOWN_SCRIPT);
    const times: number[] = [];
    const seen: number[] = [];
    let coldMs = 0;
    // Two loads before the measured ones, as for anyone who has opened the window before: the
    // first stores the bundle in the browser's cache (and starts main's key-inspection worker),
    // the second has V8 write its code cache, which every later load starts from.
    for (let i = 1 - WARM_UP_LOADS; i <= RUNS; i++) {
      const { shownMs, seenMs } = await freshLoad(page, launch);
      if (i === 1 - WARM_UP_LOADS) coldMs = shownMs;
      if (i > 0) {
        times.push(shownMs);
        seen.push(seenMs);
        log(`run ${i}: ${times.at(-1)!.toFixed(0)} ms (benchmark told at ${seen.at(-1)!.toFixed(0)} ms)`);
      }
    }
    // Inside the window: another view, then back to Keys (the view mounts and asks main again).
    const inApp: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
      await page.evaluate("window.kdbWatchRows()");
      const shown = rowsShown(page);
      const startEpoch = performance.timeOrigin + performance.now();
      await page.getByRole('button', { name: 'Keys', exact: true }).click();
      const ms = (await shown).shownAtEpoch - startEpoch;
      if (i > 0) {
        inApp.push(ms);
        log(`in-app ${i}: ${ms.toFixed(0)} ms`);
      }
    }
    // Where the time goes: separate loads with an init script that also timestamps the socket's
    // messages and the rows, so the measured loads above carry nothing but the rows' watch.
    const breakdown = await traceLoads(browser, launch, log);
    const result: UiBenchResult = {
      keysVisibleMs: times,
      medianMs: median(times),
      seenMs: seen,
      coldMs,
      inAppMs: inApp,
      inAppMedianMs: median(inApp),
      initialJsGzipBytes: initialJsGzip(),
    };
    const table = [
      '| measure | value |',
      '|---|---|',
      `| keys list visible (${LOADED} loaded, ${FILES} files), median of ${RUNS} | ${result.medianMs.toFixed(0)} ms |`,
      `| all runs | ${times.map((t) => t.toFixed(0)).join(', ')} ms |`,
      `| the same, when the benchmark process heard of it | ${seen.map((t) => t.toFixed(0)).join(', ')} ms |`,
      `| the browser's first load of the page (nothing cached) | ${coldMs.toFixed(0)} ms |`,
      `| keys list visible after Settings → Keys in the window, median of ${RUNS} | ${result.inAppMedianMs.toFixed(0)} ms |`,
      `| all runs | ${inApp.map((t) => t.toFixed(0)).join(', ')} ms |`,
      `| initial JS (gzip) | ${(result.initialJsGzipBytes / 1024).toFixed(1)} KiB |`,
      // Wall-clock times on a shared machine: say how busy it was.
      `| load average (1 min) at the end | ${loadavg()[0]!.toFixed(1)} |`,
      '',
      `Where a fresh load's time goes (median of ${TRACED_RUNS} traced loads, ms from \`page.goto\`):`,
      '',
      breakdown,
    ].join('\n');
    return { table, result };
  } finally {
    await browser.close();
    await server?.stop();
    await agent.stop();
    await home.cleanup();
  }
}

/**
 * Page side, installed before the page's own scripts: on every animation frame, is the keys
 * table's last row laid out with a size? The first frame where it is gets timestamped once its
 * rendering task is over (a message posted from the frame callback runs after that frame's
 * layout and paint) and reported on the console with the page's wall clock. Nothing from the
 * benchmark runs in the page while it loads: Playwright's own waits poll from outside with
 * growing pauses (20, 50, 100, 100, 500 ms) and first compile a large helper script in the
 * page, both of which would be counted as the page's time.
 * `kdbWatchRows()` starts the same watch again (Settings → Keys, inside the window).
 */
const ROWS_SHOWN_SCRIPT = `(() => {
  const watch = () => {
    const frame = () => {
      const row = document.querySelectorAll('table[aria-label="Keys"] tbody tr')[${FILES} - 1];
      const box = row && row.getBoundingClientRect();
      if (!box || box.width === 0 || box.height === 0) return requestAnimationFrame(frame);
      const channel = new MessageChannel();
      channel.port1.onmessage = () => console.debug('kdb-rows-shown ' + (performance.timeOrigin + performance.now()));
      channel.port2.postMessage(0);
    };
    requestAnimationFrame(frame);
  };
  window.kdbWatchRows = watch;
  watch();
})();`;

/** Resolves with the wall-clock time the page drew every row, and when this process heard of it. */
function rowsShown(page: Page): Promise<{ shownAtEpoch: number; seenAtEpoch: number }> {
  return page
    .waitForEvent('console', { predicate: (m) => m.text().startsWith('kdb-rows-shown '), timeout: 60_000 })
    .then((m) => ({ shownAtEpoch: Number(m.text().split(' ')[1]), seenAtEpoch: performance.timeOrigin + performance.now() }));
}

/**
 * One fresh load of a new launch address in PAGE (from about:blank), timed from the start of the
 * navigation (wall clock, startEpoch): when page.goto returned (load event), when the page drew
 * every row (rowsShown) and when this process heard of it, in ms.
 */
async function freshLoad(page: Page, launch: () => Promise<string>): Promise<{ startEpoch: number; gotoMs: number; shownMs: number; seenMs: number }> {
  await page.goto('about:blank');
  const url = await launch();
  const shown = rowsShown(page);
  const startEpoch = performance.timeOrigin + performance.now();
  await page.goto(url);
  const gotoMs = performance.timeOrigin + performance.now() - startEpoch;
  const { shownAtEpoch, seenAtEpoch } = await shown;
  return { startEpoch, gotoMs, shownMs: shownAtEpoch - startEpoch, seenMs: seenAtEpoch - startEpoch };
}

interface UiServer {
  /** A fresh one-time launch address. */
  launch(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts bench/ui-server.ts (KeyDock's services and bridge, as `keydock ui` runs them) in its own process. */
async function startUiServer(env: NodeJS.ProcessEnv): Promise<UiServer> {
  const script = fileURLToPath(new URL('./ui-server.ts', import.meta.url));
  const child: ChildProcess = startProcess(process.execPath, ['--import', 'tsx', script], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: child.stdout! });
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const onExit = () => reject(new Error('the bench ui server exited'));
      child.once('exit', onExit);
      lines.once('line', (l) => {
        child.off('exit', onExit);
        resolve(l);
      });
    });
  await next(); // {"port":N}: listening
  return {
    launch() {
      const url = next();
      child.stdin!.write('\n');
      return url;
    },
    async stop() {
      // End of stdin closes the bridge cleanly; a server that hangs is stopped all the same.
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      await stopProcess(child);
    },
  };
}

/** Page-side script for the traced loads: marks the socket's traffic and the keys table's rows. */
const TRACE_SCRIPT = `(() => {
  const mark = (n) => { try { performance.mark('kdb:' + n); } catch {} };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      mark('socket created');
      this.addEventListener('open', () => mark('socket open'));
      const names = new Map();
      this.addEventListener('message', (e) => {
        try {
          const m = JSON.parse(e.data);
          mark(m.type === 'result' ? 'answer ' + (names.get(m.id) || m.id) : 'got ' + m.type);
        } catch {}
      });
      const send = this.send.bind(this);
      this.send = (d) => {
        try {
          const m = JSON.parse(d);
          if (m.type === 'invoke') names.set(m.id, m.channel);
          mark(m.type === 'invoke' ? 'ask ' + m.channel : 'sent ' + m.type);
        } catch {}
        return send(d);
      };
    }
  };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        performance.mark('kdb:long task ' + Math.round(e.duration) + ' ms starts', { startTime: e.startTime });
      }
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  let seen = 0;
  const rows = () => document.querySelectorAll('table[aria-label="Keys"] tbody tr').length;
  new MutationObserver(() => {
    const n = rows();
    if (n > seen) {
      if (seen === 0) mark('first row in DOM');
      if (n >= ${FILES}) mark('all ${FILES} rows in DOM');
      seen = n;
    }
  }).observe(document, { childList: true, subtree: true });
})();`;

/** Page-side: the navigation, its scripts and styles, the paints and TRACE_SCRIPT's marks, in the page's ms. */
const COLLECT_SCRIPT = `(() => {
  const out = [['page time origin', 0]];
  const nav = performance.getEntriesByType('navigation')[0];
  if (nav) {
    out.push(['html request sent', nav.requestStart], ['html received', nav.responseEnd], ['dom interactive', nav.domInteractive]);
    out.push(['DOMContentLoaded done', nav.domContentLoadedEventEnd], ['load event', nav.loadEventStart]);
  }
  for (const r of performance.getEntriesByType('resource')) {
    const name = r.name.split('/').pop().replace(/-[A-Za-z0-9_-]{8}\\./, '.');
    if (/\\.(js|css)$/.test(name)) out.push([name + ' requested', r.startTime], [name + ' received', r.responseEnd]);
  }
  for (const p of performance.getEntriesByType('paint')) out.push([p.name, p.startTime]);
  for (const m of performance.getEntriesByType('mark')) if (m.name.startsWith('kdb:')) out.push([m.name.slice(4), m.startTime]);
  return { origin: performance.timeOrigin, marks: out };
})()`;

/** Loads the page TRACED_RUNS times with TRACE_SCRIPT and returns a table of phase times. */
async function traceLoads(browser: Browser, url: () => Promise<string>, log: (l: string) => void): Promise<string> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(ROWS_SHOWN_SCRIPT);
  await page.addInitScript(TRACE_SCRIPT);
  const runs: Array<Map<string, number>> = [];
  try {
    for (let i = 0; i <= TRACED_RUNS; i++) {
      const { startEpoch, gotoMs, shownMs: total, seenMs } = await freshLoad(page, url);
      const t = await page.evaluate<{ origin: number; marks: Array<[string, number]> }>(COLLECT_SCRIPT);
      // The page's clock starts when Chromium began the navigation: shift it onto goto's clock.
      const shift = t.origin - startEpoch;
      const m = new Map<string, number>(t.marks.map(([k, v]) => [k, v + shift]));
      m.set('page.goto returned (load)', gotoMs);
      m.set(`frame with all ${FILES} rows drawn`, total);
      m.set('benchmark process told', seenMs);
      if (i > 0) {
        runs.push(m);
        log(`traced ${i}: ${total.toFixed(0)} ms`);
      }
    }
  } finally {
    await page.close();
  }
  const names = [...runs[0]!.keys()];
  const rows = names
    .map((n) => ({ n, v: median(runs.map((r) => r.get(n)).filter((x): x is number => x !== undefined)) }))
    .sort((a, b) => a.v - b.v);
  return ['| phase | ms |', '|---|---|', ...rows.map((r) => `| ${r.n} | ${r.v.toFixed(0)} |`)].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  void runUiBench({ log: (l) => process.stderr.write(`  ${l}\n`) }).then(
    (r) => process.stdout.write(`${r.table}\n`),
    (e: unknown) => {
      process.stderr.write(`ui bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
