import { Socket } from 'node:net';
import { KeyDockError } from '../../../util/errors';
import { judgePipeOwner } from '../../../platform/windows/sid-policy';
import {
  ERROR_FILE_NOT_FOUND,
  ERROR_PIPE_BUSY,
  FILE_FLAG_OVERLAPPED,
  GENERIC_READ,
  GENERIC_WRITE,
  OPEN_EXISTING,
  handleOwnerSid,
  isBadHandle,
  processIdentity,
  win32,
  type Win32,
} from '../../../platform/windows/win32';

// Client side of a Windows named pipe with the check PuTTY's client makes: who owns the pipe
// (docs/agent-protocol.md §2.3). Node's net.connect cannot tell, so the pipe is opened with
// CreateFileW, checked, and then handed to libuv as an ordinary net.Socket.

export interface PipeProbe {
  exists: boolean;
  /** True when every instance was busy (it exists, we could not look closer). */
  busy?: boolean;
  ownerSid?: string | null;
  serverPid?: number | null;
  serverUserSid?: string | null;
  serverExe?: string | null;
}

async function openPipeHandle(api: Win32, path: string, access: number, flags: number, waitMs: number): Promise<unknown> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const h = api.CreateFileW(path, access, 0, null, OPEN_EXISTING, flags, null);
    if (!isBadHandle(h)) return h;
    const code = api.GetLastError() as number;
    if (code === ERROR_FILE_NOT_FOUND) {
      throw new KeyDockError('agent-unreachable', `No agent is listening on ${path}.`, 'Start Pageant, the OpenSSH Authentication Agent service, or KeyDock\'s agent (`keydock serve --pageant --openssh-pipe`).', { exitCode: 2 });
    }
    if (code !== ERROR_PIPE_BUSY || Date.now() >= deadline) {
      throw new KeyDockError('agent-unreachable', `Could not open ${path} (Windows error ${code}).`, code === ERROR_PIPE_BUSY ? 'The agent is busy with other clients; try again.' : 'Check that the agent runs as your user.', { exitCode: 2 });
    }
    // All instances busy: WaitNamedPipe blocks, so run it off the JS thread.
    await new Promise<void>((resolve) => api.WaitNamedPipeW.async(path, Math.max(1, Math.min(1000, deadline - Date.now())), () => resolve()));
  }
}

/**
 * Opens `path` and returns it as a socket only if the pipe's owner is one of `acceptedOwners`
 * (Pageant pipe: the user; OpenSSH service pipe: the user, SYSTEM or Administrators).
 */
export async function openCheckedPipe(path: string, acceptedOwners: string[], options: { waitMs?: number } = {}): Promise<Socket> {
  const api = win32();
  const handle = await openPipeHandle(api, path, GENERIC_READ | GENERIC_WRITE, FILE_FLAG_OVERLAPPED, options.waitMs ?? 5000);
  const verdict = judgePipeOwner(handleOwnerSid(api, handle), acceptedOwners);
  if (!verdict.ok) {
    api.CloseHandle(handle);
    throw new KeyDockError('agent-impostor', `Refusing to use ${path}: ${verdict.reason}.`, 'Another user or program may be posing as your agent. Quit it, or ask an administrator to check who creates this pipe.', { exitCode: 1 });
  }
  const fd = api.uv_open_osfhandle(handle) as number;
  if (fd < 0) {
    api.CloseHandle(handle);
    throw new KeyDockError('agent-unreachable', `Could not use the pipe ${path} (libuv error ${fd}).`, 'Try again; report this if it persists.', { exitCode: 2 });
  }
  return new Socket({ fd, readable: true, writable: true });
}

/** Looks at who serves a pipe, without talking to it (the connection is closed at once). */
export function probePipe(path: string): PipeProbe {
  const api = win32();
  const h = api.CreateFileW(path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
  if (isBadHandle(h)) {
    const code = api.GetLastError() as number;
    if (code === ERROR_FILE_NOT_FOUND) return { exists: false };
    return { exists: true, busy: code === ERROR_PIPE_BUSY };
  }
  try {
    const pidOut = [0];
    const serverPid = api.GetNamedPipeServerProcessId(h, pidOut) ? (pidOut[0] as number) : null;
    const ident = serverPid === null ? { userSid: null, exe: null } : processIdentity(api, serverPid);
    return { exists: true, ownerSid: handleOwnerSid(api, h), serverPid, serverUserSid: ident.userSid, serverExe: ident.exe };
  } finally {
    api.CloseHandle(h);
  }
}
