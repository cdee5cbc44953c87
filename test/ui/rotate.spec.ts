import { expect, test, type Locator, type Page } from '@playwright/test';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TERMINAL_COMMAND } from '../../renderer/lib/window-hints';
import { run } from '../support/processes';
import { startSshd, type Sshd } from '../support/sshd';
import { startUiServices, type UiServices } from '../support/ui-services';
import { checkAxeBothThemes, openWindow } from './ui-helpers';

// Rotate from the key's detail pane, for real: a local sshd account whose authorized_keys holds
// the old key (loaded in OpenSSH's ssh-agent), a Host block in ~/.ssh/config naming it. After the
// window's Rotate the new key logs in, the old one is refused, and ~/.ssh/config names the new key.
let services: UiServices;
let sshd: Sshd;
// The Git-host scenario needs a GitHub-like greeter; the server scenario a real shell.
const gitHost = () => test.info().title.includes('GitHub');

const PASS = 'quartz meadow lantern fjord';
const DAY = new Date().toISOString().slice(0, 10);
const NEW_NAME = `id_old-${DAY.replace(/-/g, '')}`;

test.beforeEach(async () => {
  sshd = gitHost() ? await startSshd({ greeting: 'github' }) : await startSshd({ forceCommand: null });
  services = await startUiServices(gitHost() ? { env: { KEYDOCK_TESTER_GIT_USER: sshd.user } } : {});
});
test.afterEach(async () => {
  await services?.stop();
  await sshd?.stop();
});

/** ssh as a user would: this key file only, no agent, the sshd's host key known. */
function login(key: string) {
  return run('ssh', [
    '-F', 'none', '-o', 'HostName=127.0.0.1', '-p', String(sshd.port), '-l', sshd.user,
    '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-i', key, 'box', 'true',
  ]);
}

/** Opens the window, selects the key with COMMENT and opens its Rotate dialog. */
async function openRotation(page: Page, comment: string): Promise<Locator> {
  await openWindow(page, services.url);
  await page.getByRole('button', { name: comment, exact: true }).click();
  await page.locator('#key-detail').getByRole('button', { name: 'Rotate…' }).click();
  return page.getByRole('dialog', { name: `Rotate ${comment}` });
}

/** Gives the new key its passphrase (not remembered: no keychain in these scenarios) and starts the rotation. */
async function rotateWithPassphrase(dialog: Locator): Promise<void> {
  await dialog.getByLabel('Passphrase for the new key').fill(PASS);
  await dialog.getByLabel('Repeat the passphrase').fill(PASS);
  await dialog.getByRole('checkbox', { name: 'Remember the new passphrase in my keychain' }).uncheck();
  await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
}

