import { app, BrowserWindow } from 'electron';
import { APP_ORIGIN, hardenContents, type ConfiguredServers } from './security';

export interface WindowOptions {
  preloadPath: string;
  /** Start hidden (login start into the tray). */
  hidden?: boolean;
  /** The servers configured for "Add it for me", whose pages may open too. */
  configuredServers?: ConfiguredServers;
}

/**
 * The one way KeyDock makes a window: isolated, sandboxed, no Node, our page only.
 * Every BrowserWindow in the app comes from here so the settings cannot drift.
 */
export function createWindow(options: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1040,
    height: 720,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'KeyDock',
    backgroundColor: '#1b1d23',
    autoHideMenuBar: true,
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Off in every packaged build, whatever the environment says; on while developing.
      devTools: !app.isPackaged,
    },
  });
  hardenContents(win.webContents, options.configuredServers);
  win.once('ready-to-show', () => {
    if (!options.hidden) win.show();
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}
