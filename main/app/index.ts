import { app, dialog, Notification, powerMonitor, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import { createContext, disposeContext } from '../context';
import { createHandlers } from '../ipc/handlers';
import { connectIpc } from './ipc-electron';
import { registerAppScheme, serveRenderer } from './protocol';
import { hardenSession } from './security';
import { KeyDockTray, reveal } from './tray';
import { createWindow } from './window';
import { parseDeepLink, routeFromArgv } from './deep-link';
import { installAppMenu } from './menu';
import { setLinuxAutostart } from '../config/autostart';

// Electron entry: lifecycle, one window, tray, deep links. Services live in main/* and
// are the same ones the CLI and the browser bridge use.

const ctx = createContext({ transport: 'electron', pickFiles: pickKeyFiles });
const handlers = createHandlers(ctx);
let win: BrowserWindow | null = null;
let tray: KeyDockTray | null = null;
let quitting = false;
let toldAboutTray = false;

registerAppScheme();
app.setAsDefaultProtocolClient('keydock');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv) => {
    showWindow(routeFromArgv(argv));
  });
  app.on('open-url', (event, url) => {
    event.preventDefault();
    const route = parseDeepLink(url);
    if (route === null) console.warn(`keydock: ignored a malformed link (${JSON.stringify(url.slice(0, 200))})`);
    showWindow(route ?? undefined);
  });
  app.on('web-contents-created', (_e, contents) => contents.on('will-attach-webview', (ev) => ev.preventDefault()));
  void app.whenReady().then(start);
}

async function start(): Promise<void> {
  hardenSession((await import('electron')).session.defaultSession);
  serveRenderer(join(__dirname, '../renderer'));
  connectIpc(ctx, handlers, () => win);
  installAppMenu({ addKey: () => showWindow('add'), testGitHub: () => showWindow('test/github'), openSettings: () => showWindow('settings') });
  ctx.events.on('settings:changed', (settings) => void applyLoginItem(settings.startAtLogin));
  win = openWindow(process.argv.includes('--hidden'));
  const trayIcon = app.isPackaged ? join(process.resourcesPath, 'tray.png') : join(__dirname, '../../build/icons/tray.png');
  tray = new KeyDockTray(trayIcon, ctx.agents, {
    showWindow,
    addKey: () => showWindow('add'),
    quit: () => {
      quitting = true;
      app.quit();
    },
  });
  const refreshTray = () => void tray?.refresh();
  ctx.events.on('agent:changed', refreshTray);
  refreshTray();
  ctx.events.on('server:confirm-request', (req) => {
    if (win && win.isVisible() && win.isFocused()) return;
    new Notification({ title: 'KeyDock: allow a signature?', body: `${req.client} wants to use “${req.comment}”${req.destination ? ` for ${req.destination}` : ''}.` }).show();
  });
  watchForLock();
  await startOwnAgentAtLogin();
  const route = routeFromArgv(process.argv);
  if (route) showWindow(route);
}

/**
 * KeyDock's own agent when the settings ask for it, with every remembered key loaded (keychain
 * only, no prompt), as the login agent does (docs/login-agent.md). When that login agent already
 * serves the well-known socket, the app does not start a second agent: it manages that one.
 */
async function startOwnAgentAtLogin(): Promise<void> {
  try {
    await ctx.ownAgent.startIfEnabled();
  } catch (e) {
    console.warn(`keydock: KeyDock's own agent did not start: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const { running, socketPath } = ctx.ownAgent.status();
  if (!running || !socketPath) return;
  const { withAgent } = await import('../agent/session');
  const r = await ctx.remembered.loadAll(async () => (key) => withAgent(socketPath, (c) => c.addIdentity(key, {}))).catch((e: unknown) => ({ loaded: [], failed: [{ path: '(all)', message: e instanceof Error ? e.message : String(e) }] }));
  for (const f of r.failed) console.warn(`keydock: remembered key ${f.path} not loaded: ${f.message}`);
}

/**
 * When the user asked for it (lock after idle > 0), KeyDock's own agent drops its keys on
 * screen lock, sleep and after that many idle minutes, and the tray says so.
 */
function watchForLock(): void {
  const drop = async (reason: 'screen-locked' | 'sleep' | 'idle') => {
    const { lockAfterIdleMinutes } = await ctx.settings.get();
    if (lockAfterIdleMinutes <= 0) return;
    const removed = ctx.ownAgent.removeAllKeys();
    if (removed > 0) {
      const why = { 'screen-locked': 'the screen locked', sleep: 'the computer went to sleep', idle: 'you were away' }[reason];
      new Notification({ title: 'KeyDock removed your keys', body: `${removed} key${removed === 1 ? '' : 's'} removed because ${why}. Add them again when you need them.` }).show();
      void tray?.refresh();
    }
  };
  powerMonitor.on('lock-screen', () => void drop('screen-locked'));
  powerMonitor.on('suspend', () => void drop('sleep'));
  let idleDropped = false;
  setInterval(() => {
    void ctx.settings.get().then(({ lockAfterIdleMinutes }) => {
      const idle = lockAfterIdleMinutes > 0 && powerMonitor.getSystemIdleTime() >= lockAfterIdleMinutes * 60;
      if (idle && !idleDropped) void drop('idle');
      idleDropped = idle;
    });
  }, 30_000).unref();
}

/** Start at login: Electron's login items on macOS/Windows, an XDG autostart entry on Linux. */
async function applyLoginItem(enabled: boolean): Promise<void> {
  if (process.platform === 'linux') await setLinuxAutostart(ctx.paths, ctx.env, enabled, process.env.APPIMAGE ?? process.execPath);
  else app.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] });
}

function openWindow(hidden: boolean): BrowserWindow {
  const w = createWindow({ preloadPath: join(__dirname, '../preload/index.cjs'), hidden, configuredServers: async () => (await ctx.settings.get()).publishServers });
  w.on('close', (event) => {
    if (quitting) return;
    // Closing the window keeps the agent running in the tray.
    event.preventDefault();
    w.hide();
    if (!toldAboutTray) {
      toldAboutTray = true;
      new Notification({ title: 'KeyDock is still running', body: 'Your keys stay available. Quit from the tray icon.' }).show();
    }
  });
  return w;
}

function showWindow(route?: string): void {
  if (!win || win.isDestroyed()) win = openWindow(false);
  reveal(win);
  if (route) ctx.events.emit('app:navigate', { route });
}

/** The native open dialog behind the add-key dialog's "Browse…". */
async function pickKeyFiles(): Promise<string[]> {
  const options = {
    title: 'Choose SSH key files',
    defaultPath: ctx.paths.sshDir,
    properties: ['openFile', 'multiSelections', 'showHiddenFiles'] as Array<'openFile' | 'multiSelections' | 'showHiddenFiles'>,
  };
  const picked = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return picked.canceled ? [] : picked.filePaths;
}

app.on('before-quit', () => {
  quitting = true;
});
app.on('will-quit', () => {
  tray?.destroy();
  void disposeContext(ctx);
});
app.on('window-all-closed', () => {
  // Stay in the tray on every platform; quitting is explicit.
});
