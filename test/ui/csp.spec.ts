import { expect, test } from '@playwright/test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext } from '../../main/context';
import { createHandlers } from '../../main/ipc/handlers';
import { startBridge, type Bridge } from '../../main/bridge/server';
import { makeTmpHome, type TmpHome } from '../support/tmp-home';

// The window's CSP, checked in a real Chromium: an injected inline script and a remote
// script must be blocked while our own bundled script runs.
let home: TmpHome;
let dir: string;
let bridge: Bridge;

test.beforeAll(async () => {
  home = await makeTmpHome('keydock-csp-');
  dir = await mkdtemp(join(tmpdir(), 'keydock-csp-page-'));
  await writeFile(
    join(dir, 'index.html'),
    `<!doctype html><html><head><title>csp</title><script src="./own.js"></script></head><body>
<script>document.body.dataset.inline = 'ran';</script>
<script src="https://cdn.example.com/x.js"></script>
<div id="styled" style="color: rgb(255, 0, 0)">x</div></body></html>`,
  );
  await writeFile(join(dir, 'own.js'), "window.addEventListener('DOMContentLoaded', () => { document.body.dataset.own = 'ran'; });");
  const ctx = createContext({ env: home.env, transport: 'bridge' });
  bridge = await startBridge(ctx, { staticDir: dir, handlers: createHandlers(ctx) });
});

test.afterAll(async () => {
  await bridge?.close();
  await rm(dir, { recursive: true, force: true });
  await home?.cleanup();
});

test('inline and remote scripts are blocked; our own script runs', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    violations.push(m.text());
  });
  await page.goto(bridge.url);
  await expect(page.locator('body')).toHaveAttribute('data-own', 'ran');
  expect(await page.locator('body').getAttribute('data-inline')).toBeNull();
  expect(violations.some((v) => /script 'https:\/\/cdn\.example\.com\/x\.js' violates the following Content Security Policy/.test(v))).toBe(true);
  expect(violations.some((v) => /Executing inline script violates the following Content Security Policy/.test(v))).toBe(true);
  // Inline style attributes are refused too (style-src 'self').
  expect(await page.locator('#styled').evaluate((el) => getComputedStyle(el).color)).not.toBe('rgb(255, 0, 0)');
  // An injected inline script from page context is blocked as well.
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = "document.body.dataset.injected = 'ran'";
    document.body.appendChild(s);
  });
  expect(await page.locator('body').getAttribute('data-injected')).toBeNull();
});
