import { expect, test, type Page } from '@playwright/test';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pairingsFiles, recordHostPairing } from '../../main/agent/host-pairings';
import { userPaths } from '../../main/util/paths';
import { run } from '../support/processes';
import { startUiServices, type UiServices } from '../support/ui-services';
import { checkAndCapture, openWindow } from './ui-helpers';

// The keys view as a key manager: loaded keys and key files in one table, Load / Unload per
// row, search and filters, and the detail pane, against a real ssh-agent and real key files.
const PASSPHRASE = 'correct horse battery staple';
let services: UiServices;
let outside: string;

test.beforeEach(async () => {
  services = await startUiServices();
  outside = await mkdtemp(join(tmpdir(), 'keydock-outside-'));
});
test.afterEach(async () => {
  await services?.stop();
  await rm(outside, { recursive: true, force: true });
});

async function makeKey(path: string, passphrase: string, comment: string): Promise<string> {
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', path])).code).toBe(0);
  return path;
}

async function fingerprintOf(path: string, hash = 'sha256'): Promise<string> {
  const r = await run('ssh-keygen', ['-l', '-E', hash, '-f', `${path}.pub`]);
  return r.stdout.split(/\s+/)[1] ?? '';
}

async function agentList(): Promise<string> {
  const r = await services.agent!.sshAdd(['-l']);
  return r.stdout + r.stderr;
}

function row(page: Page, name: string) {
  return page.getByRole('table', { name: 'Keys' }).getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
}

test('every key in one table: state, Load / Unload, search, filter, sort and the detail pane', async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  const plain = await makeKey(join(services.home.sshDir, 'id_plain'), '', 'plain@laptop');
  const locked = await makeKey(join(services.home.sshDir, 'id_locked'), PASSPHRASE, 'locked@laptop');
  const elsewhere = await makeKey(join(outside, 'deploy_key'), '', 'deploy@ci');
  expect((await services.agent!.sshAdd(['-t', '600', elsewhere])).code).toBe(0);
  const fps = { plain: await fingerprintOf(plain), locked: await fingerprintOf(locked), elsewhere: await fingerprintOf(elsewhere) };

  await openWindow(page, services.url);
  const table = page.getByRole('table', { name: 'Keys' });
  await expect(table.getByRole('row')).toHaveCount(4);
  await expect(row(page, 'deploy@ci')).toContainText('Loaded');
  await expect(row(page, 'plain@laptop')).toContainText('Not loaded');
  await expect(row(page, 'plain@laptop')).toContainText('problem');

  // Full fingerprints at 1280 px: the whole value is drawn, nothing cut off.
  const fpCell = row(page, 'locked@laptop').locator('code.fp');
  await expect(fpCell).toHaveText(fps.locked);
  expect(await fpCell.evaluate((el) => el.scrollWidth <= el.clientWidth + 1 && el.getBoundingClientRect().right <= window.innerWidth)).toBe(true);

  // One click loads a key without a passphrase.
  await row(page, 'plain@laptop').getByRole('button', { name: 'Load plain@laptop' }).click();
  await expect(row(page, 'plain@laptop')).toContainText('Loaded');
  expect(await agentList()).toContain(fps.plain);

  // An encrypted key asks for its passphrase in a dialog whose first field has focus.
  await row(page, 'locked@laptop').getByRole('button', { name: 'Load locked@laptop' }).click();
  const dialog = page.getByRole('dialog', { name: 'Load id_locked' });
  await expect(dialog.getByLabel('Passphrase for id_locked')).toBeFocused();
  await dialog.getByLabel('Passphrase for id_locked').fill(PASSPHRASE);
  await dialog.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row(page, 'locked@laptop')).toContainText('Loaded');
  expect(await agentList()).toContain(fps.locked);

  // Unload is one click too.
  await row(page, 'plain@laptop').getByRole('button', { name: 'Unload plain@laptop' }).click();
  await expect(row(page, 'plain@laptop')).toContainText('Not loaded');
  expect(await agentList()).not.toContain(fps.plain);

  // Search and filters.
  await page.getByRole('searchbox', { name: 'Search keys' }).fill('deploy');
  await expect(table.getByRole('row')).toHaveCount(2);
  await page.getByRole('searchbox', { name: 'Search keys' }).fill('');
  await page.getByRole('radio', { name: 'On disk' }).check();
  await expect(table.getByRole('row')).toHaveCount(3);
  await page.getByRole('radio', { name: 'Loaded' }).check();
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(row(page, 'plain@laptop')).toHaveCount(0);
  await page.getByRole('radio', { name: 'Problems' }).check();
  await expect(row(page, 'plain@laptop')).toHaveCount(1);
  await page.getByRole('radio', { name: 'All' }).check();

  // Sort by name, both ways.
  await table.getByRole('button', { name: 'Name' }).click();
  await expect(table.getByRole('columnheader', { name: 'Name' })).toHaveAttribute('aria-sort', 'ascending');
  await expect(table.locator('tbody tr').first()).toContainText('deploy@ci');
  await table.getByRole('button', { name: 'Name' }).click();
  await expect(table.getByRole('columnheader', { name: 'Name' })).toHaveAttribute('aria-sort', 'descending');
  await expect(table.locator('tbody tr').first()).toContainText('plain@laptop');
  await checkAndCapture(page, 'identities');

  // The detail pane: fingerprints, public key, copy buttons, "Test with…".
  await row(page, 'locked@laptop').getByRole('button', { name: 'locked@laptop', exact: true }).click();
  const detail = page.getByRole('region', { name: 'locked@laptop' });
  await expect(detail).toContainText(fps.locked);
  await expect(detail).toContainText(await fingerprintOf(locked, 'md5'));
  await expect(detail.getByRole('button', { name: 'Copy public key' })).toBeVisible();
  await expect(detail.getByRole('button', { name: 'Copy MD5 fingerprint' })).toBeVisible();
  await expect(detail).toContainText('KeyDock has not replaced this key');
  await checkAndCapture(page, 'key-detail');
  await detail.getByRole('button', { name: 'Test with…' }).click();
  await detail.getByRole('group', { name: 'Test this key with' }).getByRole('button', { name: 'Test with github.com' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Connection test' })).toBeVisible();
  await expect(page.getByLabel('Or any host')).toHaveValue('github.com');
});

