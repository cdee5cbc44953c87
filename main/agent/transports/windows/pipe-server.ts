import { Socket } from 'node:net';
import koffi from 'koffi';
import type { AgentConnectionHandler, ClientInfo } from '../../server/types';
import { KeyDockError } from '../../../util/errors';
import { judgePipePeer, pipeSecuritySddl, type PeerVerdict } from '../../../platform/windows/sid-policy';
import {
  ERROR_ACCESS_DENIED,
  ERROR_IO_PENDING,
  ERROR_PIPE_CONNECTED,
  FILE_FLAG_FIRST_PIPE_INSTANCE,
  FILE_FLAG_OVERLAPPED,
  PIPE_ACCESS_DUPLEX,
  PIPE_READMODE_BYTE,
  PIPE_REJECT_REMOTE_CLIENTS,
  PIPE_TYPE_BYTE,
  PIPE_UNLIMITED_INSTANCES,
  PIPE_WAIT,
  WT_EXECUTEONLYONCE,
  isBadHandle,
  ownSids,
  processIdentity,
  securityAttributes,
  win32,
  type Win32,
} from '../../../platform/windows/win32';

// A Windows named-pipe listener built on CreateNamedPipeW rather than net.Server, because
// Node cannot give a pipe a security descriptor (docs/agent-protocol.md §2.1) nor tell who connected.
// Each accepted instance is checked (client pid → token user SID) and then handed to libuv
// through uv_open_osfhandle, so the connection itself is an ordinary net.Socket.

export interface PipeListenerOptions {
  /** Full pipe path, `\\.\pipe\…`. */
  path: string;
  transport: Extract<ClientInfo['transport'], 'openssh-pipe' | 'pageant-pipe'>;
  /** Test hook: the user SID a client must run as (default: this process's user). */
  expectedUserSid?: string;
  /** Told about every refused connection (the log says who tried). */
  onRefused?: (info: { pid: number | null; exe: string | null; reason: string }) => void;
  /** Told about failures after listening started (e.g. an instance could not be created). */
  onError?: (err: Error) => void;
}

export interface PipeListener {
  readonly path: string;
  /** Stops accepting and drops the connections this listener accepted. */
  close(): Promise<void>;
}

const INFINITE = 0xffffffff;

interface PendingInstance {
  id: number;
  handle: unknown;
  overlapped: unknown;
  event: unknown;
  wait: unknown;
  onConnected(): void;
}

// One registered callback serves every pending instance: koffi runs it on the JS thread
// (it queues calls that arrive on the Windows thread-pool thread), and an id that is no
// longer in the map is ignored, so a late call after close() is harmless.
const pending = new Map<number, PendingInstance>();
let nextId = 1;
let waitCallback: unknown = null;

function sharedWaitCallback(api: Win32): unknown {
  if (!waitCallback) {
    waitCallback = koffi.register((param: number | bigint) => {
      const entry = pending.get(Number(param));
      if (entry) entry.onConnected();
    }, koffi.pointer(api.WaitCallback));
  }
  return waitCallback;
}

