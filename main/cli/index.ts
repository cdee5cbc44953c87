import { runFastPath } from './fast';
import { processIo } from './io';

// Entry point of the `keydock` binary (bin/keydock.cjs loads the bundle of this file, or this
// file through tsx). It holds only the fast path's argument reader (./fast.ts): `list`, `agents`,
// `which` and `fingerprint` run from there, and everything else loads commander and the command
// tree (./program.ts) first (docs/architecture.md §3).

// `keydock list | head -1` closes the pipe early; that is the reader's choice, not a failure.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const argv = process.argv.slice(2);

async function main(): Promise<number> {
  const fast = await runFastPath(argv, processIo);
  if (fast !== null) return fast;
  const { runCli } = await import('./program');
  return runCli(argv, processIo);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const message = `Something went wrong inside KeyDock: ${e instanceof Error ? e.message : String(e)}`;
    if (process.argv.includes('--json')) process.stdout.write(JSON.stringify({ ok: false, error: { code: 'internal', message, hint: 'Please report this with the command you ran.' } }, null, 2) + '\n');
    else process.stderr.write(`keydock: ${message}\n`);
    process.exitCode = 1;
  },
);
