import type { AgentConnectionHandler } from '../../server/types';
import { KeyDockError } from '../../../util/errors';
import { inspectOpenSshPipe, type OpenSshPipePlan } from './openssh-service';
import { currentPageantMutexName, currentPageantPipeName } from './pageant-identity';
import { PAGEANT_WINDOW_CLASS } from './pageant-names';
import { openPageantWindow, type PageantWindow } from './pageant-window';
import { probePipe } from './pipe-client';
import { listenWindowsPipe, type PipeListener } from './pipe-server';
import { OPENSSH_AGENT_PIPE } from '../../../platform/windows/pipe-names';
import { WAIT_ABANDONED, WAIT_OBJECT_0, isBadHandle, ownSids, win32 } from '../../../platform/windows/win32';

// All three Windows transports of KeyDock's agent at once (issue #6): the Pageant window,
// the Pageant named pipe and the OpenSSH pipe. `keydock serve` and the app call this.

export interface WindowsTransportOptions {
  pageantWindow?: boolean;
  pageantPipe?: boolean;
  opensshPipe?: boolean;
  /** Overrides for tests (defaults: PuTTY's derived pipe name and OPENSSH_AGENT_PIPE). */
  pageantPipePath?: string;
  opensshPipePath?: string;
  pageantWindowClass?: string;
  /** Test hook: the user SID peers must run as. */
  expectedUserSid?: string;
  /** Log lines for refused peers, size limits and late errors. */
  onEvent?: (event: { transport: string; kind: 'refused' | 'limit' | 'error'; detail: string }) => void;
}

export interface WindowsEndpoints {
  pageantWindow?: string;
  pageantPipe?: string;
  opensshPipe?: string;
}

export interface WindowsTransports {
  endpoints: WindowsEndpoints;
  stop(): Promise<void>;
}

/** Turns an OpenSSH-pipe conflict into the error the CLI and UI show, with both choices spelled out. */
export function openSshConflictError(plan: Extract<OpenSshPipePlan, { action: 'conflict' }>): KeyDockError {
  const hint = plan.choices.map((c, i) => `${i + 1}) ${c.label}${c.requiresAdmin ? ' (needs administrator rights)' : ''}: ${c.how}`).join('  ');
  return new KeyDockError('openssh-pipe-busy', `${plan.detail} KeyDock did not start listening there.`, hint, { exitCode: 2 });
}

// Pageant holds this mutex while it decides whether it is the server; so do we, so that a
// Pageant started at the same moment and KeyDock never both think they won.
async function withPageantMutex<T>(fn: () => Promise<T>): Promise<T> {
  const api = win32();
  const mutex = api.CreateMutexW(null, 0, currentPageantMutexName(api));
  if (isBadHandle(mutex)) return fn();
  const got = await new Promise<number>((resolve) => api.WaitForSingleObject.async(mutex, 10_000, (_e: unknown, r: number) => resolve(r)));
  try {
    return await fn();
  } finally {
    if (got === WAIT_OBJECT_0 || got === WAIT_ABANDONED) api.ReleaseMutex(mutex);
    api.CloseHandle(mutex);
  }
}

/** Starts the requested Windows transports; stops whatever started if one of them cannot. */
export async function startWindowsTransports(handler: AgentConnectionHandler, options: WindowsTransportOptions): Promise<WindowsTransports> {
  const api = win32();
  const own = ownSids(api);
  const emit = options.onEvent ?? (() => undefined);
  const started: Array<{ close(): Promise<void> }> = [];
  const endpoints: WindowsEndpoints = {};
  const stop = async () => {
    for (const s of started.splice(0).reverse()) await s.close();
  };
  const listenPipe = (path: string, transport: 'openssh-pipe' | 'pageant-pipe'): PipeListener =>
    listenWindowsPipe(handler, {
      path,
      transport,
      expectedUserSid: options.expectedUserSid,
      onRefused: (i) => emit({ transport, kind: 'refused', detail: `${i.exe ?? 'unknown program'}: ${i.reason}` }),
      onError: (e) => emit({ transport, kind: 'error', detail: e.message }),
    });
  try {
    await withPageantMutex(async () => {
      if (options.opensshPipe) {
        const path = options.opensshPipePath ?? OPENSSH_AGENT_PIPE;
        const plan = inspectOpenSshPipe(path, own.user);
        if (plan.action === 'conflict') throw openSshConflictError(plan);
        started.push(listenPipe(path, 'openssh-pipe'));
        endpoints.opensshPipe = path;
      }
      if (options.pageantPipe) {
        const path = options.pageantPipePath ?? currentPageantPipeName(api);
        if (probePipe(path).exists) {
          throw new KeyDockError('pageant-running', `Pageant (or another agent) already serves ${path}.`, 'Quit Pageant — after listing its keys with `keydock list --agent pageant` and adding the same key files to KeyDock — then start KeyDock\'s agent again.', { exitCode: 2 });
        }
        started.push(listenPipe(path, 'pageant-pipe'));
        endpoints.pageantPipe = path;
      }
      if (options.pageantWindow) {
        const w: PageantWindow = await openPageantWindow(handler, {
          className: options.pageantWindowClass ?? PAGEANT_WINDOW_CLASS,
          expectedUserSid: options.expectedUserSid,
          onRefused: (reason) => emit({ transport: 'pageant-window', kind: 'refused', detail: reason }),
          onLimit: (reason) => emit({ transport: 'pageant-window', kind: 'limit', detail: reason }),
        });
        started.push(w);
        endpoints.pageantWindow = w.className;
      }
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { endpoints, stop };
}

export { inspectOpenSshPipe, planOpenSshPipe, queryOpenSshService, stopAndDisableOpenSshService } from './openssh-service';
export { currentPageantPipeName } from './pageant-identity';
