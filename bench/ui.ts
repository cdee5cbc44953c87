/**
 * Window benchmark: how long the keys view takes to show every key. A real OpenSSH ssh-agent
 * holds 5 keys and ~/.ssh holds 20 key files (the 5 loaded ones among them); the built
 * renderer (`npx electron-vite build` first) is served by the loopback bridge to Debian's
 * Chromium, and we time from navigation until the keys table shows all 20 rows, median of 5
 * fresh page loads, and from a click on Keys in the sidebar (coming from Settings) until the
 * rows show again, median of 5. Also prints the size of the page's initial JavaScript, gzipped.
 * Run: `npx tsx bench/ui.ts` (or through `npm run bench ui`).
 */
import { chromium } from '@playwright/test';
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { run } from '../test/support/processes';
import { BUILT_RENDERER, startUiServices } from '../test/support/ui-services';

const FILES = 20;
const LOADED = 5;
const RUNS = 5;

export interface UiBenchResult {
  keysVisibleMs: number[];
  medianMs: number;
  /** From a click on "Keys" in the sidebar (coming from Settings) until all rows show. */
  inAppMs: number[];
  inAppMedianMs: number;
  initialJsGzipBytes: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
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
  const services = await startUiServices();
  const browser = await chromium.launch({
    executablePath: process.env.KEYDOCK_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  try {
    log(`making ${FILES} keys, loading ${LOADED}…`);
    for (let i = 0; i < FILES; i++) {
      const path = join(services.home.sshDir, `id_bench_${String(i).padStart(2, '0')}`);
      const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `bench-${i}@keydock`, '-f', path]);
      if (r.code !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
      if (i < LOADED && (await services.agent!.sshAdd([path])).code !== 0) throw new Error('ssh-add failed');
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const times: number[] = [];
    // One warm-up load (browser caches, the first worker start in main), then the measured ones.
    for (let i = 0; i <= RUNS; i++) {
      await page.goto('about:blank');
      const url = services.url;
      const start = performance.now();
      await page.goto(url);
      await page.locator('table[aria-label="Keys"] tbody tr').nth(FILES - 1).waitFor({ state: 'visible', timeout: 60_000 });
      const ms = performance.now() - start;
      if (i > 0) {
        times.push(ms);
        log(`run ${i}: ${ms.toFixed(0)} ms`);
      }
    }
    // Inside the window: another view, then back to Keys (the view mounts and asks main again).
    const rows = page.locator('table[aria-label="Keys"] tbody tr');
    const inApp: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
      const start = performance.now();
      await page.getByRole('button', { name: 'Keys', exact: true }).click();
      await rows.nth(FILES - 1).waitFor({ state: 'visible', timeout: 60_000 });
      const ms = performance.now() - start;
      if (i > 0) {
        inApp.push(ms);
        log(`in-app ${i}: ${ms.toFixed(0)} ms`);
      }
    }
    const result: UiBenchResult = { keysVisibleMs: times, medianMs: median(times), inAppMs: inApp, inAppMedianMs: median(inApp), initialJsGzipBytes: initialJsGzip() };
    const table = [
      '| measure | value |',
      '|---|---|',
      `| keys list visible (${LOADED} loaded, ${FILES} files), median of ${RUNS} | ${result.medianMs.toFixed(0)} ms |`,
      `| all runs | ${times.map((t) => t.toFixed(0)).join(', ')} ms |`,
      `| keys list visible after Settings → Keys in the window, median of ${RUNS} | ${result.inAppMedianMs.toFixed(0)} ms |`,
      `| all runs | ${inApp.map((t) => t.toFixed(0)).join(', ')} ms |`,
      `| initial JS (gzip) | ${(result.initialJsGzipBytes / 1024).toFixed(1)} KiB |`,
      // Wall-clock times on a shared machine: say how busy it was.
      `| load average (1 min) at the end | ${loadavg()[0]!.toFixed(1)} |`,
    ].join('\n');
    return { table, result };
  } finally {
    await browser.close();
    await services.stop();
  }
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
