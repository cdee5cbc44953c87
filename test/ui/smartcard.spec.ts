import { expect, test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../support/processes';
import { startUiServices, type UiServices } from '../support/ui-services';
import { checkAxeBothThemes, goTo, openWindow } from './ui-helpers';

// "Add smartcard…" in the keys view, with a real SoftHSM 2 token and OpenSSH's ssh-agent behind
// the window: focus, Escape, a wrong PIN said plainly, the card's key listed with its pill.
const LIB = ['/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/softhsm/libsofthsm2.so'].find((l) => existsSync(l));

let services: UiServices;
let dir: string;

test.beforeEach(async () => {
  test.skip(!LIB, 'SoftHSM 2 is not installed (scripts/install-deps.sh: softhsm2)');
  dir = await mkdtemp(join(tmpdir(), 'kd-ui-pkcs11-'));
  await mkdir(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  // Read at C_Initialize by this process (the window's check) and by the ssh-agent started below.
  process.env.SOFTHSM2_CONF = conf;
  expect((await run('softhsm2-util', ['--init-token', '--free', '--label', 'ui-token', '--pin', '1234', '--so-pin', '12345678'])).code).toBe(0);
  const key = join(dir, 'ec');
  expect((await run('openssl', ['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', key])).code).toBe(0);
  expect((await run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', key, '-out', `${key}.p8`])).code).toBe(0);
  // No label: ssh-agent then names the key by its provider, which is how KeyDock tells a card key.
  expect((await run('softhsm2-util', ['--token', 'ui-token', '--label', '', '--id', '07', '--pin', '1234', '--import', `${key}.p8`])).code).toBe(0);
  services = await startUiServices();
});

test.afterEach(async () => {
  await services?.stop();
  delete process.env.SOFTHSM2_CONF;
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('Add smartcard: first field focused, Escape gives focus back, a wrong PIN is said, the card key gets its pill', async ({ page }) => {
  test.setTimeout(180_000);
  await openWindow(page, services.url);
  // A home without keys opens on the walkthrough.
  await goTo(page, 'Keys');
  const button = page.getByRole('button', { name: 'Add smartcard…' });
  await button.click();
  const dialog = page.getByRole('dialog', { name: 'Add a smartcard' });
  const provider = dialog.getByLabel('Provider library');
  await expect(provider).toBeFocused();
  await checkAxeBothThemes(page, 'smartcard dialog');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(button).toBeFocused();

  await button.click();
  await provider.fill(LIB as string);
  await dialog.getByLabel('PIN', { exact: true }).fill('0000');
  await dialog.getByRole('button', { name: 'Add card' }).click();
  await expect(dialog.getByRole('alert')).toContainText('Wrong PIN');
  await expect(dialog.getByRole('alert')).toHaveAttribute('data-code', 'pkcs11-pin-incorrect');
  // The PIN field is emptied after each try: a PIN is never kept in the page.
  await expect(dialog.getByLabel('PIN', { exact: true })).toHaveValue('');
  await expect(dialog.getByLabel('Remember the PIN in my keychain')).not.toBeChecked();

  await dialog.getByLabel('PIN', { exact: true }).fill('1234');
  await dialog.getByRole('button', { name: 'Add card' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.locator('.badge', { hasText: 'Smartcard' })).toBeVisible();
  expect((await services.agent!.sshAdd(['-l'])).stdout).toContain('libsofthsm2.so (ECDSA)');
});
