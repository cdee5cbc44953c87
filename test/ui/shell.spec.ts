import { expect, test } from '@playwright/test';
import { startUiServices, type UiServices } from '../support/ui-services';
import { expectNoAxeViolations, expectNoHorizontalOverflow, goTo, openWindow } from './ui-helpers';

// The window as a whole: navigation by keyboard, every view reachable, states shown in
// words, layout from 720×480 up, and the lost-connection banner.
let services: UiServices;

test.beforeEach(async () => {
  services = await startUiServices();
});
test.afterEach(async () => {
  await services?.stop();
});

const VIEWS = [
  { nav: 'Keys', heading: 'Keys' },
  { nav: 'Connection test', heading: 'Connection test' },
  { nav: 'Set up a key', heading: 'Set up a key' },
  { nav: 'Doctor', heading: 'Doctor' },
  { nav: 'Activity', heading: 'Activity' },
  { nav: 'Settings', heading: 'Settings' },
];

test('every view is reachable with the keyboard alone and moves focus to its heading', async ({ page }) => {
  await openWindow(page, services.url);
  // A first run (no keys loaded, none on disk) opens the walkthrough by itself.
  await expect(page.getByRole('heading', { level: 1, name: 'Set up a key' })).toBeVisible();
  // Tab from the top reaches the skip link first, then the navigation.
  // (The walkthrough moved focus to its heading; start again from the top of the document.)
  await page.evaluate(() => {
    document.body.tabIndex = -1;
    document.body.focus();
    document.body.removeAttribute('tabindex');
  });
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  for (const [i, v] of VIEWS.entries()) {
    await page.keyboard.press(`Control+${i + 1}`);
    await expect(page.getByRole('heading', { level: 1, name: v.heading })).toBeFocused();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: v.nav, exact: true })).toHaveAttribute('aria-current', 'page');
  }
  // Sidebar buttons work with Tab + Enter too, and show a visible focus ring.
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('button', { name: 'Keys', exact: true }).focus();
  await page.keyboard.press('Tab');
  const focused = nav.getByRole('button', { name: 'Connection test', exact: true });
  await expect(focused).toBeFocused();
  const outline = await focused.evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe('none');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Connection test' })).toBeFocused();
});

test('views hold their layout and pass axe from 720×480 to full screen', async ({ page }) => {
  test.setTimeout(120_000);
  for (const size of [
    { width: 720, height: 480 },
    { width: 1600, height: 1000 },
  ]) {
    await page.setViewportSize(size);
    await openWindow(page, services.url);
    for (const v of VIEWS) {
      await goTo(page, v.nav, v.heading);
      // Every view settles into ready, empty or error: no spinner left behind.
      await expect(page.getByRole('status').filter({ hasText: /…$/ })).toHaveCount(0);
      await expectNoHorizontalOverflow(page);
      // axe at the smallest size, where crowding breaks things first (both themes: screens.spec).
      if (size.width === 720) await expectNoAxeViolations(page, `${v.heading} at ${size.width}×${size.height}`);
    }
  }
});

test('errors are shown as words with a hint, never as bare codes', async ({ page }) => {
  await openWindow(page, services.url);
  await goTo(page, 'Doctor');
  // Whatever the doctor answers, any error on screen carries a sentence, and no text is a bare code.
  await expect(page.getByRole('status').filter({ hasText: 'Running checks…' })).toHaveCount(0);
  for (const alert of await page.locator('.notice-error').all()) {
    const text = (await alert.innerText()).trim();
    expect(text.split(/\s+/).length).toBeGreaterThan(3);
    expect(text).not.toMatch(/^[a-z]+(-[a-z]+)+$/m);
  }
});

test('a dropped connection shows a clear banner and actions fail with words instead of hanging', async ({ page }) => {
  await openWindow(page, services.url);
  await goTo(page, 'Settings');
  await services.bridge.close();
  // The banner says it once for the window; a list that was loading may say its own request failed.
  const banner = page.locator('.banner-lost[role="alert"]');
  await expect(banner).toBeVisible();
  await expect(banner).toHaveCount(1);
  await expect(banner).toContainText('Lost connection to KeyDock.');
  await expect(banner).toContainText('keeps trying to reconnect');
  await page.getByRole('radio', { name: 'Dark' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Could not save: Lost connection to KeyDock.' })).toBeVisible({ timeout: 20_000 });
});

test('opening the page without its access code explains what to do', async ({ page }) => {
  await page.goto(services.url.replace(/#.*/, ''));
  const banner = page.locator('.banner').filter({ hasText: 'This page was opened without its access code.' });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('#token=');
});
