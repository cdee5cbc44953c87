import { expect, test } from '@playwright/test';
import { startUiServices, type UiServices } from '../support/ui-services';
import { checkAndCapture, goTo, openWindow } from './ui-helpers';

// Axe in both themes and the README screenshots for the views that need no scenario
// (the keys, add-key, tester, confirm, activity and setup-publish shots come from their specs).
let services: UiServices;

test.beforeAll(async () => {
  services = await startUiServices();
});
test.afterAll(async () => {
  await services?.stop();
});

test('doctor, settings, connection test and setup start pass axe in light and dark', async ({ page }) => {
  test.setTimeout(120_000);
  await openWindow(page, services.url);
  await goTo(page, 'Doctor');
  await expect(page.getByRole('status').filter({ hasText: 'Running checks…' })).toHaveCount(0);
  await checkAndCapture(page, 'doctor');
  await goTo(page, 'Settings');
  await expect(page.getByRole('combobox', { name: 'Default time to keep a key loaded' })).toBeVisible();
  await checkAndCapture(page, 'settings');
  await goTo(page, 'Connection test');
  await expect(page.getByRole('button', { name: 'Test GitHub' })).toBeVisible();
  await checkAndCapture(page, 'tester');
  await goTo(page, 'Set up a key');
  await expect(page.getByRole('heading', { name: 'Where do you want to use the key?' })).toBeVisible();
  await checkAndCapture(page, 'setup');
});

test('the theme setting overrides the system and persists', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await openWindow(page, services.url);
  await goTo(page, 'Settings');
  await page.getByRole('radio', { name: 'Dark' }).check();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await openWindow(page, services.url);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await goTo(page, 'Settings');
  await page.getByRole('radio', { name: 'Same as the system' }).check();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  // Bad input is refused inline, in words.
  await page.getByLabel('Lock the agent after this many idle minutes').fill('lots');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Type a whole number of minutes from 0 (never) to 1440 (one day).')).toBeVisible();
  await page.getByLabel('Lock the agent after this many idle minutes').fill('15');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved: idle lock.')).toBeVisible();
  expect((await services.ctx.settings.get()).lockAfterIdleMinutes).toBe(15);
});
