import { expect, test } from '@playwright/test';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sshd } from '../support/sshd';
import type { UiServices } from '../support/ui-services';
import { checkAndCapture, openWindow, startGitHubRig, type GitHubRig } from './ui-helpers';

// The first-time walkthrough end to end: no keys anywhere → the window opens the setup →
// GitHub → a new ed25519 key with a passphrase → load it → copy the public key (the test
// plays the user and adds it to the local "GitHub" sshd) → the test greets the new key.
let services: UiServices;
let sshd: Sshd;
let rig: GitHubRig | undefined;

test.beforeEach(async () => {
  rig = await startGitHubRig();
  ({ services, sshd } = rig);
  await copyFile(sshd.knownHostsFile, join(services.home.sshDir, 'known_hosts'));
});
test.afterEach(async () => {
  await rig?.stop();
});

test('walkthrough from nothing to a green test, resumable half-way', async ({ page }) => {
  test.setTimeout(120_000);
  await openWindow(page, services.url);
  // First run: nothing loaded, no key files → the walkthrough opens by itself.
  await expect(page.getByRole('heading', { level: 1, name: 'Set up a key' })).toBeVisible();
  await page.getByRole('button', { name: /^GitHub/ }).click();

  // A fresh run says nothing about coming back; the step's first field has focus; the label names you and this computer.
  await expect(page.getByLabel('Passphrase', { exact: true })).toBeFocused();
  await expect(page.getByText(/You left the walkthrough/)).toHaveCount(0);
  await expect(page.getByLabel('Label')).toHaveValue(/^[^@\s]+@[^@\s]+$/);
  await page.getByLabel('Passphrase', { exact: true }).fill('abc');
  await expect(page.getByText('Strength: Weak.')).toBeVisible();
  await page.getByLabel('Passphrase', { exact: true }).fill('orbit lantern pepper canyon');
  await expect(page.getByText(/Strength: (Good|Strong)\./)).toBeVisible();
  await page.getByLabel('Repeat passphrase').fill('orbit lantern pepper canyo');
  await page.getByRole('button', { name: 'Make key' }).click();
  await expect(page.getByText('The two passphrases differ.')).toBeVisible();
  await page.getByLabel('Repeat passphrase').fill('orbit lantern pepper canyon');
  // No keychain in this scenario: keep the passphrase out of it.
  await page.getByRole('checkbox', { name: /Remember the passphrase/ }).uncheck();
  await page.getByRole('button', { name: 'Make key' }).click();

  // Load: the passphrase typed a moment ago is still in memory (never saved).
  await expect(page.getByRole('heading', { name: 'Load the key into your agent' })).toBeVisible();
  await expect(page.getByLabel('Passphrase for id_ed25519_github')).toBeFocused();
  await page.getByRole('button', { name: 'Load key' }).click();
  await expect(page.getByRole('heading', { name: 'Add the public key to GitHub' })).toBeVisible();
  await expect.poll(() => page.evaluate(() => !!document.querySelector('.wizard-panel')?.contains(document.activeElement))).toBe(true);
  const pubFile = join(services.home.sshDir, 'id_ed25519_github.pub');
  await expect(page.getByLabel('Your public key (safe to share)')).toHaveValue((await readFile(pubFile, 'utf8')).trim());
  await page.getByRole('radio', { name: /One repository only/ }).check();
  await expect(page.getByText('Allow write access')).toBeVisible();
  await page.getByRole('radio', { name: /My account/ }).check();
  // Not a name ssh tries by itself: the Host entry is offered (ticked) and previewed; it is
  // written only when the user goes on.
  await expect(page.getByLabel('Preview of the Host entry')).toContainText('IdentitiesOnly yes');
  await expect(page.getByRole('checkbox', { name: 'Add this entry to my ssh configuration when I go on' })).toBeChecked();
  expect(await readFile(join(services.home.sshDir, 'config'), 'utf8')).not.toContain('id_ed25519_github');
  await checkAndCapture(page, 'setup-publish');

  // Close the window half-way and come back: same step.
  await openWindow(page, services.url);
  await page.getByRole('button', { name: 'Continue setup' }).click();
  await expect(page.getByRole('heading', { name: 'Add the public key to GitHub' })).toBeVisible();
  await expect(page.getByText('You left the walkthrough at step 4')).toBeVisible();

  // The user pastes the key on "GitHub".
  await sshd.addKey(pubFile, 'new-octocat');
  await page.getByRole('button', { name: 'I added it, test now' }).click();
  await expect(page.locator('[data-verdict="ok"]')).toContainText('logged you in as new-octocat');
  const config = await readFile(join(services.home.sshDir, 'config'), 'utf8');
  expect(config).toMatch(/IdentityFile .*id_ed25519_github/);
  expect(config).toContain('IdentitiesOnly yes');
  await page.getByRole('button', { name: 'Finish' }).click();
  // Finish: what was done, and the next step.
  await expect(page.getByRole('heading', { name: 'All set: GitHub accepts your key' })).toBeVisible();
  await expect(page.getByText('git clone git@github.com:OWNER/REPO.git')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Go to Keys' })).toBeFocused();
  await checkAndCapture(page, 'setup-finish');
  await page.getByRole('button', { name: 'Go to Keys' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Keys' })).toBeVisible();
  await expect(page.getByText('id_ed25519_github').or(page.getByText('github key made by KeyDock')).first()).toBeVisible();
});
