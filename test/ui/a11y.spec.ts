import { expect, test, type Page } from '@playwright/test';
import { chmod, copyFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { run } from '../support/processes';
import { startUiServices, type UiServices } from '../support/ui-services';
import { expectNoAxeViolations, goTo, openWindow, startGitHubRig, type GitHubRig } from './ui-helpers';

// axe finds nothing in any view, state, dialog or banner of the window, in the light and the
// dark scheme, in a small (720×480) and a large (1280×800) window. Each scenario walks its
// states and checks all four combinations at every stop (issue #17).

const SIZES = [
  { width: 720, height: 480 },
  { width: 1280, height: 800 },
] as const;

/** axe in light and dark at both window sizes; leaves the page light at the large size. */
async function axeEverywhere(page: Page, what: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
      await expectNoAxeViolations(page, `${what} (${scheme}, ${size.width}×${size.height})`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function makeKey(services: UiServices, name: string, passphrase: string, comment: string): Promise<string> {
  const path = join(services.home.sshDir, name);
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', path])).code).toBe(0);
  return path;
}

test.describe('axe everywhere', () => {
  let services: UiServices | undefined;
  let rig: GitHubRig | undefined;
  test.afterEach(async () => {
    await services?.stop();
    await rig?.stop();
    services = undefined;
    rig = undefined;
  });

  test('keys with rows, the detail pane, every keys dialog, the locked agent', async ({ page }) => {
    test.setTimeout(900_000);
    services = await startUiServices();
    const loaded = await makeKey(services, 'id_work', '', 'work@laptop');
    await makeKey(services, 'id_locked', 'pass phrase here', 'locked@laptop');
    const loose = await makeKey(services, 'id_loose', '', 'loose@laptop');
    await chmod(loose, 0o644);
    expect((await services.agent!.sshAdd([loaded])).code).toBe(0);
    await openWindow(page, services.url);
    await expect(page.getByRole('button', { name: 'Unload work@laptop' })).toBeVisible();
    await expect(page.locator('table[aria-label="Keys"] tbody tr')).toHaveCount(3);
    await axeEverywhere(page, 'keys with rows');

    await page.getByRole('button', { name: 'work@laptop', exact: true }).click();
    const detail = page.locator('#key-detail');
    await expect(detail.getByRole('heading', { name: 'Hosts it opens' })).toBeVisible();
    await expect(detail.getByText('Looking for', { exact: false })).toHaveCount(0);
    await axeEverywhere(page, 'keys with the detail pane open');

    await detail.getByRole('button', { name: 'Add it for me…' }).click();
    const publish = page.getByRole('dialog');
    await expect(publish).toBeVisible();
    await axeEverywhere(page, 'publish dialog');
    await page.keyboard.press('Escape');
    await expect(publish).toHaveCount(0);

    await page.getByRole('button', { name: 'Add key…' }).first().click();
    const add = page.getByRole('dialog', { name: 'Add keys' });
    await expect(add).toBeVisible();
    await axeEverywhere(page, 'add key dialog');
    await add.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Load locked@laptop' }).click();
    const load = page.getByRole('dialog', { name: 'Load id_locked' });
    await expect(load.getByLabel('Passphrase for id_locked')).toBeVisible();
    await axeEverywhere(page, 'load key dialog');
    await load.getByLabel('Passphrase for id_locked').fill('not the passphrase');
    await load.getByRole('button', { name: 'Load', exact: true }).click();
    await expect(load.getByRole('alert').first()).toBeVisible();
    await axeEverywhere(page, 'load key dialog with a wrong passphrase');
    await load.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Lock…' }).click();
    const lock = page.getByRole('dialog', { name: 'Lock the agent' });
    await expect(lock).toBeVisible();
    await axeEverywhere(page, 'lock dialog');
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Remove all…' }).click();
    const confirm = page.getByRole('dialog', { name: /Remove all 1 keys/ });
    await expect(confirm).toBeVisible();
    await axeEverywhere(page, 'remove-all confirm dialog');
    await page.keyboard.press('Escape');

    // The smartcard dialog, where this build has one.
    const smartcard = page.getByRole('button', { name: /smartcard/i }).first();
    if (await smartcard.isVisible()) {
      await smartcard.click();
      await expect(page.getByRole('dialog')).toBeVisible();
      await axeEverywhere(page, 'smartcard dialog');
      await page.keyboard.press('Escape');
      await expect(page.getByRole('dialog')).toHaveCount(0);
    }

    // Locked agent: every row is locked, the notice says so.
    await page.getByRole('button', { name: 'Lock…' }).click();
    await lock.getByLabel('Password', { exact: true }).fill('lock it now');
    await lock.getByLabel('Repeat password').fill('lock it now');
    await lock.getByRole('button', { name: 'Lock', exact: true }).click();
    await expect(page.getByText('The agent is locked.')).toBeVisible();
    await axeEverywhere(page, 'keys with the agent locked');

  });

  test('doctor with findings and after a fix; activity; settings', async ({ page }) => {
    test.setTimeout(900_000);
    services = await startUiServices();
    const loose = await makeKey(services, 'id_loose', '', 'loose@laptop');
    await chmod(loose, 0o644);
    await openWindow(page, services.url);
    await goTo(page, 'Doctor');
    const fix = page.getByRole('button', { name: /^Fix: / }).first();
    await expect(fix).toBeVisible();
    await axeEverywhere(page, 'doctor with findings');
    await fix.click();
    await expect(page.getByText(/^Fixed: /).first()).toBeVisible();
    await axeEverywhere(page, 'doctor after a fix');

    await goTo(page, 'Activity');
    await axeEverywhere(page, 'activity');
    await goTo(page, 'Settings');
    await expect(page.getByRole('combobox', { name: 'Default time to keep a key loaded' })).toBeVisible();
    await axeEverywhere(page, 'settings');
  });

  test('connection test idle, running, failed and ok', async ({ page }) => {
    test.setTimeout(900_000);
    rig = await startGitHubRig();
    services = undefined;
    const s = rig.services;
    await copyFile(rig.sshd.knownHostsFile, join(s.home.sshDir, 'known_hosts'));
    const key = await makeKey(s, 'id_work', '', 'work@laptop');
    expect((await s.agent!.sshAdd([key])).code).toBe(0);

    // A host that takes the connection and never says a word keeps the test running.
    const held: Socket[] = [];
    const silent: Server = createServer((c) => void held.push(c));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      await openWindow(page, s.url);
      await goTo(page, 'Connection test');
      await expect(page.getByRole('button', { name: 'Test GitHub' })).toBeVisible();
      await axeEverywhere(page, 'connection test idle');

      await page.getByLabel('Or any host').fill(`127.0.0.1:${silentPort}`);
      await page.getByRole('button', { name: 'Test', exact: true }).click();
      await expect(page.getByRole('heading', { name: `Testing 127.0.0.1:${silentPort}` })).toBeVisible();
      await expect(page.getByRole('button', { name: 'Test', exact: true })).toBeDisabled();
      await axeEverywhere(page, 'connection test running');
    } finally {
      for (const c of held) c.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
    await expect(page.locator('[data-verdict="fail"]')).toBeVisible({ timeout: 60_000 });

    await page.getByRole('button', { name: 'Test GitHub' }).click();
    await expect(page.locator('[data-verdict="fail"]')).toHaveAttribute('data-code', 'key-not-registered');
    await axeEverywhere(page, 'connection test failed');

    await rig.sshd.addKey(`${key}.pub`, 'octocat');
    await page.getByRole('button', { name: 'Test again' }).click();
    await expect(page.locator('[data-verdict="ok"]')).toContainText('logged you in as octocat');
    await axeEverywhere(page, 'connection test ok');
  });

  test('every walkthrough step', async ({ page }) => {
    test.setTimeout(900_000);
    rig = await startGitHubRig();
    const s = rig.services;
    await copyFile(rig.sshd.knownHostsFile, join(s.home.sshDir, 'known_hosts'));
    await openWindow(page, s.url);
    await expect(page.getByRole('heading', { level: 1, name: 'Set up a key' })).toBeVisible();
    await axeEverywhere(page, 'walkthrough: choose a host');
    await page.getByRole('button', { name: /^GitHub/ }).click();

    await expect(page.getByLabel('Passphrase', { exact: true })).toBeVisible();
    await axeEverywhere(page, 'walkthrough: make a key');
    await page.getByLabel('Passphrase', { exact: true }).fill('orbit lantern pepper canyon');
    await page.getByLabel('Repeat passphrase').fill('orbit lantern pepper canyo');
    await page.getByRole('button', { name: 'Make key' }).click();
    await expect(page.getByText('The two passphrases differ.')).toBeVisible();
    await axeEverywhere(page, 'walkthrough: make a key, passphrases differ');
    await page.getByLabel('Repeat passphrase').fill('orbit lantern pepper canyon');
    await page.getByRole('checkbox', { name: /Remember the passphrase/ }).uncheck();
    await page.getByRole('button', { name: 'Make key' }).click();

    await expect(page.getByRole('heading', { name: 'Load the key into your agent' })).toBeVisible();
    await axeEverywhere(page, 'walkthrough: load the key');
    await page.getByRole('button', { name: 'Load key' }).click();

    await expect(page.getByRole('heading', { name: 'Add the public key to GitHub' })).toBeVisible();
    await axeEverywhere(page, 'walkthrough: add the public key');
    // The Host entry is a ticked choice now, written when the user goes on.
    await expect(page.getByRole('checkbox', { name: 'Add this entry to my ssh configuration when I go on' })).toBeChecked();

    await rig.sshd.addKey(join(s.home.sshDir, 'id_ed25519_github.pub'), 'new-octocat');
    await page.getByRole('button', { name: 'I added it, test now' }).click();
    await expect(page.locator('[data-verdict="ok"]')).toContainText('logged you in as new-octocat');
    await axeEverywhere(page, 'walkthrough: test');
    await page.getByRole('button', { name: 'Finish' }).click();
    await expect(page.getByRole('heading', { name: 'All set: GitHub accepts your key' })).toBeVisible();
    await axeEverywhere(page, 'walkthrough: finished');

    // Back at the keys view with a half-done walkthrough saved: the "continue" notice.
    await goTo(page, 'Keys');
    await axeEverywhere(page, 'keys after the walkthrough');
  });

  test('empty states: no agent, no keys; the lost-connection banner', async ({ page }) => {
    test.setTimeout(900_000);
    services = await startUiServices({ agent: false });
    await openWindow(page, services.url);
    await goTo(page, 'Keys');
    await expect(page.getByText('Could not list the loaded keys', { exact: false })).toBeVisible();
    await expect(page.getByRole('button', { name: "Start KeyDock's agent" })).toBeVisible();
    // No empty agent box above the error that already says there is no agent.
    await expect(page.locator('.agent-summary')).toHaveCount(0);
    await expect(page.getByText('You have no SSH keys yet.')).toBeVisible();
    await axeEverywhere(page, 'keys with no agent and no keys');
    await goTo(page, 'Activity');
    await axeEverywhere(page, 'activity with nothing to show');
    await services.stop();

    services = await startUiServices();
    await openWindow(page, services.url);
    // First run with nothing at all opens the walkthrough; the keys view is one click away.
    await expect(page.getByRole('heading', { level: 1, name: 'Set up a key' })).toBeVisible();
    await goTo(page, 'Keys');
    await expect(page.getByText('You have no SSH keys yet.')).toBeVisible();
    await expect(page.getByText('No keys are loaded.')).toBeVisible();
    await axeEverywhere(page, 'keys with an empty agent');

    await services.bridge.close();
    await expect(page.locator('.banner-lost')).toBeVisible();
    await axeEverywhere(page, 'lost-connection banner');
  });
});
