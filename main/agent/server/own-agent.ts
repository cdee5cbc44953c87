import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hardenProcess, type HardeningReport } from '../../platform/hardening';
import { AgentServer, type AgentServerOptions } from './server';
import { listenUnix, type UnixListenOptions, type UnixListener } from '../transports/unix';

/** A running own agent: the engine plus the socket it listens on. */
export interface RunningAgent {
  server: AgentServer;
  socketPath: string;
  /** What was done to keep the process's memory private (core files, tracing; see platform/hardening.ts). */
  hardening: HardeningReport;
  /** Closes the socket (removing it), drops connections, forgets keys, removes a temp dir we made. */
  stop(): Promise<void>;
}

/**
 * Where the app's agent listens when no path is given: `$XDG_RUNTIME_DIR/keydock/agent.sock`
 * (a per-user 0700 dir, the well-known socket of the app's agent), else a fresh 0700 temp dir.
 */
export async function defaultSocketPath(env: NodeJS.ProcessEnv): Promise<{ path: string; tempDir: string | null }> {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime) {
    const dir = join(runtime, 'keydock');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return { path: join(dir, 'agent.sock'), tempDir: null };
  }
  const dir = await mkdtemp(join(tmpdir(), 'keydock-'));
  return { path: join(dir, 'agent.sock'), tempDir: dir };
}

/**
 * A fresh private socket for one `keydock serve`, like ssh-agent's `$TMPDIR/ssh-XXXXXXXXXX/agent.PID`:
 * `$TMPDIR/keydock-XXXXXX/agent.PID` in a new 0700 directory, removed when the agent stops. Two
 * instances never share it.
 */
export async function privateSocketPath(env: NodeJS.ProcessEnv): Promise<{ path: string; tempDir: string }> {
  const dir = await mkdtemp(join(env.TMPDIR || tmpdir(), 'keydock-'));
  return { path: join(dir, `agent.${process.pid}`), tempDir: dir };
}

/**
 * Starts KeyDock's agent on a Unix socket; used by `keydock serve` and the app's server handlers.
 * The process is hardened first (no core files, no tracing by other processes of the user).
 */
export async function startOwnAgent(options: {
  env: NodeJS.ProcessEnv;
  /** An explicit path; without it the app's well-known socket (defaultSocketPath), or with `privateSocket` a fresh private one. */
  socketPath?: string;
  /** `keydock serve`: a new private directory per instance (privateSocketPath) instead of the app's well-known socket. */
  privateSocket?: boolean;
  server?: AgentServerOptions;
  onRefused?: UnixListenOptions['onRefused'];
  /** Socket activation: serve this inherited listening fd; `socketPath` (or the default socket) only names it. */
  listenFd?: number;
}): Promise<RunningAgent> {
  const hardening = hardenProcess();
  const target = options.socketPath || options.listenFd !== undefined ? { path: options.socketPath ?? '', tempDir: null } : options.privateSocket ? await privateSocketPath(options.env) : await defaultSocketPath(options.env);
  const server = new AgentServer({ ...options.server, securityKeys: { env: options.env, ...options.server?.securityKeys } });
  let listener: UnixListener;
  try {
    listener = await listenUnix(server, target.path, { onRefused: (reason, info) => options.onRefused?.(reason, info), ...(options.listenFd !== undefined ? { fd: options.listenFd } : {}) });
  } catch (e) {
    server.close();
    if (target.tempDir) await rm(target.tempDir, { recursive: true, force: true });
    throw e;
  }
  let stopped: Promise<void> | null = null;
  return {
    server,
    socketPath: listener.path,
    hardening,
    stop() {
      stopped ??= (async () => {
        await listener.close();
        server.close();
        // Pairings learnt in the last moments reach the disk before the process goes.
        await options.server?.pairings?.flush?.();
        if (target.tempDir) await rm(target.tempDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
