import { expect, test, type Page } from '@playwright/test';
import { join } from 'node:path';
import { run } from '../support/processes';
import { startUiServices, type UiServices } from '../support/ui-services';
import { checkAndCapture, checkAxeBothThemes, openWindow } from './ui-helpers';
import { startKeyring, type TestKeyring } from '../support/keyring';

// The keys view against a real OpenSSH ssh-agent, real key files and a real gnome-keyring.
const PASSPHRASE = 'correct horse battery staple';
let services: UiServices;
let keyring: TestKeyring;
let restoreEnv: () => void = () => undefined;

test.beforeEach(async () => {
  keyring = await startKeyring();
  // The keychain library reads the session bus address from process.env.
  restoreEnv = keyring.withEnv();
  services = await startUiServices({ env: keyring.env });
});
test.afterEach(async () => {
  await services?.stop();
  restoreEnv();
  await keyring?.stop();
});

async function makeKey(name: string, passphrase: string, comment: string): Promise<string> {
  const path = join(services.home.sshDir, name);
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', path])).code).toBe(0);
  return path;
}

async function fingerprintOf(path: string): Promise<string> {
  const r = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`]);
  return r.stdout.split(/\s+/)[1] ?? '';
}

async function agentList(): Promise<string> {
  const r = await services.agent!.sshAdd(['-l']);
  return r.stdout + r.stderr;
}

function keyRow(page: Page, comment: string) {
  return page.getByRole('table', { name: 'Keys' }).getByRole('row').filter({ hasText: comment });
}

function loadedRow(page: Page, comment: string) {
  return page.getByRole('table', { name: 'Keys' }).locator('tr[data-state="loaded"]').filter({ hasText: comment });
}

test('add an encrypted key with "remember", restart, and it loads again without a prompt', async ({ page }) => {
  test.setTimeout(180_000);
  const key = await makeKey('id_ed25519', PASSPHRASE, 'laptop@work');
  const fp = await fingerprintOf(key);
  await openWindow(page, services.url);
  await page.getByRole('button', { name: 'Add key…' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add keys' });
  await dialog.getByRole('button', { name: /Add id_ed25519/ }).click();
  const pass = page.getByLabel('Passphrase for id_ed25519');
  // A wrong passphrase is an inline error on the field, not a code.
  await pass.fill('not it');
  await page.getByRole('button', { name: 'Add to agent' }).click();
  await expect(pass).toHaveAttribute('aria-invalid', 'true');
  await pass.fill(PASSPHRASE);
  await page.getByRole('checkbox', { name: /Remember the passphrase/ }).check();
  await page.getByRole('button', { name: 'Add to agent' }).click();
  await expect(loadedRow(page, 'laptop@work')).toBeVisible();
  expect(await agentList()).toContain(fp);
  // Loaded and remembered: nothing to offer loading again.
  await expect(page.getByRole('button', { name: 'Load saved keys' })).toHaveCount(0);
  await checkAxeBothThemes(page, 'keys after adding one');

  // Empty the agent behind KeyDock's back and restart the services: the passphrase is in the keychain.
  expect((await services.agent!.sshAdd(['-D'])).code).toBe(0);
  services = await services.restart();
  await openWindow(page, services.url);
  await page.getByRole('button', { name: 'Load saved keys' }).click();
  await expect(loadedRow(page, 'laptop@work')).toBeVisible();
  await expect(page.getByLabel(/Passphrase for/)).toHaveCount(0);
  expect(await agentList()).toContain(fp);
});

test('remove one key, remove all, and lock/unlock reach the real agent', async ({ page }) => {
  const a = await makeKey('id_a', '', 'key-a');
  const b = await makeKey('id_b', '', 'key-b');
  expect((await services.agent!.sshAdd([a, b])).code).toBe(0);
  await openWindow(page, services.url);
  await expect(loadedRow(page, 'key-a')).toBeVisible();
  await expect(loadedRow(page, 'key-b')).toBeVisible();

  // Unload with the keyboard: focus the row's button and press Enter; the file stays listed.
  await keyRow(page, 'key-a').getByRole('button', { name: 'Unload key-a' }).focus();
  await page.keyboard.press('Enter');
  await expect(loadedRow(page, 'key-a')).toHaveCount(0);
  await expect(keyRow(page, 'key-a')).toContainText('Not loaded');
  expect(await agentList()).not.toContain(await fingerprintOf(a));
  expect(await agentList()).toContain(await fingerprintOf(b));

  // Lock: the agent refuses to list; unlock brings the key back.
  await page.getByRole('button', { name: 'Lock…' }).click();
  await page.getByLabel('Password', { exact: true }).fill('hunter22');
  await page.getByLabel('Repeat password').fill('hunter22');
  await page.getByRole('dialog').getByRole('button', { name: 'Lock', exact: true }).click();
  await expect(page.getByText('The agent is locked.')).toBeVisible();
  await expect(keyRow(page, 'key-b')).toContainText('Agent locked');
  expect(await agentList()).not.toContain(await fingerprintOf(b));
  await page.getByRole('button', { name: 'Unlock…' }).click();
  await page.getByLabel('Password', { exact: true }).fill('hunter22');
  await page.getByRole('dialog').getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(loadedRow(page, 'key-b')).toBeVisible();

  await page.getByRole('button', { name: 'Remove all…' }).click();
  const confirm = page.getByRole('dialog', { name: /Remove all 1 keys/ });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await confirm.getByRole('button', { name: 'Remove all' }).click();
  await expect(page.getByText('No keys are loaded.')).toBeVisible();
  expect(await agentList()).toContain('no identities');
});

test('keys added outside KeyDock appear live, and dropping a file in a browser explains itself', async ({ page }) => {
  test.setTimeout(150_000);
  await openWindow(page, services.url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Keys', exact: true }).click();
  await expect(page.getByText('No keys are loaded.')).toBeVisible();
  const c = await makeKey('id_c', '', 'added-by-ssh-add');
  expect((await services.agent!.sshAdd([c])).code).toBe(0);
  await expect(loadedRow(page, 'added-by-ssh-add')).toBeVisible({ timeout: 20_000 });

  await page.getByRole('button', { name: 'Add key…' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add keys' });
  await dialog.locator('.drop-zone').dispatchEvent('drop', { dataTransfer: await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['x'], 'id_rsa'));
    return dt;
  }) });
  await expect(dialog.getByRole('alert')).toContainText('cannot see where a dropped file is stored');
  // The native dialog does not exist in a browser: the error is inline and in words.
  await dialog.getByRole('button', { name: 'Choose files…' }).click();
  await expect(dialog.locator('.notice-error').last()).toBeVisible();
  await checkAndCapture(page, 'add-key');
});
