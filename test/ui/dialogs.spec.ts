import { expect, test, type Locator, type Page } from '@playwright/test';
import { join } from 'node:path';
import { run } from '../support/processes';
import { startUiServices, type UiServices } from '../support/ui-services';
import { checkAxeBothThemes, openWindow } from './ui-helpers';

// Focus and keyboard in every dialog of the keys view: the first field takes focus, Tab stays
// inside, Cancel sits left of the primary button, and closing gives focus back to the opener.
let services: UiServices;

test.beforeEach(async () => {
  services = await startUiServices();
});
test.afterEach(async () => {
  await services?.stop();
});

async function makeKey(name: string, passphrase: string, comment: string): Promise<string> {
  const path = join(services.home.sshDir, name);
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', path])).code).toBe(0);
  return path;
}

/** Tab twenty times forwards and backwards: focus never leaves the dialog. */
async function expectFocusTrapped(page: Page, dialog: Locator): Promise<void> {
  for (const key of ['Tab', 'Shift+Tab']) {
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press(key);
      expect(await dialog.evaluate((d) => d.contains(document.activeElement)), `${key} #${i + 1}`).toBe(true);
    }
  }
}

/** Cancel comes before (left of) the primary or danger button in the footer. */
async function expectCancelLeftOf(dialog: Locator, primary: string): Promise<void> {
  const cancel = await dialog.getByRole('button', { name: 'Cancel', exact: true }).boundingBox();
  const main = await dialog.getByRole('button', { name: primary, exact: true }).boundingBox();
  expect(cancel && main && cancel.x < main.x).toBe(true);
}

test('lock, unlock, load, add and remove-all dialogs: first field, trapped Tab, button order, focus back', async ({ page }) => {
  test.setTimeout(180_000);
  const key = await makeKey('id_a', '', 'key-a');
  await makeKey('id_locked', 'pass phrase here', 'key-locked');
  expect((await services.agent!.sshAdd([key])).code).toBe(0);
  await openWindow(page, services.url);
  await expect(page.getByRole('button', { name: 'Unload key-a' })).toBeVisible();

  // Lock: Password has focus; Tab stays inside; Escape closes and focus returns to "Lock…".
  const lockButton = page.getByRole('button', { name: 'Lock…' });
  await lockButton.click();
  const lock = page.getByRole('dialog', { name: 'Lock the agent' });
  await expect(lock.getByLabel('Password', { exact: true })).toBeFocused();
  await expectCancelLeftOf(lock, 'Lock');
  await expectFocusTrapped(page, lock);
  await page.keyboard.press('Escape');
  await expect(lock).toHaveCount(0);
  await expect(lockButton).toBeFocused();

  // Load an encrypted key: the passphrase field has focus; Cancel returns focus to the row's Load.
  const load = page.getByRole('button', { name: 'Load key-locked' });
  await load.click();
  const loadDialog = page.getByRole('dialog', { name: 'Load id_locked' });
  await expect(loadDialog.getByLabel('Passphrase for id_locked')).toBeFocused();
  await expectCancelLeftOf(loadDialog, 'Load');
  await expectFocusTrapped(page, loadDialog);
  await checkAxeBothThemes(page, 'load dialog');
  await loadDialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(loadDialog).toHaveCount(0);
  await expect(load).toBeFocused();

  // Add keys (Ctrl+O keeps working): the first choice has focus; the close button gives focus back.
  const add = page.getByRole('button', { name: 'Add key…' }).first();
  await add.focus();
  await page.keyboard.press('Control+o');
  const addDialog = page.getByRole('dialog', { name: 'Add keys' });
  await expect(addDialog).toBeVisible();
  expect(await addDialog.evaluate((d) => d.contains(document.activeElement) && document.activeElement?.getAttribute('aria-label') !== 'Close')).toBe(true);
  await expectFocusTrapped(page, addDialog);
  await addDialog.getByRole('button', { name: 'Close' }).click();
  await expect(addDialog).toHaveCount(0);
  await expect(add).toBeFocused();

  // Remove all: Cancel (the safe choice) has focus and sits left of "Remove all".
  const removeAll = page.getByRole('button', { name: 'Remove all…' });
  await removeAll.click();
  const confirm = page.getByRole('dialog', { name: /Remove all 1 keys/ });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expectCancelLeftOf(confirm, 'Remove all');
  await expectFocusTrapped(page, confirm);
  await page.keyboard.press('Escape');
  await expect(removeAll).toBeFocused();

  // Shortcuts still switch views.
  await page.keyboard.press('Control+2');
  await expect(page.getByRole('heading', { level: 1, name: 'Connection test' })).toBeVisible();
});
