import { z } from 'zod';

/** Every failure that crosses IPC or the CLI: a stable code for programs, words for people. */
export const AppErrorSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
  hint: z.string(),
});
export type AppError = z.infer<typeof AppErrorSchema>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

/** Wraps a value schema into the Result envelope so responses are validated like requests. */
export function resultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: AppErrorSchema }),
  ]);
}

/** Builds a success Result without repeating the envelope everywhere. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Builds a failure Result; the hint tells the user what to do next. */
export function fail<T = never>(code: string, message: string, hint = ''): Result<T> {
  return { ok: false, error: { code, message, hint } };
}

export { IpcErrorCode } from './ipc-error-codes';
