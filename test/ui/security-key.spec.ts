import { expect, test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../support/processes';
import { startUiServices, type UiServices } from '../support/ui-services';
import { openWindow } from './ui-helpers';

// A FIDO (sk-) key in the Keys view: its details carry the "Security key" pill, what each
// signature needs and the application; with no FIDO provider for KeyDock's agent on this system,
// a note says so and offers what works instead (docs/hardware-keys.md §2).
const DUMMY = '/usr/lib/openssh/regress/misc/sk-dummy/sk-dummy.so';
let services: UiServices;

test.beforeEach(async () => {
  services = await startUiServices();
});
test.afterEach(async () => {
  await services?.stop();
});

test('a security key shows its pill, needs and application, and the no-provider note', async ({ page }) => {
  test.skip(!existsSync(DUMMY), 'openssh-tests (sk-dummy.so) is not installed');
  test.skip(existsSync('/usr/lib/x86_64-linux-gnu/libsk-libfido2.so'), 'a FIDO provider is installed here: no note to show');
  test.setTimeout(120_000);
  const key = join(services.home.sshDir, 'id_ed25519_sk');
  const made = await run('ssh-keygen', ['-q', '-t', 'ed25519-sk', '-w', DUMMY, '-N', '', '-O', 'verify-required', '-C', 'fido@laptop', '-f', key]);
  expect(made.code, made.stderr).toBe(0);

  await openWindow(page, services.url);
  await page.getByRole('button', { name: 'fido@laptop', exact: true }).click();
  const facts = page.locator('#key-detail [data-testid="security-key"]');
  await expect(facts).toContainText('Security key');
  await expect(facts).toContainText('Needs a touch');
  await expect(facts).toContainText('Needs PIN');
  await expect(facts).toContainText('application ssh:');
  await expect(facts.getByText("KeyDock's own agent cannot sign with this security key on this computer")).toBeVisible();
  await facts.getByRole('button', { name: 'Choose another agent' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/Settings/i);
});
