import { statSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { KeyDockError } from '../util/errors';

/** Pseudo-path naming PuTTY's Pageant (pipe first, then its window, as PuTTY does). */
export const PAGEANT_ID = 'pageant';

const isPipePath = (p: string) => /^(\\\\|\/\/)\.[\\/]pipe[\\/]/i.test(p);

/** Turns a connect failure into words a user can act on. */
function unreachable(path: string, e: NodeJS.ErrnoException): KeyDockError {
  // Linux answers ECONNREFUSED for a regular file too: say what the path really is.
  if (e.code === 'ECONNREFUSED') {
    const st = (() => {
      try {
        return statSync(path);
      } catch {
        return null;
      }
    })();
    if (st && !st.isSocket()) e = Object.assign(new Error(e.message), { code: 'ENOTSOCK' });
  }
  const why: Record<string, string> = {
    ENOENT: 'there is no agent socket at that path (the agent is not running, or the path is stale)',
    ECONNREFUSED: 'nothing is listening on it any more (the agent has stopped and left its socket behind)',
    EACCES: 'you do not have permission to use it',
    ENOTSOCK: 'that path is not an agent socket but an ordinary file or folder',
    ENOTDIR: 'a part of the path is not a folder',
    ETIMEDOUT: 'it did not answer in time',
  };
  return new KeyDockError(
    'agent-unreachable',
    `Cannot reach the SSH agent at ${path}: ${why[e.code ?? ''] ?? e.message}.`,
    'Start an agent (`eval "$(ssh-agent)"` or `keydock serve`) and make sure SSH_AUTH_SOCK points at it, or pick another agent.',
    { exitCode: 2, cause: e },
  );
}

/**
 * Opens a connection to an agent: a Unix socket path, a Windows pipe (`\\.\pipe\…` or
 * `//./pipe/…`, owner-checked), or `pageant`. Resolves once connected.
 */
export async function openAgentStream(path: string, timeoutMs = 5000): Promise<Duplex> {
  if (path === PAGEANT_ID) {
    const { openPageantStream } = await import('./transports/pageant-client');
    return (await openPageantStream()).stream;
  }
  if (isPipePath(path) && process.platform === 'win32') {
    const { openOpenSshPipeStream } = await import('./transports/pageant-client');
    return openOpenSshPipeStream(path.replace(/\//g, '\\'));
  }
  return new Promise<Duplex>((resolve, reject) => {
    const socket = createConnection({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(unreachable(path, Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unreachable(path, e));
    });
  });
}
