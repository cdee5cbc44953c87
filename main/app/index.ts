import { app, type BrowserWindow, Notification, powerMonitor } from 'electron';
import { join } from 'node:path';
import { createContext, disposeContext } from '../context';
import { createHandlers } from '../ipc/handlers';
import { Router } from '../ipc/router';
import { connectIpc } from './ipc-electron';
import { registerAppScheme, serveRenderer } from './protocol';
import { hardenSession } from './security';
import { KeyDockTray, reveal } from './tray';
import { createWindow } from './window';
import { parseDeepLink } from './deep-link';
import { installAppMenu } from './menu';
import { setLinuxAutostart } from '../config/autostart';

// Electron entry: lifecycle, one window, tray, deep links. Services live in main/* and
// are the same ones the CLI and the browser bridge use.

const ctx = createContext({ transport: 'electron' });
const handlers = createHandlers(ctx);
const internal = new Router(handlers, {});
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
    showWindow(parseDeepLink(url) ?? undefined);
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
  tray = new KeyDockTray(trayIcon, internal, {
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
  const lockIfWanted = async () => {
    const settings = await ctx.settings.get();
    if (settings.lockAfterIdleMinutes > 0 || settings.runOwnAgent) await internal.dispatch('server:stop-agent', {}, { transport: 'internal' });
  };
  powerMonitor.on('lock-screen', () => void lockIfWanted());
  powerMonitor.on('suspend', () => void lockIfWanted());
  const route = routeFromArgv(process.argv);
  if (route) showWindow(route);
}

/** Start at login: Electron's login items on macOS/Windows, an XDG autostart entry on Linux. */
async function applyLoginItem(enabled: boolean): Promise<void> {
  if (process.platform === 'linux') await setLinuxAutostart(ctx.paths, ctx.env, enabled, process.env.APPIMAGE ?? process.execPath);
  else app.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] });
}

function openWindow(hidden: boolean): BrowserWindow {
  const w = createWindow({ preloadPath: join(__dirname, '../preload/index.cjs'), hidden });
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

function routeFromArgv(argv: string[]): string | undefined {
  const link = argv.find((a) => a.startsWith('keydock://'));
  return link ? (parseDeepLink(link) ?? undefined) : undefined;
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
