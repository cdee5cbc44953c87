// Runs the system tools the key lifecycle relies on (ssh, git, ssh-keygen) with an explicit
// environment, optional standard input and a time limit, and captures what they print. Never
// through a shell: arguments go to the program as they are.
import { spawn } from 'node:child_process';
import { KeyDockError } from '../util/errors';

export interface ExecResult {
  /** Exit status; null when the program was stopped by a signal (e.g. the time limit). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ExecOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /**
   * Run without a controlling terminal (a new session), so a tool that would ask for a
   * passphrase on /dev/tty fails instead of waiting for an answer nobody gives.
   */
  noTerminal?: boolean;
}

/** Output beyond this is dropped (a tool gone wild must not fill memory). */
const MAX_OUTPUT = 1024 * 1024;

/** Runs CMD ARGS to completion. A missing program is a KeyDockError naming it. */
export function execTool(cmd: string, args: string[], options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: !!options.noTerminal,
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') {
        reject(new KeyDockError('tool-missing', `The program "${cmd}" was not found.`, `Install ${cmd} (it must be on your PATH), then try again.`, { cause: e, exitCode: 2 }));
      } else reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    // A program that exits without reading its input closes the pipe: not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The last non-empty line of a tool's error output, for messages. */
export function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
