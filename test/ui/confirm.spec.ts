import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { run, startProcess, type RunResult } from '../support/processes';
import { startSshd, type Sshd } from '../support/sshd';
import { startUiServices, type UiServices } from '../support/ui-services';
import { checkAndCapture, goTo, openWindow } from './ui-helpers';

// The confirm prompt end to end: KeyDock's own agent (turned on in Settings) holds a
// confirm-each-use key; a real `ssh` to a real sshd asks it to sign; the window asks the
// user; Allow lets ssh in, Deny (the default) keeps it out. The Activity view logs both.
let services: UiServices;
let sshd: Sshd;

test.beforeEach(async () => {
  services = await startUiServices({ agent: false });
  sshd = await startSshd({ greeting: 'github' });
});
test.afterEach(async () => {
  await sshd?.stop();
  await services?.stop();
});

/** Runs ssh to the sandbox host through KeyDock's agent, offering only this key. */
function sshThroughAgent(socket: string, pubFile: string): Promise<RunResult> {
  return run('ssh', ['-F', sshd.sshConfigFile, '-o', `IdentityAgent=${socket}`, '-i', pubFile, '-T', 'sandbox'], { timeoutMs: 60_000 });
}

test('the confirm modal allows and denies a real ssh signature', async ({ page }) => {
  test.setTimeout(120_000);
  const keyFile = join(services.home.sshDir, 'id_ed25519_confirm');
  const keygen = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'laptop-confirm', '-f', keyFile]);
  expect(keygen.code).toBe(0);
  await sshd.addKey(`${keyFile}.pub`, 'octocat');

  await openWindow(page, services.url);
  await goTo(page, 'Settings');
  await page.getByRole('checkbox', { name: /Run KeyDock's own agent/ }).check();
  const socketLine = page.getByText(/^Listening at /);
  await expect(socketLine).toBeVisible();
  const socket = (await socketLine.locator('code').first().innerText()).trim();

  // Load the key with "confirm each use" the way a terminal user would.
  const add = await run('ssh-add', ['-c', keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
  expect(add.code, add.stderr).toBe(0);

  // 1) Allow.
  const allowed = sshThroughAgent(socket, `${keyFile}.pub`);
  const dialog = page.getByRole('dialog', { name: 'Allow this key to be used?' });
  await expect(dialog).toBeVisible({ timeout: 30_000 });
  await expect(dialog).toContainText('laptop-confirm');
  await expect(dialog).toContainText(/Denied automatically in \d+ s/);
  await expect(dialog.getByRole('button', { name: 'Deny' })).toBeFocused();
  await checkAndCapture(page, 'confirm');
  await dialog.getByRole('button', { name: 'Allow' }).click();
  await expect(dialog).toBeHidden();
  const ok = await allowed;
  expect(ok.stderr).toContain("Hi octocat! You've successfully authenticated");

  // 2) Deny with the keyboard: Enter on the focused default button.
  const denied = sshThroughAgent(socket, `${keyFile}.pub`);
  await expect(dialog).toBeVisible({ timeout: 30_000 });
  await expect(dialog.getByRole('button', { name: 'Deny' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  const no = await denied;
  expect(no.code).not.toBe(0);
  expect(no.stderr).toMatch(/Permission denied|agent refused/);

  // The Activity view shows both requests, and the filter by key keeps them.
  await goTo(page, 'Activity');
  const log = page.getByRole('region', { name: 'Activity log' });
  await expect(log.getByRole('row').filter({ hasText: 'allowed' }).first()).toBeVisible();
  await expect(log.getByRole('row').filter({ hasText: 'denied' }).first()).toBeVisible();
  await page.getByLabel('Show key').selectOption({ index: 1 });
  await expect(log.getByRole('row').filter({ hasText: 'denied' }).first()).toBeVisible();
  await checkAndCapture(page, 'activity');
});

test('a new request shows up live in the Activity view', async ({ page }) => {
  const keyFile = join(services.home.sshDir, 'id_ed25519_live');
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'live-key', '-f', keyFile])).code).toBe(0);
  await openWindow(page, services.url);
  await goTo(page, 'Settings');
  await page.getByRole('checkbox', { name: /Run KeyDock's own agent/ }).check();
  const socket = (await page.getByText(/^Listening at /).locator('code').first().innerText()).trim();
  await goTo(page, 'Activity');
  await expect(page.getByText('No requests yet.')).toBeVisible();
  // ssh-add -l is a real "list keys" request from another process.
  const child = startProcess('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
  await new Promise((r) => child.once('exit', r));
  await expect(page.getByRole('region', { name: 'Activity log' }).getByRole('row')).not.toHaveCount(0);
});
