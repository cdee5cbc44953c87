import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { KeyDockError } from '../../util/errors';
import type { AgentConnectionHandler, ClientInfo } from '../server/types';
import { peerCredentials, processExecutable } from './peer-cred';

/** sun_path is 108 bytes on Linux, 104 on macOS/BSD, NUL included. */
const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103;

export interface UnixListenOptions {
  /** Called when a connection is dropped before serving (other user, or cannot tell); for logs. */
  onRefused?: (reason: string, info: { uid: number | null; pid: number | null }) => void;
  /**
   * A listening socket inherited from the service manager (systemd socket activation: fd 3).
   * PATH is then only its name: the socket is not created, re-moded or removed here.
   */
  fd?: number;
}

export interface UnixListener {
  readonly path: string;
  /** Stops accepting, closes open connections and removes the socket file (if still ours). */
  close(): Promise<void>;
}

/**
 * Serves the agent on a Unix socket: mode 0600, parent directory created 0700 when missing,
 * a stale socket (nothing answers) replaced, a live one refused, and every peer checked to
 * run as our own uid or as root, as OpenSSH's agent checks (connections we cannot check are
 * dropped; refusals name the peer's uid and, on Linux, its pid).
 */
export async function listenUnix(handler: AgentConnectionHandler, path: string, options: UnixListenOptions = {}): Promise<UnixListener> {
  const inherited = options.fd !== undefined;
  if (!inherited && Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new KeyDockError('socket-path-too-long', `The socket path is ${Buffer.byteLength(path)} bytes; Unix sockets allow at most ${MAX_SOCKET_PATH}.`, 'Choose a shorter path with --socket, e.g. under /tmp.', { exitCode: 2 });
  }
  if (!inherited) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await clearStaleSocket(path);
  }

  const myUid = process.getuid?.() ?? -1;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const cred = peerCredentials(socket);
    if (cred === null) {
      options.onRefused?.('cannot check who connected (no SO_PEERCRED/getpeereid here)', { uid: null, pid: null });
      socket.destroy();
      return;
    }
    if (!peerAllowed(cred.uid, myUid)) {
      options.onRefused?.(`connection from uid ${cred.uid}${cred.pid !== null ? ` (pid ${cred.pid})` : ''}, not ours (${myUid}) nor root`, { uid: cred.uid, pid: cred.pid });
      socket.destroy();
      return;
    }
    void processExecutable(cred.pid).then((exe) => {
      if (socket.destroyed) return;
      const client: ClientInfo = { transport: 'unix', uid: cred.uid, ...(cred.pid !== null ? { pid: cred.pid } : {}), ...(exe ? { exe } : {}) };
      handler.serveStream(socket, client);
      socket.resume();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, path)));
    if (inherited) server.listen({ fd: options.fd as number }, () => resolve());
    else server.listen(path, () => resolve());
  });
  server.removeAllListeners('error');
  server.on('error', () => {});
  if (!inherited) await chmod(path, 0o600);
  const inode = inherited ? null : (await lstat(path)).ino;

  let closed: Promise<void> | null = null;
  // An inherited socket is named by what the kernel says it is bound to.
  const bound = inherited ? server.address() : null;
  return {
    path: typeof bound === 'string' && bound !== '' ? bound : path,
    close() {
      closed ??= (async () => {
        const done = new Promise<void>((r) => server.close(() => r()));
        for (const s of sockets) s.destroy();
        await done;
        if (inode === null) return;
        try {
          if ((await lstat(path)).ino === inode) await unlink(path);
        } catch {
          // already gone
        }
      })();
      return closed;
    },
  };
}

/** Who may talk to the agent: its own user, and root (who could read its memory anyway), as ssh-agent decides. */
export function peerAllowed(peerUid: number, ownUid: number): boolean {
  return peerUid === ownUid || peerUid === 0;
}

/** Removes a socket file nobody listens on; refuses when an agent answers or the path is not a socket. */
async function clearStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) {
    throw new KeyDockError('socket-path-taken', `${path} exists and is not a socket.`, 'Pick another path with --socket, or remove that file if you know it is not needed.', { exitCode: 2 });
  }
  if (await somethingAnswers(path)) {
    throw new KeyDockError('agent-already-running', `Another agent is already listening on ${path}.`, 'Stop that agent first, or pick another path with --socket.', { exitCode: 2 });
  }
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function somethingAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(true); // a listener that accepts but stalls is still alive
    }, 2000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code !== 'ECONNREFUSED' && e.code !== 'ENOENT' ? true : false);
    });
  });
}

function listenError(e: NodeJS.ErrnoException, path: string): Error {
  if (e.code === 'EADDRINUSE') return new KeyDockError('agent-already-running', `Another process took ${path} while KeyDock was starting.`, 'Pick another path with --socket.', { exitCode: 2 });
  if (e.code === 'EACCES') return new KeyDockError('socket-permission-denied', `KeyDock may not create a socket at ${path}.`, 'Pick a directory you own with --socket.', { exitCode: 2 });
  return new KeyDockError('socket-listen-failed', `Could not listen on ${path}: ${e.message}`, 'Pick another path with --socket.', { exitCode: 2, cause: e });
}
