import { PassThrough } from 'node:stream';
import type { CliIo } from '../../main/cli/io';

/** Streams for running the CLI in-process: empty stdin, and what it printed on stdout and stderr. */
export function memoryIo(env: NodeJS.ProcessEnv): { io: CliIo; stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  const stdin = new PassThrough();
  stdin.end();
  return { io: { stdin, stdout: out, stderr: err, env }, stdout: () => o, stderr: () => e };
}
