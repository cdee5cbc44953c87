import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentServer, type AgentServerOptions } from './server';
import { listenUnix, type UnixListener } from '../transports/unix';

/** A running own agent: the engine plus the socket it listens on. */
export interface RunningAgent {
  server: AgentServer;
  socketPath: string;
  /** Closes the socket (removing it), drops connections, forgets keys, removes a temp dir we made. */
  stop(): Promise<void>;
}

/**
 * Where the agent listens when no path is given: `$XDG_RUNTIME_DIR/keydock/agent.sock`
 * (a per-user 0700 dir), else a fresh 0700 temp dir like ssh-agent's /tmp/ssh-XXXX.
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

/** Starts KeyDock's agent on a Unix socket; used by `keydock serve` and the app's server handlers. */
export async function startOwnAgent(options: {
  env: NodeJS.ProcessEnv;
  socketPath?: string;
  server?: AgentServerOptions;
  onRefused?: (reason: string) => void;
}): Promise<RunningAgent> {
  const target = options.socketPath ? { path: options.socketPath, tempDir: null } : await defaultSocketPath(options.env);
  const server = new AgentServer(options.server);
  let listener: UnixListener;
  try {
    listener = await listenUnix(server, target.path, { onRefused: (reason) => options.onRefused?.(reason) });
  } catch (e) {
    server.close();
    if (target.tempDir) await rm(target.tempDir, { recursive: true, force: true });
    throw e;
  }
  let stopped: Promise<void> | null = null;
  return {
    server,
    socketPath: target.path,
    stop() {
      stopped ??= (async () => {
        await listener.close();
        server.close();
        if (target.tempDir) await rm(target.tempDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
