import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AgentConnectionHandler, ClientInfo } from '../../server/types';
import { KeyDockError } from '../../../util/errors';
import { fitCopyDataReply, mappingNameFromCopyData, planCopyDataRequest, PAGEANT_MAX_MESSAGE } from './copydata-policy';
import { PAGEANT_WINDOW_CLASS } from './pageant-names';
import { pageantWindowThread, type WindowThreadData, type WindowThreadMessage } from './pageant-window-thread';
import { judgeMappingOwner, normalizeSid, sameSid } from '../../../platform/windows/sid-policy';
import { isBadHandle, ownSids, win32 } from '../../../platform/windows/win32';

// Pageant's WM_COPYDATA transport (docs/agent-protocol.md §2.2): a hidden window of class and title
// "Pageant" owned by a dedicated thread (see pageant-window-thread.ts for why), whose
// requests are answered by the agent on this thread.

export interface PageantWindowOptions {
  /** Test hook: the user SID a request mapping must be owned by (default: this process's user). */
  expectedUserSid?: string;
  /** How long a client may wait for an answer (PuTTY waits forever; confirm prompts take minutes). */
  replyTimeoutMs?: number;
  /** Window class and title; tests may use another so they never meet a real Pageant. */
  className?: string;
  onRefused?: (reason: string) => void;
  onLimit?: (reason: string) => void;
}

export interface PageantWindow {
  readonly className: string;
  close(): Promise<void>;
}

const WM_QUIT = 0x0012;

// The worker runs from source text so that bundlers (electron-vite, rolldown) need no extra
// entry: the thread body and the pure rules it applies are inlined as their compiled source.
/**
 * Source text that declares the pure rules and evaluates to the policy object the window
 * thread uses; exported so a unit test can check that it survives being turned into text.
 */
export function windowPolicySource(): string {
  // Declared under the name the compiled source uses (a bundler may have renamed it).
  const declare = (f: (...args: never[]) => unknown): { name: string; code: string } => {
    const code = f.toString();
    const name = /^function\s+([\w$]+)\s*\(/.exec(code)?.[1] ?? f.name;
    return { name, code: code.startsWith('function') ? code : `function ${name}${code.slice(code.indexOf('('))}` };
  };
  const pure = { mappingNameFromCopyData, planCopyDataRequest, fitCopyDataReply, judgeMappingOwner, sameSid, normalizeSid };
  const decls = Object.entries(pure).map(([key, f]) => ({ key, ...declare(f as (...args: never[]) => unknown) }));
  const policy = decls.filter((d) => !['sameSid', 'normalizeSid'].includes(d.key)).map((d) => `${d.key}: ${d.name}`).join(', ');
  return `(() => {
const __name = (f) => f;
${decls.map((d) => d.code).join('\n')}
return { ${policy} };
})()`;
}

function workerSource(): string {
  return `
const __name = (f) => f;
const policy = ${windowPolicySource()};
const run = ${pageantWindowThread.toString()};
(async () => {
  const { workerData, parentPort } = await import('node:worker_threads');
  const koffiModule = await import(workerData.koffiUrl);
  const koffi = koffiModule.default ?? koffiModule;
  const post = (m) => parentPort.postMessage(m);
  try {
    run(koffi, workerData, post, policy);
  } catch (e) {
    post({ type: 'failed', message: String(e && e.stack || e) });
  }
})();
`;
}

function koffiUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('koffi')).href;
}

/** Opens Pageant's hidden window and answers WM_COPYDATA requests with the given agent. */
export async function openPageantWindow(handler: AgentConnectionHandler, options: PageantWindowOptions = {}): Promise<PageantWindow> {
  const api = win32();
  const own = ownSids(api);
  const className = options.className ?? PAGEANT_WINDOW_CLASS;
  if (!isBadHandle(api.FindWindowW(className, className))) {
    throw new KeyDockError(
      'pageant-running',
      'Pageant is already running, so KeyDock cannot answer PuTTY tools in its place.',
      'Quit Pageant (after importing its keys into KeyDock if you want them: `keydock list --agent pageant` shows them; add the same key files to KeyDock), then start KeyDock\'s agent again.',
      { exitCode: 2 },
    );
  }
  const control = new SharedArrayBuffer(12);
  const reply = new SharedArrayBuffer(PAGEANT_MAX_MESSAGE + 4);
  const controlView = new Int32Array(control);
  const replyView = new Uint8Array(reply);
  const data: WindowThreadData = {
    koffiUrl: koffiUrl(),
    className,
    title: className,
    userSid: options.expectedUserSid ?? own.user,
    // With an injected user SID (tests), the default-owner escape must not let requests through.
    defaultOwnerSid: options.expectedUserSid ? options.expectedUserSid : own.defaultOwner,
    control,
    reply,
    replyTimeoutMs: options.replyTimeoutMs ?? 10 * 60_000,
  };
  const worker = new Worker(workerSource(), { eval: true, workerData: data });
  const client: ClientInfo = { transport: 'pageant-window' };

  const answer = async (id: number, frame: Uint8Array): Promise<void> => {
    let out: Buffer;
    try {
      out = await handler.handleFrame(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), client);
    } catch {
      out = Buffer.from([0, 0, 0, 1, 5]);
    }
    if (out.length > replyView.length) out = Buffer.from([0, 0, 0, 1, 5]);
    // Claim the slot first: if the window thread already gave up on this request, drop the answer.
    if (Atomics.compareExchange(controlView, 2, id, -id) !== id) return;
    replyView.set(out);
    Atomics.store(controlView, 1, out.length);
    Atomics.store(controlView, 0, 1);
    Atomics.notify(controlView, 0);
  };

  let threadId = 0;
  let stopped: Promise<void> | null = null;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: WindowThreadMessage) => {
      switch (m.type) {
        case 'ready':
          threadId = m.threadId;
          resolve();
          break;
        case 'failed':
          reject(new KeyDockError('pageant-window-failed', `KeyDock could not open Pageant's window: ${m.message}`, 'PuTTY tools that use the Pageant pipe still work; report this if it persists.', { exitCode: 2 }));
          break;
        case 'request':
          void answer(m.id, m.frame);
          break;
        case 'refused':
          options.onRefused?.(m.reason);
          break;
        case 'limit':
          options.onLimit?.(m.reason);
          break;
        case 'stopped':
          break;
      }
    });
    worker.once('error', (e) => reject(e));
    worker.once('exit', (code) => reject(new Error(`Pageant window thread exited early (code ${code})`)));
  });

  return {
    className,
    close() {
      stopped ??= (async () => {
        api.PostThreadMessageW(threadId, WM_QUIT, 0, 0);
        await exited;
      })();
      return stopped;
    },
  };
}
