import { PassThrough } from 'node:stream';
import type { CliIo } from '../../main/cli/io';
import { runCli } from '../../main/cli/program';

/** A stdin that gives TEXT and then ends (an empty, ended stdin by default). */
export function endedStdin(text = ''): PassThrough {
  const stdin = new PassThrough();
  stdin.end(text);
  return stdin;
}

/**
 * Streams for running the CLI in-process: STDIN (by default empty and ended; pass a stream the
 * test writes to for prompts), and what it printed on stdout and stderr.
 */
export function memoryIo(env: NodeJS.ProcessEnv, stdin: CliIo['stdin'] = endedStdin()): { io: CliIo; stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  return { io: { stdin, stdout: out, stderr: err, env }, stdout: () => o, stderr: () => e };
}

/** Runs `keydock ARGV` in this process (a fresh context, as a new process has) and returns its exit code and output. */
export async function runCliInMemory(argv: string[], env: NodeJS.ProcessEnv, stdin?: CliIo['stdin']): Promise<{ code: number; stdout: string; stderr: string }> {
  const m = memoryIo(env, stdin);
  const code = await runCli(argv, m.io);
  return { code, stdout: m.stdout(), stderr: m.stderr() };
}
