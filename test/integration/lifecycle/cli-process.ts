import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../../scripts/cli-bundle.mjs';
import { startProcess, stopProcess } from '../../support/processes';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as JSON, when it is. */
  json: Record<string, unknown> | null;
}

/** The keydock CLI bundled once per test file (starting from TypeScript each run is far slower). */
export async function bundleCli(): Promise<{ bin: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(REPO, '.tmp', 'lifecycle-'));
  return { bin: await buildCli(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs `keydock ARGS` as its own process (so it can be SIGKILLed), with INPUT on stdin. */
export function runKeydock(bin: string, args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliRun> {
  const child: ChildProcess = startProcess(process.execPath, [bin, ...args], { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(input);
  const guard = setTimeout(() => child.kill('SIGKILL'), 380_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = null;
      }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
}

/** `keydock serve -D -a SOCKET` from the bundle: KeyDock's own agent, as a user would run it. */
export async function startKeydockServe(bin: string, env: NodeJS.ProcessEnv, socket: string): Promise<{ socket: string; stop(): Promise<void> }> {
  const child = startProcess(process.execPath, [bin, 'serve', '-D', '-a', socket], { cwd: REPO, env });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`keydock serve exited with ${code}: ${err}`)));
  });
  if (!out.startsWith('SSH_AUTH_SOCK=')) throw new Error(`unexpected first line from keydock serve: ${out}`);
  return { socket, stop: () => stopProcess(child) };
}
