import { expect, test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loginAgentFiles } from '../../main/config/login-agent-files';
import { userPaths } from '../../main/util/paths';
import { startUiServices, type UiServices } from '../support/ui-services';
import { expectNoAxeViolations, goTo, openWindow } from './ui-helpers';

// Settings → "Use KeyDock's agent for every login" (docs/login-agent.md): the plan is shown
// before anything changes, applied on "Turn on", and each step's outcome is listed; turning it
// off takes back exactly that. Real files in the services' temp HOME.
let services: UiServices;

test.beforeEach(async () => {
  services = await startUiServices();
});
test.afterEach(async () => {
  await services?.stop();
});

test('the login agent switch shows the plan, applies it, and undoes it', async ({ page }) => {
  test.setTimeout(120_000);
  const config = join(services.home.sshDir, 'config');
  const before = 'Host work\n  User me\n';
  await writeFile(config, before, { mode: 0o600 });
  const files = loginAgentFiles('linux', services.home.env, userPaths(services.home.env, 'linux'));

  await openWindow(page, services.url);
  await goTo(page, 'Settings');
  const box = page.getByRole('checkbox', { name: /Use KeyDock's agent for every login/ });
  await expect(box).toBeEnabled();
  await expect(box).not.toBeChecked();
  await box.click();

  const plan = page.getByRole('region', { name: 'What will change' });
  await expect(plan).toContainText('Turning this on will:');
  await expect(plan).toContainText('To do: Write the systemd socket unit');
  await expect(plan).toContainText(files.serviceUnit as string);
  await expect(plan).toContainText('IdentityAgent');
  // Nothing is written before the user agrees.
  expect(existsSync(files.socketUnit as string)).toBe(false);
  await expectNoAxeViolations(page, 'login agent plan');

  await plan.getByRole('button', { name: 'Turn on' }).click();
  const done = page.getByRole('status').filter({ hasText: "KeyDock's agent is now the login agent." });
  await expect(done).toBeVisible();
  await expect(done).toContainText('Done: Set SSH_AUTH_SOCK for every new session');
  await expect(box).toBeChecked();
  expect(await readFile(files.socketUnit as string, 'utf8')).toContain('ListenStream=%t/keydock/agent.sock');
  expect(await readFile(config, 'utf8')).toContain(`IdentityAgent ${join(services.home.env.XDG_RUNTIME_DIR as string, 'keydock', 'agent.sock')}`);

  await box.click();
  await expect(plan).toContainText('Turning this off will:');
  await plan.getByRole('button', { name: 'Turn off' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'KeyDock no longer starts its agent at login.' })).toBeVisible();
  await expect(box).not.toBeChecked();
  expect(existsSync(files.socketUnit as string)).toBe(false);
  expect(await readFile(config, 'utf8')).toBe(before);
});
