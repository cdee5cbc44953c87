import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { isChannel, isEventName } from '../../shared/channel-names';
import type { KeydockApiTransport } from '../../shared/bridge-protocol';
import { IpcErrorCode } from '../../shared/ipc-error-codes';
import type { Result } from '../../shared/result';

// The only code that touches ipcRenderer. It exposes a task-shaped API limited to the
// channels and events in the contract; raw ipcRenderer never reaches the page.
// It imports only zod-free modules (names, error codes, types): the schemas are checked in main,
// and a test keeps zod out of this bundle.
const listeners = new Map<string, Set<(payload: unknown) => void>>();

ipcRenderer.on('keydock:event', (_event, name: unknown, payload: unknown) => {
  if (typeof name !== 'string') return;
  for (const listener of listeners.get(name) ?? []) listener(payload);
});

const api: KeydockApiTransport = {
  transport: 'electron',
  invoke(channel, payload) {
    if (!isChannel(channel)) {
      const refused: Result<unknown> = { ok: false, error: { code: IpcErrorCode.unknownChannel, message: `There is no action called "${channel}".`, hint: '' } };
      return Promise.resolve(refused);
    }
    return ipcRenderer.invoke('keydock:invoke', channel, payload);
  },
  on(event, listener) {
    if (!isEventName(event)) return () => undefined;
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  },
  pathForFile(file) {
    try {
      return webUtils.getPathForFile(file) || null;
    } catch {
      return null;
    }
  },
};

contextBridge.exposeInMainWorld('keydock', api);
