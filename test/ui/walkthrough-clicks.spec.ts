import { expect, test as base, type Locator, type Page } from '@playwright/test';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGitHostApi, type AddedKey, type GitHostApi } from '../support/git-host-api';
import { startKeyring, type TestKeyring } from '../support/keyring';
import { startSshd, type Sshd } from '../support/sshd';
import { startUiServices, type UiServices } from '../support/ui-services';
import { openWindow } from './ui-helpers';

// The walkthrough from "no key" to a passing connection test when the user signs in ("Add it
// for me"), with every click counted: a GitHub Enterprise server the user configured (the fake
// provider's API on 127.0.0.1, device flow approved by "octocat"), whose SSH side is a local
// sshd that greets like GitHub, and a private keychain for the passphrase and the token.
// Second: a deploy key gets its own Host alias (HOST-OWNER-REPO, as keydock setup-host names
// it), written to ~/.ssh/config, and the summary's next step clones through that alias.
let sshd: Sshd;
let github: GitHostApi;
let services: UiServices;

const PASS = 'copper willow harbour tundra';
const CLIENT_ID = 'Iv1.walkthrough';

/**
 * One private keychain per worker process: the keyring library keeps its first D-Bus session for
 * the whole process, so a second keyring in the same process is refused. As a worker fixture it
 * also gives this file a worker of its own (one where no other spec started a keyring first).
 */
const test = base.extend<object, { keyring: TestKeyring }>({
  keyring: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const keyring = await startKeyring();
      const restoreEnv = keyring.withEnv();
      try {
        await use(keyring);
      } finally {
        restoreEnv();
        await keyring.stop();
      }
    },
    { scope: 'worker' },
  ],
});

test.beforeEach(async ({ keyring }) => {
  sshd = await startSshd({ greeting: 'github' });
  let n = 0;
  github = await startGitHostApi({
    provider: 'github',
    users: [{ login: 'octocat' }],
    repos: [{ path: 'octocat/hello-world', admins: ['octocat'] }],
    device: { clientId: CLIENT_ID, interval: 1, script: ['pending'], user: 'octocat' },
    // The provider's SSH side learns the key the moment the API adds it.
    onKeyAdded: async (k: AddedKey) => {
      const file = join(sshd.dir, `added-${n++}.pub`);
      await writeFile(file, `${k.key.trim()}\n`);
      await sshd.addKey(file, k.owner, { greeting: 'github' });
    },
  });
  services = await startUiServices({ env: { ...keyring.env, KEYDOCK_TESTER_GIT_USER: sshd.user, KEYDOCK_GITHUB_CLIENT_ID: CLIENT_ID } });
  await copyFile(sshd.knownHostsFile, join(services.home.sshDir, 'known_hosts'));
  // The server's SSH side is this machine's sshd.
  await writeFile(join(services.home.sshDir, 'config'), `Host 127.0.0.1\n  Port ${sshd.port}\n`);
  // The server the user configured earlier for "Add it for me" (settings publishServers).
  await services.ctx.settings.update({ publishServers: [{ provider: 'github', api: github.apiUrl }] });
});
test.afterEach(async () => {
  await services?.stop();
  await github?.stop();
  await sshd?.stop();
});

/** Counts every click the test makes (page.click and every Locator click, check, uncheck, tap). */
function countClicks(page: Page): { count(): number; restore(): void } {
  let n = 0;
  const proto = Object.getPrototypeOf(page.locator('body')) as Record<string, unknown>;
  const names = ['click', 'dblclick', 'check', 'uncheck', 'setChecked', 'tap'] as const;
  const saved = new Map<string, unknown>();
  for (const name of names) {
    const orig = proto[name] as (this: Locator, ...a: unknown[]) => Promise<unknown>;
    saved.set(name, orig);
    proto[name] = function (this: Locator, ...a: unknown[]) {
      n += name === 'dblclick' ? 2 : 1;
      return orig.apply(this, a);
    };
  }
  const pageClick = page.click.bind(page);
  page.click = (...a: Parameters<Page['click']>) => {
    n += 1;
    return pageClick(...a);
  };
  return {
    count: () => n,
    restore() {
      for (const [name, orig] of saved) proto[name] = orig;
      page.click = pageClick;
    },
  };
}

/** The walkthrough's steps up to the public key: server, key with passphrase, loaded. */
async function toPublishStep(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { level: 1, name: 'Set up a key' })).toBeVisible();
  await page.getByRole('button', { name: /GitHub \(your server\)/ }).click();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
  await page.getByLabel('Repeat passphrase').fill(PASS);
  // "Remember the passphrase in my keychain" stays ticked: the keychain is there.
  await page.getByRole('button', { name: 'Make key' }).click();
  await expect(page.getByRole('heading', { name: 'Load the key into your agent' })).toBeVisible();
  await page.getByRole('button', { name: 'Load key' }).click();
  await expect(page.getByRole('heading', { name: /^Add the public key to GitHub/ })).toBeVisible();
}

