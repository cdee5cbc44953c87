import { readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import koffi from 'koffi';

/** Who is on the other end of a Unix socket, as the kernel reports it. */
export interface PeerCredentials {
  uid: number;
  gid: number;
  /** Linux tells the pid (SO_PEERCRED); getpeereid() on macOS/BSD does not. */
  pid: number | null;
}

type Reader = (fd: number) => PeerCredentials | null;

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

let reader: Reader | null | undefined;

/** Binds the libc call once: SO_PEERCRED on Linux, getpeereid() on macOS/BSD; null where neither exists. */
function loadReader(): Reader | null {
  if (reader !== undefined) return reader;
  reader = null;
  try {
    if (process.platform === 'linux') {
      // SO_PEERCRED is 17 on x86, ARM and most Linux ports; 21 on PowerPC; other values are not guessed.
      if (!['x64', 'arm64', 'arm', 'ia32', 'riscv64', 's390x'].includes(process.arch)) return null;
      const libc = koffi.load('libc.so.6');
      const ucred = koffi.struct('keydock_ucred', { pid: 'int32', uid: 'uint32', gid: 'uint32' });
      const getsockopt = libc.func('int getsockopt(int fd, int level, int optname, _Out_ keydock_ucred *optval, _Inout_ uint32_t *optlen)');
      void ucred;
      reader = (fd) => {
        const out: { pid?: number; uid?: number; gid?: number } = {};
        const len = [12];
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, out, len) !== 0 || len[0] !== 12) return null;
        if (out.uid === undefined || out.gid === undefined) return null;
        return { uid: out.uid, gid: out.gid, pid: out.pid && out.pid > 0 ? out.pid : null };
      };
    } else if (process.platform === 'darwin' || process.platform === 'freebsd' || process.platform === 'openbsd') {
      const libc = koffi.load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.7');
      const getpeereid = libc.func('int getpeereid(int fd, _Out_ uint32_t *uid, _Out_ uint32_t *gid)');
      reader = (fd) => {
        const uid = [0];
        const gid = [0];
        if (getpeereid(fd, uid, gid) !== 0) return null;
        return { uid: uid[0] as number, gid: gid[0] as number, pid: null };
      };
    }
  } catch {
    reader = null;
  }
  return reader;
}

/** The file descriptor Node keeps for an accepted Unix socket (not public API, stable since Node 0.x). */
function socketFd(socket: Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

/** Asks the kernel who connected; null when it cannot be found out (caller must then drop the connection). */
export function peerCredentials(socket: Socket): PeerCredentials | null {
  const read = loadReader();
  const fd = socketFd(socket);
  if (!read || fd === null) return null;
  try {
    return read(fd);
  } catch {
    return null;
  }
}

/** True when this platform lets us check who connects (used by serve to say so up front). */
export function peerCredentialsSupported(): boolean {
  return loadReader() !== null;
}

/** The requesting program's path, for prompts and the activity log; null when the OS does not say. */
export async function processExecutable(pid: number | null): Promise<string | null> {
  if (pid === null || process.platform !== 'linux') return null;
  try {
    return await readlink(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}
