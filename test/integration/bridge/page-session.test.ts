import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from '../../../main/bridge/server';
import { createHandlers } from '../../../main/ipc/handlers';
import { BUILT_RENDERER, startUiServices, type UiServices } from '../../support/ui-services';

// The page's side of the launch code and the session token, in a real Chromium: the built
// window trades its one-time code for a session token kept in sessionStorage, so a reload and
// a tab opened from it keep working; a replayed code, an old session after a restart and an
// address without a code each get a clear message instead of a spinner.
const CHROMIUM = process.env.KEYDOCK_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const ready = existsSync(`${BUILT_RENDERER}/index.html`) && existsSync(CHROMIUM);

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const banner = (page: Page) => page.locator('.banner-lost');

/** Waits until the window is drawn and connected: the settings view shows its controls. */
async function expectConnected(page: Page): Promise<void> {
  await nav(page).waitFor({ timeout: 20_000 });
  await nav(page).getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('radio', { name: 'Dark' }).waitFor({ timeout: 20_000 });
  expect(await banner(page).count()).toBe(0);
}

async function bannerText(page: Page): Promise<string> {
  await banner(page).first().waitFor({ timeout: 20_000 });
  return banner(page).first().innerText();
}

describe.skipIf(!ready)('the page keeps its session, and only its session (run `npm run build` first)', () => {
  let services: UiServices;
  let browser: Browser;

  beforeAll(async () => {
    services = await startUiServices({ agent: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  });
  afterAll(async () => {
    await browser?.close();
    await services?.stop();
  });

  it('survives a reload and a tab opened from it; the address bar loses the code', { timeout: 90_000 }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(services.url);
    await expectConnected(page);
    expect(page.url()).not.toContain('code=');
    await page.reload();
    await expectConnected(page);
    await page.reload();
    await expectConnected(page);

    const [tab] = await Promise.all([context.waitForEvent('page'), page.evaluate('void window.open(window.location.href, "_blank")')]);
    await expectConnected(tab!);
    await context.close();
  });

  it('refuses a replayed code with words, in a fresh tab', { timeout: 90_000 }, async () => {
    const url = services.url;
    const first = await browser.newContext();
    const page = await first.newPage();
    await page.goto(url);
    await expectConnected(page);

    const second = await browser.newContext();
    const replay = await second.newPage();
    await replay.goto(url);
    expect(await bannerText(replay)).toContain('This address was already used');
    // No endless "reconnecting": the message stays and says what to do.
    await replay.waitForTimeout(1500);
    expect(await bannerText(replay)).toContain('already used');
    await first.close();
    await second.close();
  });

  it('works when opened as localhost, and serves a favicon', { timeout: 90_000 }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(services.url.replace('127.0.0.1', 'localhost'));
    await expectConnected(page);
    await page.reload();
    await expectConnected(page);
    const icon = await page.request.get(services.url.replace(/#.*/, 'favicon.ico'));
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/png');
    await context.close();
  });

  it('an address without a code says so, even on reload', { timeout: 90_000 }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(services.url.replace(/#.*/, ''));
    expect(await bannerText(page)).toContain('without its access code');
    await page.reload();
    expect(await bannerText(page)).toContain('#code=');
    await context.close();
  });

  it('after a restart on the same port, an old session is told it has ended', { timeout: 90_000 }, async () => {
    const first = await startBridge(services.ctx, { staticDir: BUILT_RENDERER, handlers: createHandlers(services.ctx) });
    const port = first.port;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(first.issueLaunchCode().url);
    await expectConnected(page);
    await first.close();
    expect(await bannerText(page)).toContain('Lost connection to KeyDock.');
    const second = await startBridge(services.ctx, { staticDir: BUILT_RENDERER, handlers: createHandlers(services.ctx), port });
    try {
      // The page retries by itself, is refused, and says why (and stops retrying).
      await page.getByText('KeyDock was restarted').first().waitFor({ timeout: 30_000 });
      // A reload repeats that (the stale token is still in sessionStorage), never "no access code".
      await page.reload();
      expect(await bannerText(page)).toContain('KeyDock was restarted');
      // A new address from the new KeyDock works in the same tab.
      await page.goto('about:blank');
      await page.goto(second.issueLaunchCode().url);
      await expectConnected(page);
    } finally {
      await context.close();
      await second.close();
    }
  });
});
