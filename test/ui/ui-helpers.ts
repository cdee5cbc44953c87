import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSshd, type Sshd } from '../support/sshd';
import { startUiServices, type UiServices } from '../support/ui-services';

// Shared steps of the UI specs: open the window, check accessibility, save screenshots.

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Where checkAndCapture() saves its screenshots. By default the git-ignored
 * test-results/screenshots, so a test run leaves the working tree as it found it;
 * `npm run screenshots` sets KEYDOCK_SCREENSHOT_DIR=docs/screenshots to refresh the README's
 * pictures on purpose. A relative path is taken from the repository root.
 */
export const SCREENSHOT_DIR = resolve(REPO_ROOT, process.env.KEYDOCK_SCREENSHOT_DIR || join('test-results', 'screenshots'));

/** Opens the window from the bridge address and waits until the shell is drawn. */
export async function openWindow(page: Page, url: string): Promise<void> {
  // From a blank page, so a second open is a real load and not just a fragment change.
  await page.goto('about:blank');
  await page.goto(url);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  // The token must leave the address bar once read.
  await expect.poll(() => page.url()).not.toContain('token=');
}

/** Clicks a view in the sidebar and waits for its heading. */
export async function goTo(page: Page, label: string, heading = label): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: label, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}

/** Fails with the rule ids and the offending elements when axe finds any violation. */
export async function expectNoAxeViolations(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
  expect(summary, `axe violations on ${what}`).toEqual([]);
}

/** Checks axe and saves a screenshot in both themes (the app follows the system theme by default). */
export async function checkAndCapture(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
    await expectNoAxeViolations(page, `${name} (${scheme})`);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Checks axe in both themes without a screenshot (states the README does not show). */
export async function checkAxeBothThemes(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
    await expectNoAxeViolations(page, `${name} (${scheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** True when nothing sticks out sideways: the layout holds at this window size. */
export async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => {
    const main = document.querySelector('main');
    const doc = document.scrollingElement;
    return {
      doc: doc ? doc.scrollWidth - doc.clientWidth : 0,
      main: main ? main.scrollWidth - main.clientWidth : 0,
    };
  });
  expect(overflow).toEqual({ doc: 0, main: 0 });
}

export interface GitHubRig {
  services: UiServices;
  sshd: Sshd;
  stop(): Promise<void>;
}

/**
 * Services whose ~/.ssh/config aims "github.com" at a local sshd that greets like GitHub, so
 * the preset button tests the real host name and the config applies. The local sshd logs in
 * the user running the tests, not GitHub's "git".
 */
export async function startGitHubRig(): Promise<GitHubRig> {
  const sshd = await startSshd({ greeting: 'github' });
  try {
    const services = await startUiServices({ env: { KEYDOCK_TESTER_GIT_USER: sshd.user } });
    await writeFile(join(services.home.sshDir, 'config'), `Host github.com\n  HostName 127.0.0.1\n  Port ${sshd.port}\n`);
    return {
      services,
      sshd,
      async stop() {
        await services.stop();
        await sshd.stop();
      },
    };
  } catch (e) {
    await sshd.stop();
    throw e;
  }
}