test('"Test with…" offers the hosts the key opened, then the Host entries naming it, then the Git hosts', async ({ page }) => {
  const key = await makeKey(join(services.home.sshDir, 'id_work'), '', 'work@laptop');
  await makeKey(join(services.home.sshDir, 'id_other'), '', 'other@laptop');
  await writeFile(
    join(services.home.sshDir, 'config'),
    ['Host work-git work-mirror', '  HostName 127.0.0.1', '  IdentityFile ~/.ssh/id_work', 'Host other-git', '  IdentityFile ~/.ssh/id_other', 'Host *.corp', '  IdentityFile ~/.ssh/id_work', ''].join('\n'),
  );
  // The agent once saw this key open git.example.com (named through known_hosts).
  const hostKey = join(outside, 'hostkey');
  await makeKey(hostKey, '', 'host');
  const hostLine = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
  await writeFile(join(services.home.sshDir, 'known_hosts'), `git.example.com ${hostLine}\n`);
  const pairings = pairingsFiles(services.home.env, userPaths(services.home.env, process.platform)).app;
  await recordHostPairing(pairings, await fingerprintOf(key), await fingerprintOf(hostKey), 'tester');

  await openWindow(page, services.url);
  await page.getByRole('button', { name: 'work@laptop', exact: true }).click();
  const detail = page.getByRole('region', { name: 'work@laptop' });
  const toggle = detail.getByRole('button', { name: 'Test with…' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  const choices = detail.getByRole('group', { name: 'Test this key with' });
  await expect(choices.getByRole('list', { name: 'Git hosts' })).toBeVisible();
  await expect(choices.getByRole('list', { name: 'Hosts it opens' }).getByRole('button')).toHaveText(['git.example.com']);
  // Only concrete names: the wildcard block and the other key's alias are not offered.
  await expect(choices.getByRole('list', { name: 'Host entries that use it' }).getByRole('button')).toHaveText(['work-git', 'work-mirror']);
  await expect(choices.getByRole('list', { name: 'Git hosts' }).getByRole('button', { name: 'Test with github.com' })).toBeVisible();
  const order = await choices.getByRole('button').allInnerTexts();
  expect(order.slice(0, 3)).toEqual(['git.example.com', 'work-git', 'work-mirror']);

  // Escape folds the list back and leaves focus on the toggle.
  await choices.getByRole('button', { name: 'Test with work-git' }).focus();
  await page.keyboard.press('Escape');
  await expect(choices).toHaveCount(0);
  await expect(toggle).toBeFocused();

  await toggle.click();
  await choices.getByRole('button', { name: 'Test with work-git' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Connection test' })).toBeVisible();
  await expect(page.getByLabel('Or any host')).toHaveValue('work-git');

  // A key no Host entry names and no login used: the Git hosts alone.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Keys', exact: true }).click();
  await page.getByRole('button', { name: 'other@laptop', exact: true }).click();
  const other = page.getByRole('region', { name: 'other@laptop' });
  await other.getByRole('button', { name: 'Test with…' }).click();
  const otherChoices = other.getByRole('group', { name: 'Test this key with' });
  await expect(otherChoices.getByRole('list', { name: 'Host entries that use it' }).getByRole('button')).toHaveText(['other-git']);
  await expect(otherChoices.getByRole('list', { name: 'Hosts it opens' })).toHaveCount(0);
});

test('with no agent running the window offers to start KeyDock\'s, not "Load saved keys"', async ({ page }) => {
  await services.stop();
  services = await startUiServices({ agent: false });
  await makeKey(join(services.home.sshDir, 'id_ed25519'), '', 'me@here');
  await openWindow(page, services.url);
  await expect(row(page, 'me@here')).toContainText('Not loaded');
  await expect(page.getByRole('button', { name: 'Load saved keys' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Load me@here' })).toHaveCount(0);
  const notices = await page.locator('.notice').allInnerTexts();
  for (const text of notices) expect(text).not.toMatch(/eval |keydock serve|--agent|ssh-agent\)/);
  await page.getByRole('button', { name: "Start KeyDock's agent" }).first().click();
  await expect(page.getByRole('button', { name: 'Load me@here' })).toBeVisible();
  await page.getByRole('button', { name: 'Load me@here' }).click();
  await expect(row(page, 'me@here')).toContainText('Loaded');
});
