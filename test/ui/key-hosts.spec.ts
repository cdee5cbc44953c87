import { expect, test } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pairingsFiles, recordHostPairing, listHostPairings } from '../../main/agent/host-pairings';
import { userPaths } from '../../main/util/paths';
import { run } from '../support/processes';
import { startUiServices, type UiServices } from '../support/ui-services';
import { openWindow } from './ui-helpers';

// The key's detail pane names the hosts the key opened (from the pairings KeyDock's agent and
// tester record, named through known_hosts) and forgets one on request.
let services: UiServices;

test.beforeEach(async () => {
  services = await startUiServices();
});
test.afterEach(async () => {
  await services?.stop();
});

const fingerprint = async (pub: string) => (await run('ssh-keygen', ['-l', '-f', pub])).stdout.split(/\s+/)[1] ?? '';

test('the detail pane lists the hosts a key opens and forgets one', async ({ page }) => {
  test.setTimeout(120_000);
  const key = join(services.home.sshDir, 'id_work');
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'work@laptop', '-f', key])).code).toBe(0);
  const hostKey = join(services.home.dir, 'hostkey');
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey])).code).toBe(0);
  const hostLine = (await run('cat', [`${hostKey}.pub`])).stdout.trim().split(' ').slice(0, 2).join(' ');
  await writeFile(join(services.home.sshDir, 'known_hosts'), `git.example.com ${hostLine}\n`);
  const file = pairingsFiles(services.home.env, userPaths(services.home.env, process.platform)).app;
  await recordHostPairing(file, await fingerprint(`${key}.pub`), await fingerprint(`${hostKey}.pub`), 'tester');

  await openWindow(page, services.url);
  await page.getByRole('button', { name: 'work@laptop', exact: true }).click();
  const detail = page.locator('#key-detail');
  await expect(detail.getByRole('heading', { name: 'Hosts it opens' })).toBeVisible();
  await expect(detail).toContainText('git.example.com');
  await detail.getByRole('button', { name: 'Forget that this key opens git.example.com' }).click();
  await expect(detail).toContainText('No login with this key has been seen yet');
  expect((await listHostPairings(file)).pairings).toEqual([]);
});
