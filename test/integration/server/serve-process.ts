import { existsSync } from 'node:fs';
import { mkdtemp, writeFile, chmod, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { run, startProcess, stopProcess, type RunResult } from '../../support/processes';

export const KEYDOCK_BIN = fileURLToPath(new URL('../../../bin/keydock.cjs', import.meta.url));

/** A real `keydock serve` process, as a user would run it. */
export interface ServeProcess {
  child: ChildProcess;
  /** The agent's pid (setpriv execs, so the same as the child's). */
  pid: number;
  socket: string;
  /** First stdout line, e.g. `SSH_AUTH_SOCK=/path; export SSH_AUTH_SOCK;`. */
  firstLine: string;
  stderr(): string;
  /** Resolves once serve's stderr contains `text`; rejects with the stderr so far after timeoutMs (default 20 s). */
  waitForStderr(text: string | RegExp, timeoutMs?: number): Promise<void>;
  sshAdd(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  stop(): Promise<void>;
}

/** Runs a command as another user (setpriv from util-linux, else runuser); null when neither exists. */
export function asUser(uid: number, gid = uid): string[] | null {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    if (existsSync(join(dir, 'setpriv'))) return [join(dir, 'setpriv'), `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];
  }
  return null;
}

/** Why tests that switch users cannot run here, or null. */
export function asUserUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to run processes as other users';
  if (!asUser(65534)) return 'setpriv (util-linux) is not installed';
  return null;
}

/**
 * Starts `node bin/keydock.cjs serve -D ARGS` (foreground, as ssh-agent -D; `-d` instead when ARGS
 * has it) and waits for its SSH_AUTH_SOCK line. `wrap` prefixes the command (e.g. asUser()).
 */
export async function startServe(args: string[], env: NodeJS.ProcessEnv, options: { wrap?: string[] } = {}): Promise<ServeProcess> {
  const serveArgs = args.includes('-d') || args.includes('-D') ? args : ['-D', ...args];
  const [cmd, ...prefix] = [...(options.wrap ?? []), process.execPath];
  const child = startProcess(cmd as string, [...prefix, KEYDOCK_BIN, 'serve', ...serveArgs], { env });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`keydock serve exited with ${code}: ${err}`)));
  });
  const m = /^SSH_AUTH_SOCK=(.+); export SSH_AUTH_SOCK;$/.exec(firstLine);
  if (!m) throw new Error(`unexpected first line: ${firstLine}`);
  const socket = (m[1] as string).replace(/^'(.*)'$/, '$1');
  return {
    child,
    pid: child.pid as number,
    socket,
    firstLine,
    stderr: () => err,
    waitForStderr(text, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`keydock serve never said ${String(text)}; its stderr:\n${err}`)), timeoutMs);
        const check = () => {
          if (typeof text === 'string' ? err.includes(text) : text.test(err)) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(check);
        };
        check();
      });
    },
    sshAdd: (a, options = {}) => run('ssh-add', a, { input: options.input, env: { ...env, ...options.env, SSH_AUTH_SOCK: socket } }),
    stop: () => stopProcess(child),
  };
}

/** A scratch dir with helper scripts: an askpass whose answer a test can flip, and key generation. */
export async function scratch(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kds-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** An askpass program that logs its prompt and answers from DIR/answer (`allow`, `deny`, or a passphrase). */
export async function writeAskpass(dir: string): Promise<{ path: string; answer(v: string): Promise<void> }> {
  const path = join(dir, 'askpass.sh');
  await writeFile(
    path,
    `#!/bin/sh
printf '%s|%s\\n' "$SSH_ASKPASS_PROMPT" "$1" >> "${dir}/askpass.log"
a=$(cat "${dir}/answer" 2>/dev/null)
case "$a" in
  allow) exit 0 ;;
  deny) exit 1 ;;
  *) printf '%s\\n' "$a"; exit 0 ;;
esac
`,
  );
  await chmod(path, 0o755);
  return { path, answer: (v) => writeFile(join(dir, 'answer'), v) };
}

/** ssh-keygen a key without passphrase. */
export async function keygen(dir: string, name: string, type: string, bits?: number): Promise<string> {
  const path = join(dir, name);
  const r = await run('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', `${name}@keydock-test`, '-f', path]);
  if (r.code !== 0) throw new Error(r.stderr);
  return path;
}
