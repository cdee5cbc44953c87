import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { access } from 'node:fs/promises';
import { startProcess, stopProcess, run, type RunResult } from './processes';

export interface RealAgent {
  socket: string;
  pid: number;
  /** Runs ssh-add (or another OpenSSH tool) against this agent. */
  sshAdd(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  stop(): Promise<void>;
}

/** Starts OpenSSH's own ssh-agent in the foreground (-D) on a private socket. */
export async function startOpenSshAgent(extraArgs: string[] = []): Promise<RealAgent> {
  const dir = await mkdtemp(join(tmpdir(), 'keydock-agent-'));
  const socket = join(dir, 'agent.sock');
  const child = startProcess('ssh-agent', ['-D', '-a', socket, ...extraArgs]);
  for (let i = 0; i < 200; i++) {
    try {
      await access(socket);
      break;
    } catch {
      if (child.exitCode !== null) throw new Error(`ssh-agent exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return {
    socket,
    pid: child.pid ?? -1,
    sshAdd: (args, options = {}) =>
      run('ssh-add', args, { input: options.input, env: { ...process.env, ...options.env, SSH_AUTH_SOCK: socket } }),
    stop: () => stopProcess(child),
  };
}
