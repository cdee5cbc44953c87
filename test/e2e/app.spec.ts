import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startOpenSshAgent, type RealAgent } from '../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../support/tmp-home';
import { electronExecutable, NO_ELECTRON_REASON } from './electron-binary';

const exe = electronExecutable();
const appDir = fileURLToPath(new URL('../..', import.meta.url));

test.skip(!exe, NO_ELECTRON_REASON);

let home: TmpHome;
let agent: RealAgent;
let app: ElectronApplication;

test.beforeAll(async () => {
  home = await makeTmpHome('keydock-e2e-');
  agent = await startOpenSshAgent();
  app = await electron.launch({ executablePath: exe!, args: [appDir], env: { ...home.env, SSH_AUTH_SOCK: agent.socket, DISPLAY: process.env.DISPLAY ?? '' } });
});

test.afterAll(async () => {
  await app?.close();
  await agent?.stop();
  await home?.cleanup();
});

test('launches with the hardened window and shows the identities view', async () => {
  const page = await app.firstWindow();
  await expect(page.getByRole('heading', { name: /keys/i }).first()).toBeVisible();
  const url = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.webContents.getURL());
  expect(url).toMatch(/^app:\/\/keydock\//);
  // Sandboxed, isolated, no Node: the page sees only the contract API the preload exposes.
  const pageGlobals = await page.evaluate(() => {
    const g = globalThis as Record<string, unknown>;
    return { require: typeof g.require, process: typeof g.process, keydock: typeof g.keydock, ipcRenderer: typeof g.ipcRenderer };
  });
  expect(pageGlobals).toEqual({ require: 'undefined', process: 'undefined', keydock: 'object', ipcRenderer: 'undefined' });
});

test('blocks navigation away and new windows', async () => {
  const page = await app.firstWindow();
  await page.evaluate(() => (globalThis as unknown as { open(u: string): unknown }).open('https://example.com'));
  await page.evaluate(() => ((globalThis as unknown as { location: { href: string } }).location.href = 'https://example.com'));
  expect(app.windows()).toHaveLength(1);
  expect(page.url()).toMatch(/^app:\/\/keydock\//);
});

test('a second launch focuses the first instead of starting again', async () => {
  const second = spawn(exe!, [appDir], { env: { ...home.env, SSH_AUTH_SOCK: agent.socket } });
  const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
  expect(code).toBe(0);
  expect(app.windows()).toHaveLength(1);
  const focused = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.isVisible());
  expect(focused).toBe(true);
});

test('the tray menu offers the documented actions', async () => {
  const labels = await app.evaluate(async ({ Menu }) => {
    void Menu;
    const g = globalThis as unknown as { __keydockTrayLabels?: () => string[] };
    return g.__keydockTrayLabels?.() ?? [];
  });
  expect(labels).toEqual(expect.arrayContaining(['Open KeyDock', 'Add key…', 'Test GitHub', 'Lock agent', 'Quit KeyDock']));
});
