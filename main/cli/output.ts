import { toAppError, KeyDockError } from '../util/errors';
import type { CliIo } from './io';

export interface OutputOptions {
  json: boolean;
}

/** Prints a command's success: the object as JSON, or the human text. */
export function printSuccess(io: CliIo, opts: OutputOptions, value: Record<string, unknown>, human: () => string): void {
  if (opts.json) io.stdout.write(JSON.stringify({ ok: true, ...value }, null, 2) + '\n');
  else {
    const text = human();
    if (text) io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }
}

/** Prints a failure as `{ok:false,error}` or plain words with the hint; returns the exit code. */
export function printFailure(io: CliIo, opts: OutputOptions, e: unknown): 1 | 2 {
  const error = toAppError(e);
  const exitCode = e instanceof KeyDockError ? e.exitCode : 1;
  if (opts.json) io.stdout.write(JSON.stringify({ ok: false, error }, null, 2) + '\n');
  else {
    io.stderr.write(`keydock: ${error.message}\n`);
    if (error.hint) io.stderr.write(`  hint: ${error.hint}\n`);
  }
  return exitCode;
}

/** Renders rows as an aligned plain-text table for terminals. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
