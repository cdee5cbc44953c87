import { ipcMain, type BrowserWindow } from 'electron';
import type { AppContext } from '../context';
import { Router, type Handlers } from '../ipc/router';
import { isTrustedFrameUrl } from './security';

/** Electron transport of the contract: one invoke handler, events forwarded to the window. */
export function connectIpc(ctx: AppContext, handlers: Handlers, getWindow: () => BrowserWindow | null): () => void {
  const router = new Router(handlers, { isTrustedFrameUrl });
  ipcMain.handle('keydock:invoke', (event, channel: unknown, payload: unknown) =>
    router.dispatch(channel, payload, { transport: 'electron', frameUrl: event.senderFrame?.url ?? '' }),
  );
  const unsubscribe = ctx.events.onAny((name, payload) => {
    const win = getWindow();
    if (win && !win.isDestroyed()) win.webContents.send('keydock:event', name, payload);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler('keydock:invoke');
  };
}