test('Rotate in the window replaces the key on a server, in ~/.ssh/config and in the agent', async ({ page }) => {
  test.setTimeout(180_000);
  const ssh = services.home.sshDir;
  const oldKey = join(ssh, 'id_old');
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'old@laptop', '-f', oldKey])).code).toBe(0);
  const oldPub = (await readFile(`${oldKey}.pub`, 'utf8')).trim();
  await writeFile(sshd.authorizedKeysFile, `${oldPub}\n`);
  await copyFile(sshd.knownHostsFile, join(ssh, 'known_hosts'));
  await writeFile(join(ssh, 'config'), ['Host box', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${sshd.user}`, '  IdentityFile ~/.ssh/id_old', '  IdentitiesOnly yes', ''].join('\n'));
  expect((await services.agent!.sshAdd([oldKey])).code).toBe(0);
  // Before: the old key opens the server.
  expect((await login(oldKey)).code).toBe(0);

  const dialog = await openRotation(page, 'old@laptop');

  // The plan first: the server from the config block, the config line, the agent; nothing changed yet.
  await expect(dialog.getByRole('checkbox', { name: /box \(/ })).toBeChecked();
  await expect(dialog).toContainText('1 line(s) of your ssh configuration point at the new key');
  await expect(dialog).toContainText('the new key goes in, the old one out');
  await expect(dialog.getByText(NEW_NAME, { exact: true })).toBeVisible();
  expect(await readFile(sshd.authorizedKeysFile, 'utf8')).toBe(`${oldPub}\n`);
  await checkAxeBothThemes(page, 'rotate: the plan');
  // This sshd reads its own authorized_keys file.
  await dialog.getByLabel('authorized_keys file on the servers').fill(sshd.authorizedKeysFile);
  await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
  await expect(dialog.getByText('The new key needs a passphrase.')).toBeVisible();
  await rotateWithPassphrase(dialog);

  // Progress, then the report: every step done, what changed, no command to type.
  await expect(dialog.getByText(/^Rotated: id_old-\d{8} replaces id_old\.$/)).toBeVisible({ timeout: 120_000 });
  const steps = dialog.getByRole('list', { name: 'Rotation steps' });
  for (const id of ['generate', 'server1-add', 'server1-prove', 'server1-remove-old', 'config', 'agents', 'archive', 'report']) {
    await expect(steps.locator(`[data-step="${id}"]`), id).toHaveAttribute('data-status', 'done');
  }
  await expect(dialog).toContainText('What changed');
  expect(await dialog.innerText()).not.toMatch(TERMINAL_COMMAND);
  await checkAxeBothThemes(page, 'rotate: the report');

  // The server: the new key logs in (opened with its passphrase), the old one is refused.
  const newKey = join(ssh, NEW_NAME);
  const scratch = await mkdtemp(join(tmpdir(), 'keydock-ui-rotated-'));
  try {
    const plain = join(scratch, 'new');
    await copyFile(newKey, plain);
    expect((await run('ssh-keygen', ['-q', '-p', '-P', PASS, '-N', '', '-f', plain])).code).toBe(0);
    const ok = await login(plain);
    expect(ok.code, ok.stderr).toBe(0);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const archived = join(ssh, 'keydock-archive', DAY, 'id_old');
  expect((await login(archived)).code).toBe(255);
  const ak = await readFile(sshd.authorizedKeysFile, 'utf8');
  expect(ak).not.toContain(oldPub.split(' ')[1]);
  expect(ak).toContain((await readFile(`${newKey}.pub`, 'utf8')).trim().split(' ')[1]);

  // ~/.ssh/config names the new key; the agent holds the new key and not the old one.
  const config = await readFile(join(ssh, 'config'), 'utf8');
  expect(config).toContain(`IdentityFile ~/.ssh/${NEW_NAME}`);
  expect(config).not.toMatch(/IdentityFile ~\/\.ssh\/id_old\s*$/m);
  const held = (await services.agent!.sshAdd(['-L'])).stdout;
  expect(held).not.toContain(oldPub.split(' ')[1]);
  expect(held).toContain((await readFile(`${newKey}.pub`, 'utf8')).trim().split(' ')[1]);

  // Closing shows the keys again: the old row is gone (archived), the new key is listed.
  await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
  await expect(page.getByRole('button', { name: 'old@laptop', exact: true })).toHaveCount(1);
});

/**
 * A key "work@laptop" that opens "github.com" — the local sshd that answers like GitHub, where the
 * key is octocat's — named in ~/.ssh/config; returns the config as written.
 */
async function githubWorkKey(): Promise<{ ssh: string; oldKey: string; configBefore: string }> {
  const ssh = services.home.sshDir;
  const oldKey = join(ssh, 'id_ed25519_github.com-work');
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'work@laptop', '-f', oldKey])).code).toBe(0);
  await copyFile(sshd.knownHostsFile, join(ssh, 'known_hosts'));
  const configBefore = `Host github.com\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  IdentityFile ${oldKey}\n  IdentitiesOnly yes\n`;
  await writeFile(join(ssh, 'config'), configBefore, { mode: 0o600 });
  await sshd.addKey(`${oldKey}.pub`, 'octocat');
  return { ssh, oldKey, configBefore };
}

test('Rotate for GitHub waits on its page, refuses to go on until the new key works there, and resumes a saved rotation', async ({ page }) => {
  test.setTimeout(240_000);
  const { ssh, oldKey, configBefore } = await githubWorkKey();

  let dialog = await openRotation(page, 'work@laptop');
  await expect(dialog).toContainText('GitHub (github.com): you add the new key on its page');
  await rotateWithPassphrase(dialog);

  // The wait step: the page to open, the key to paste; nothing else changed yet.
  await expect(dialog.getByRole('heading', { name: 'Add the new key on GitHub (account octocat)' })).toBeVisible({ timeout: 60_000 });
  await expect(dialog.getByRole('link', { name: /Open GitHub's page to add the key/ })).toHaveAttribute('href', 'https://github.com/settings/ssh/new');
  const newPub = join(ssh, `id_ed25519_github.com-work-${DAY.replace(/-/g, '')}.pub`);
  await expect(dialog.getByLabel('The new public key')).toHaveValue((await readFile(newPub, 'utf8')).trim());
  expect(await readFile(join(ssh, 'config'), 'utf8')).toBe(configBefore);
  await checkAxeBothThemes(page, 'rotate: waiting for GitHub');

  // "I added it" too early: GitHub refuses the new key, the rotation stops, saved.
  await dialog.getByRole('button', { name: 'I added it — test' }).click();
  await expect(dialog.getByText('The rotation stopped.')).toBeVisible({ timeout: 60_000 });
  await expect(dialog.locator('[data-step="githost1-test"]')).toHaveAttribute('data-status', 'failed');
  expect(await readFile(join(ssh, 'config'), 'utf8')).toBe(configBefore);

  // Closed and opened again: the saved rotation is offered to resume or roll back.
  await dialog.getByRole('button', { name: 'Close', exact: true }).first().click();
  await page.locator('#key-detail').getByRole('button', { name: 'Rotate…' }).click();
  dialog = page.getByRole('dialog', { name: 'Rotate work@laptop' });
  await expect(dialog.getByText(/A rotation of this key is not finished/)).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Roll back' })).toBeVisible();

  // The user adds it on "GitHub"; Resume tests it with the new key only, then finishes.
  await sshd.addKey(newPub, 'octocat');
  await dialog.getByLabel('Passphrase of the new key').fill(PASS);
  await dialog.getByRole('button', { name: 'Resume' }).click();
  await expect(dialog.getByText(/^Rotated: id_ed25519_github\.com-work-\d{8} replaces id_ed25519_github\.com-work\.$/)).toBeVisible({ timeout: 120_000 });
  await expect(dialog.locator('[data-step="githost1-test"]')).toHaveAttribute('data-status', 'done');
  await expect(dialog).toContainText('remove the old key');
  expect(await readFile(join(ssh, 'config'), 'utf8')).toBe(configBefore.replace(oldKey, newPub.replace(/\.pub$/, '')));
  expect(await dialog.innerText()).not.toMatch(TERMINAL_COMMAND);
});

test('Roll back a rotation waiting on GitHub: the config and the key files are as before, the new key kept aside', async ({ page }) => {
  test.setTimeout(180_000);
  const { ssh, oldKey, configBefore } = await githubWorkKey();

  const dialog = await openRotation(page, 'work@laptop');
  await rotateWithPassphrase(dialog);
  await expect(dialog.getByRole('heading', { name: /^Add the new key on GitHub/ })).toBeVisible({ timeout: 60_000 });

  await dialog.getByRole('button', { name: 'Roll back' }).click();
  await expect(dialog.getByText('Rolled back: everything is as it was before the rotation.')).toBeVisible({ timeout: 60_000 });
  await expect(dialog.locator('[data-step="generate"]')).toHaveAttribute('data-status', 'undone');
  // If the user had added the new key on GitHub, they are told to remove it there (no command).
  await expect(dialog).toContainText('remove it there');
  expect(await dialog.innerText()).not.toMatch(TERMINAL_COMMAND);
  expect(await readFile(join(ssh, 'config'), 'utf8')).toBe(configBefore);
  // The old pair is in place; the new one was kept aside in the archive, not deleted.
  expect(await readFile(oldKey, 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
  const newName = `id_ed25519_github.com-work-${DAY.replace(/-/g, '')}`;
  await expect(readFile(join(ssh, newName), 'utf8')).rejects.toThrow();
  const kept = (await run('find', [join(ssh, 'keydock-archive'), '-name', newName])).stdout.trim();
  expect(kept).not.toBe('');
});
