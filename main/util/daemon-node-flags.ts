import { spawnSync } from 'node:child_process';

/**
 * V8 settings of a long-running background agent: a 1 MiB young generation, heap growth tuned for
 * size, and JavaScript left to the interpreter (no Sparkplug, no TurboFan). Signing is native code,
 * so the agent keeps ahead of ssh-agent's throughput, and its RSS after 10,000 signatures is about
 * 50-60 MiB instead of 80-100 (bench/agent.ts; some 38 MiB of that are pages of the node binary
 * itself). Not --jitless: that takes WebAssembly away, and the Argon2 of a PPK kept encrypted
 * until first use runs in it. A Node whose V8 no longer knows one of these flags exits 9 at once.
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size', '--no-turbofan', '--no-sparkplug'];

/** Node's exit status for an option it does not know. */
export const EXIT_BAD_OPTION = 9;

/**
 * DAEMON_NODE_FLAGS when `node` accepts them, else none: for command lines written into files
 * (a systemd unit, a LaunchAgent) that will start that node later without anyone to retry.
 */
export function daemonFlagsFor(node: string): string[] {
  const r = spawnSync(node, [...DAEMON_NODE_FLAGS, '-e', '0'], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0 ? [...DAEMON_NODE_FLAGS] : [];
}
