import type { AppError } from '../../shared/result';
import { IpcErrorCode } from '../../shared/ipc-error-codes';

/** A failure a user can act on: services throw it, the IPC layer and the CLI turn it into output. */
export class KeyDockError extends Error {
  /** CLI exit status: 1 = the operation failed, 2 = usage or environment (no agent, bad path). */
  readonly exitCode: 1 | 2;

  constructor(
    readonly code: string,
    message: string,
    readonly hint = '',
    options?: { cause?: unknown; exitCode?: 1 | 2 },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeyDockError';
    this.exitCode = options?.exitCode ?? 1;
  }

  toJSON(): AppError {
    return { code: this.code, message: this.message, hint: this.hint };
  }
}

/** Turns anything thrown into an AppError without leaking stack traces or internals to users. */
export function toAppError(e: unknown): AppError {
  if (e instanceof KeyDockError) return e.toJSON();
  const message = e instanceof Error ? e.message : String(e);
  return {
    code: IpcErrorCode.internal,
    message: `Something went wrong inside KeyDock: ${message}`,
    hint: 'Try again; if it keeps happening, run the same action with the keydock CLI and --json to see details.',
  };
}
