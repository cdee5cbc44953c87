import type { AppContext } from '../context';
import type { PassphraseProvider } from '../keys/types';
import { KeyDockError } from '../util/errors';

/** The streams a command uses; tests and the app pass their own. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

// Getters: Node builds each of the process's streams when first touched, and most commands never read stdin.
export const processIo: CliIo = {
  get stdin() {
    return process.stdin;
  },
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  env: process.env,
};

let stdinLines: string[] | null = null;

/** A passphrase line longer than this is refused, and reading stops there (stdin may be /dev/zero). */
export const MAX_STDIN_LINE_BYTES = 1024;
/** All of stdin KeyDock reads for passphrases: a line per key, with room to spare. */
export const MAX_STDIN_BYTES = 64 * 1024;

function stdinTooLong(message: string): KeyDockError {
  return new KeyDockError('passphrase-too-long', message, 'Pipe in the passphrases only, one per line, e.g. `printf "%s\\n" "$PASS" | keydock add KEY --passphrase-stdin`.', { exitCode: 2 });
}

/** Reads all of stdin once (bounded: lines of at most 1 KiB, 64 KiB in all) and hands out one line per call (several keys, several passphrases). */
export async function readStdinLine(io: CliIo): Promise<string> {
  if (stdinLines === null) {
    const chunks: Buffer[] = [];
    let total = 0;
    let lineBytes = 0;
    // Leaving the loop by throwing ends the iteration, which destroys the stream: nothing more is read.
    for await (const chunk of io.stdin) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      let start = 0;
      for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
        if (lineBytes + nl - start > MAX_STDIN_LINE_BYTES) break;
        lineBytes = 0;
        start = nl + 1;
      }
      lineBytes += buf.length - start;
      if (lineBytes > MAX_STDIN_LINE_BYTES) throw stdinTooLong(`A passphrase line on standard input is longer than ${MAX_STDIN_LINE_BYTES} bytes; KeyDock stopped reading there.`);
      total += buf.length;
      if (total > MAX_STDIN_BYTES) throw stdinTooLong(`Standard input holds more than ${MAX_STDIN_BYTES} bytes of passphrases; KeyDock stopped reading there.`);
      chunks.push(buf);
    }
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
  // Loaded when a terminal is asked, not with every command.
  const [{ Writable }, { createInterface }] = await Promise.all([import('node:stream'), import('node:readline')]);
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

/** Asks for an existing key's passphrase: stdin when given; else the keychain first (silently skipped when absent), then the terminal. */
export function keyPassphraseProvider(ctx: AppContext, io: CliIo, fromStdin: boolean): PassphraseProvider {
  const ask: PassphraseProvider = async (info) => {
    if (fromStdin) return info.attempt === 0 ? readStdinLine(io) : null;
    const what = info.comment || info.path || 'the key';
    return promptHidden(io, info.attempt === 0 ? `Passphrase for ${what}: ` : `Wrong passphrase, try again for ${what}: `);
  };
  // A passphrase given on stdin is the one to use: a wrong one is an error, even when the keychain knows the right one.
  if (fromStdin) return ask;
  // Converting or fingerprinting never promised a keychain, so a missing one is not worth a message here.
  return ctx.remembered.passphraseProvider(null, ask);
}