/** Signs in through the device flow the way a user does: the page opens in the browser, the code is typed there. */
async function signInAndWait(page: Page): Promise<void> {
  const dialog = page.getByRole('dialog', { name: /^Add id_ed25519_github to a Git host/ });
  await expect(dialog.getByText('WDJB-MJHT')).toBeVisible();
  const popup = page.waitForEvent('popup');
  await dialog.getByRole('link', { name: 'Open the sign-in page' }).click();
  await (await popup).close();
}

test('from no key to a passing test in at most 5 clicks when the user signs in', async ({ page }) => {
  test.setTimeout(180_000);
  await openWindow(page, services.url);
  const clicks = countClicks(page);
  const started = Date.now();
  try {
    await toPublishStep(page);
    await page.getByRole('button', { name: 'Add it for me' }).click();
    await signInAndWait(page);
    // KeyDock adds the key, then the walkthrough's test logs in with it.
    await expect(page.getByRole('heading', { name: /^Test the connection to GitHub/ })).toBeVisible({ timeout: 60_000 });
    await expect(page.locator('[data-verdict="ok"]')).toBeVisible({ timeout: 60_000 });
  } finally {
    clicks.restore();
  }
  const seconds = (Date.now() - started) / 1000;
  const n = clicks.count();
  console.log(`walkthrough: ${n} clicks, ${seconds.toFixed(1)} s from "no key" to a passing test (device sign-in, fake provider, local sshd)`);
  expect(n).toBeLessThanOrEqual(5);
  expect(github.keys()).toEqual([expect.objectContaining({ kind: 'account', owner: 'octocat' })]);
  // The key is not a default name: the Host entry was ticked and written on the way.
  expect(await readFile(join(services.home.sshDir, 'config'), 'utf8')).toMatch(/IdentityFile .*id_ed25519_github/);
  await page.getByRole('button', { name: 'Finish' }).click();
  await expect(page.getByText('git clone git@127.0.0.1:OWNER/REPO.git')).toBeVisible();
});

test('a deploy key gets its own Host alias, and the summary clones through it', async ({ page }) => {
  test.setTimeout(180_000);
  // This machine's account and the sshd's port for every host, ahead of any Host block (the local
  // sshd logs in the user running the tests, not "git").
  await writeFile(join(services.home.sshDir, 'config'), `User ${sshd.user}\nPort ${sshd.port}\n\nHost *\n  ServerAliveInterval 30\n`);
  await openWindow(page, services.url);
  await toPublishStep(page);
  await page.getByRole('radio', { name: /One repository only/ }).check();
  await page.getByLabel('Repository (OWNER/NAME)').fill('octocat/hello-world');
  const alias = '127.0.0.1-octocat-hello-world';
  await expect(page.getByRole('heading', { name: `Give this key its own name: ${alias}` })).toBeVisible();
  const keyPath = join(services.home.sshDir, 'id_ed25519_github');
  await expect(page.getByLabel('Preview of the Host entry')).toHaveText(
    ['# Added by KeyDock: git@127.0.0.1 with its own key', `Host ${alias}`, '  HostName 127.0.0.1', '  User git', `  IdentityFile ${keyPath}`, '  IdentitiesOnly yes'].join('\n'),
  );
  expect(await readFile(join(services.home.sshDir, 'config'), 'utf8')).not.toContain(alias);
  await page.getByRole('button', { name: 'Add it for me' }).click();
  // Written before signing in (the sign-in dialog opens after it): the block as previewed, ahead of the other blocks.
  await expect(page.getByRole('dialog', { name: /^Add id_ed25519_github to a Git host/ })).toBeVisible();
  const config = await readFile(join(services.home.sshDir, 'config'), 'utf8');
  expect(config).toContain(`Host ${alias}\n  HostName 127.0.0.1\n  User git\n  IdentityFile ${keyPath}\n  IdentitiesOnly yes\n`);
  expect(config.indexOf(`Host ${alias}`)).toBeLessThan(config.indexOf('Host *'));
  expect(await readFile(join(services.home.sshDir, 'config.keydock-backup'), 'utf8')).not.toContain(alias);
  await signInAndWait(page);
  await expect(page.getByRole('heading', { name: /^Test the connection to GitHub/ })).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('[data-verdict="ok"]')).toBeVisible({ timeout: 60_000 });
  expect(github.keys()).toEqual([expect.objectContaining({ kind: 'deploy', owner: 'octocat/hello-world' })]);
  await page.getByRole('button', { name: 'Finish' }).click();
  await expect(page.getByRole('heading', { name: 'Next: clone octocat/hello-world' })).toBeVisible();
  await expect(page.getByText(`git clone git@${alias}:octocat/hello-world.git`)).toBeVisible();
  await expect(page.getByText(alias, { exact: true })).toBeVisible();
});
