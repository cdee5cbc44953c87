// Entry of the worker threads that inspect key files (the pool lives in ./inspect.ts). Reading
// and checking a key is bounded work, yet it is the only CPU-heavy thing a key-list refresh does,
// and the process that refreshes the list also serves the window and KeyDock's own agent: the
// parsing happens here so neither waits for it, and a file that still took too long is ended
// with its thread. Built as its own entry by scripts/build-cli.mjs and electron.vite.config.ts;
// from source (tsx, vitest) ./inspect.ts starts it through tsx.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { AppError } from '../../shared/result';
import { KeyDockError } from '../util/errors';
import { INSPECT_WORKER_MARK, inspectKeyFileHere, type InspectedKeyFile } from './inspect';

/** What the pool asks: inspect this path without a passphrase, as on this platform. */
export interface InspectRequest {
  id: number;
  path: string;
  platform: NodeJS.Platform;
}

/** The worker's first message, and its answers (KeyDockErrors travel as their fields). */
export type InspectWorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; id: number; info: InspectedKeyFile }
  | { type: 'failed'; id: number; error: AppError & { exitCode: 1 | 2 } }
  | { type: 'crashed'; id: number; message: string };

async function answer(req: InspectRequest): Promise<InspectWorkerMessage> {
  try {
    return { type: 'done', id: req.id, info: await inspectKeyFileHere(req.path, { platform: req.platform }) };
  } catch (e) {
    if (e instanceof KeyDockError) return { type: 'failed', id: req.id, error: { ...e.toJSON(), exitCode: e.exitCode } };
    return { type: 'crashed', id: req.id, message: e instanceof Error ? e.message : String(e) };
  }
}

// Only in a thread the pool started: importing this file anywhere else does nothing.
if (!isMainThread && parentPort && (workerData as { mark?: string } | null)?.mark === INSPECT_WORKER_MARK) {
  const port = parentPort;
  port.on('message', (req: InspectRequest) => {
    void answer(req).then((m) => port.postMessage(m));
  });
  port.postMessage({ type: 'ready' } satisfies InspectWorkerMessage);
}