/** Listens on a Windows named pipe with a user-only descriptor and a same-user check per client. */
export function listenWindowsPipe(handler: AgentConnectionHandler, options: PipeListenerOptions): PipeListener {
  const api = win32();
  const own = ownSids(api);
  const expectedSid = options.expectedUserSid ?? own.user;
  const security = securityAttributes(api, pipeSecuritySddl(own.user));
  const sockets = new Set<Socket>();
  let current: PendingInstance | null = null;
  let closed = false;
  // Pending waits are not libuv handles: keep the process alive while we listen.
  const keepAlive = setInterval(() => undefined, 1 << 30);

  const createInstance = (first: boolean): unknown => {
    const openMode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    const pipeMode = PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
    const h = api.CreateNamedPipeW(options.path, openMode, pipeMode, PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, security.sa);
    if (isBadHandle(h)) {
      const code = api.GetLastError() as number;
      if (code === ERROR_ACCESS_DENIED) {
        throw new KeyDockError(
          'pipe-in-use',
          `Another program already serves ${options.path}, so KeyDock cannot listen there.`,
          'Stop that program (or use it as your agent) and start KeyDock\'s agent again.',
          { exitCode: 2 },
        );
      }
      throw new KeyDockError('pipe-listen-failed', `Windows refused to create the pipe ${options.path} (error ${code}).`, 'Check that the name is valid and that no policy blocks named pipes.', { exitCode: 2 });
    }
    return h;
  };

  const accept = (handle: unknown): void => {
    const pidOut = [0];
    const pid = api.GetNamedPipeClientProcessId(handle, pidOut) ? (pidOut[0] as number) : null;
    const ident = pid === null ? { userSid: null, exe: null } : processIdentity(api, pid);
    const verdict: PeerVerdict = judgePipePeer({ pid, userSid: ident.userSid }, expectedSid);
    if (!verdict.ok) {
      api.DisconnectNamedPipe(handle);
      api.CloseHandle(handle);
      options.onRefused?.({ pid, exe: ident.exe, reason: verdict.reason });
      return;
    }
    const fd = api.uv_open_osfhandle(handle) as number;
    if (fd < 0) {
      api.CloseHandle(handle);
      options.onError?.(new Error(`uv_open_osfhandle failed (${fd}) for a connection on ${options.path}`));
      return;
    }
    const socket = new Socket({ fd, readable: true, writable: true });
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const client: ClientInfo = { transport: options.transport, pid: pid ?? undefined, exe: ident.exe ?? undefined };
    handler.serveStream(socket, client);
  };

  const releaseWait = (entry: PendingInstance): void => {
    pending.delete(entry.id);
    if (entry.wait) api.UnregisterWaitEx(entry.wait, null);
    entry.wait = null;
  };

  const freeInstance = (entry: PendingInstance): void => {
    api.CloseHandle(entry.event);
    koffi.free(entry.overlapped);
  };

  const arm = (first: boolean): void => {
    if (closed) return;
    const handle = createInstance(first);
    const event = api.CreateEventW(null, 1, 0, null);
    const overlapped = koffi.alloc(api.OVERLAPPED, 1);
    koffi.encode(overlapped, api.OVERLAPPED, { Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: event });
    const entry: PendingInstance = { id: nextId++, handle, overlapped, event, wait: null, onConnected: () => undefined };
    const connected = (): void => {
      releaseWait(entry);
      if (current === entry) current = null;
      const transferred = [0];
      const ok = api.GetOverlappedResult(handle, overlapped, transferred, 0) || (api.GetLastError() as number) === ERROR_PIPE_CONNECTED;
      freeInstance(entry);
      if (closed || !ok) {
        api.CloseHandle(handle);
      } else {
        // A fresh instance first, so the next client never finds the pipe missing.
        rearm();
        accept(handle);
        return;
      }
      if (!closed) rearm();
    };
    entry.onConnected = connected;
    current = entry;
    const ok = api.ConnectNamedPipe(handle, overlapped);
    const err = ok ? 0 : (api.GetLastError() as number);
    if (ok || err === ERROR_PIPE_CONNECTED) {
      // Connected between creation and ConnectNamedPipe: no wait needed.
      current = null;
      freeInstance(entry);
      rearm();
      accept(handle);
      return;
    }
    if (err !== ERROR_IO_PENDING) {
      current = null;
      freeInstance(entry);
      api.CloseHandle(handle);
      throw new KeyDockError('pipe-listen-failed', `Waiting for clients on ${options.path} failed (Windows error ${err}).`, 'Restart KeyDock\'s agent.', { exitCode: 2 });
    }
    pending.set(entry.id, entry);
    const waitOut: unknown[] = [null];
    if (!api.RegisterWaitForSingleObject(waitOut, event, sharedWaitCallback(api), entry.id, INFINITE, WT_EXECUTEONLYONCE)) {
      const code = api.GetLastError() as number;
      pending.delete(entry.id);
      current = null;
      api.CancelIoEx(handle, overlapped);
      api.GetOverlappedResult(handle, overlapped, [0], 1);
      freeInstance(entry);
      api.CloseHandle(handle);
      throw new KeyDockError('pipe-listen-failed', `Could not wait for clients on ${options.path} (Windows error ${code}).`, 'Restart KeyDock\'s agent.', { exitCode: 2 });
    }
    entry.wait = waitOut[0];
  };

  const rearm = (): void => {
    try {
      arm(false);
    } catch (e) {
      options.onError?.(e instanceof Error ? e : new Error(String(e)));
    }
  };

  try {
    arm(true);
  } catch (e) {
    clearInterval(keepAlive);
    security.free();
    throw e;
  }

  return {
    path: options.path,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      const entry = current;
      current = null;
      if (entry) {
        releaseWait(entry);
        api.CancelIoEx(entry.handle, entry.overlapped);
        // Wait for the cancellation to land before the OVERLAPPED memory is freed.
        api.GetOverlappedResult(entry.handle, entry.overlapped, [0], 1);
        freeInstance(entry);
        api.CloseHandle(entry.handle);
      }
      for (const s of sockets) s.destroy();
      sockets.clear();
      security.free();
    },
  };
}
