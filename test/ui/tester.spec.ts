import { expect, test } from '@playwright/test';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../support/processes';
import type { Sshd } from '../support/sshd';
import type { UiServices } from '../support/ui-services';
import { checkAndCapture, goTo, openWindow, startGitHubRig, type GitHubRig } from './ui-helpers';

// The one-click connection test against a real sshd that greets like GitHub: the temp
// HOME's ~/.ssh/config aims "github.com" at it, and a real ssh-agent holds the key.
let services: UiServices;
let sshd: Sshd;
let rig: GitHubRig | undefined;

test.beforeEach(async () => {
  rig = await startGitHubRig();
  ({ services, sshd } = rig);
});
test.afterEach(async () => {
  await rig?.stop();
});

async function loadedKey(name: string): Promise<string> {
  const path = join(services.home.dir, name);
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@laptop`, '-f', path])).code).toBe(0);
  expect((await services.agent!.sshAdd([path])).code).toBe(0);
  return path;
}

test('an unregistered key is diagnosed with its public key and the add-key page; after adding it the test passes', async ({ page }) => {
  await copyFile(sshd.knownHostsFile, join(services.home.sshDir, 'known_hosts'));
  const key = await loadedKey('work');
  await openWindow(page, services.url);
  await goTo(page, 'Connection test');
  await page.getByRole('button', { name: 'Test GitHub' }).click();

  // Steps appear as they happen, then the verdict with its fix.
  await expect(page.getByRole('list', { name: 'Test steps' }).getByRole('listitem').first()).toBeVisible();
  const verdict = page.locator('[data-verdict="fail"]');
  await expect(verdict).toHaveAttribute('data-code', 'key-not-registered');
  await expect(verdict.getByRole('alert')).toContainText('none of them is registered');
  const publicKey = (await readFile(`${key}.pub`, 'utf8')).trim();
  await expect(page.getByLabel('Your public key (safe to share)')).toHaveValue(publicKey);
  await expect(page.getByRole('button', { name: 'Copy public key' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Open the page to add it' })).toHaveAttribute('href', 'https://github.com/settings/ssh/new');
  await checkAndCapture(page, 'tester-failed');

  // The user adds the key on "GitHub"; Test again goes green and names the account and key.
  await sshd.addKey(`${key}.pub`, 'octocat');
  await page.getByRole('button', { name: 'Test again' }).click();
  const ok = page.locator('[data-verdict="ok"]');
  await expect(ok).toContainText('logged you in as octocat');
  await expect(ok).toContainText('work@laptop');
  await checkAndCapture(page, 'tester-ok');
});

test('an unknown host key is shown next to the published one and trusted with one click', async ({ page }) => {
  const key = await loadedKey('home');
  await sshd.addKey(`${key}.pub`, 'octocat');
  await openWindow(page, services.url);
  await goTo(page, 'Connection test');
  // Any host works from the field too, with Enter.
  await page.getByLabel('Or any host').fill('github.com');
  await page.getByLabel('Or any host').press('Enter');
  const verdict = page.locator('[data-verdict="fail"]');
  await expect(verdict).toHaveAttribute('data-code', 'host-key-unknown');
  const shown = await page.getByTestId('server-fingerprint').innerText();
  expect(shown).toMatch(/^SHA256:/);
  // "github.com" is aimed at 127.0.0.1 here, so no published fingerprint applies and the UI says so.
  await expect(page.locator('.hostkey-compare')).toContainText('No published fingerprint for this host');
  await page.getByRole('button', { name: 'Trust this host key' }).click();
  await expect(page.locator('[data-verdict="ok"]')).toContainText('octocat');
  // The trusted line (hashed, as Debian's ssh_config asks) holds one of the server's real host keys.
  const known = await readFile(join(services.home.sshDir, 'known_hosts'), 'utf8');
  expect(sshd.hostKeys.some((line) => known.includes(line.split(/\s+/)[1]!))).toBe(true);
});
