import { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { KeyDockError } from '../util/errors';

/** The streams a command uses; tests and the app pass their own. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };

let stdinLines: string[] | null = null;

/** Reads all of stdin once and hands out one line per call (several keys, several passphrases). */
export async function readStdinLine(io: CliIo): Promise<string> {
  if (stdinLines === null) {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    const text = Buffer.concat(chunks).toString('utf8');
    stdinLines = text.split(/\r?\n/);
    if (stdinLines.length > 1 && stdinLines[stdinLines.length - 1] === '') stdinLines.pop();
  }
  const line = stdinLines.shift();
  if (line === undefined) {
    throw new KeyDockError('passphrase-missing', 'No passphrase was given on standard input.', 'Pipe the passphrase in, one per line, e.g. `printf "%s\\n" "$PASS" | keydock add KEY --passphrase-stdin`.', { exitCode: 2 });
  }
  return line;
}

/** Asks for a secret on the terminal without echoing it; refuses when there is no terminal. */
export async function promptHidden(io: CliIo, question: string): Promise<string> {
  if (!io.stdin.isTTY) {
    throw new KeyDockError('passphrase-required', 'A passphrase is needed but there is no terminal to ask on.', 'Use --passphrase-stdin and pipe the passphrase in.', { exitCode: 2 });
  }
  let muted = false;
  const sink = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) io.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: io.stdin, output: sink, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = true;
    });
  } finally {
    rl.close();
    io.stderr.write('\n');
  }
}
