import { toAppError, KeyDockError } from '../util/errors';
import type { CliIo } from './io';

export interface OutputOptions {
  json: boolean;
}

// Control characters a terminal acts on (C0 but tab and newline, DEL, C1) and the bidirectional
// overrides that reorder what is shown. Comments and file names come from files anyone can write.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- as above
const UNSAFE_IN_A_CELL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string) => {
  const code = c.codePointAt(0)!;
  // As ssh-keygen -l prints them (vis(3) octal) for bytes; \u{…} above one byte.
  return code < 0x100 ? `\\${code.toString(8).padStart(3, '0')}` : `\\u{${code.toString(16)}}`;
};

/** Text for a terminal: every control character a file could smuggle in is shown escaped. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** One value on one line of human output (a comment, a path): newlines escaped too. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE_IN_A_CELL, escapeChar);
}

/** Prints a command's success: the object as JSON (exact), or the human text (terminal-safe). */
export function printSuccess(io: CliIo, opts: OutputOptions, value: Record<string, unknown>, human: () => string): void {
  if (opts.json) io.stdout.write(JSON.stringify({ ok: true, ...value }, null, 2) + '\n');
  else {
    const text = terminalSafe(human());
    if (text) io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }
}

/** Prints a failure as `{ok:false,error}` or plain words with the hint; returns the exit code. */
export function printFailure(io: CliIo, opts: OutputOptions, e: unknown): 1 | 2 {
  const error = toAppError(e);
  const exitCode = e instanceof KeyDockError ? e.exitCode : 1;
  if (opts.json) io.stdout.write(JSON.stringify({ ok: false, error }, null, 2) + '\n');
  else {
    io.stderr.write(`keydock: ${terminalSafe(error.message)}\n`);
    if (error.hint) io.stderr.write(`  hint: ${terminalSafe(error.hint)}\n`);
  }
  return exitCode;
}

/** Renders rows as an aligned plain-text table for terminals. */
export function table(headers: string[], rawRows: string[][]): string {
  const rows = rawRows.map((r) => r.map(oneLine));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
