// A private, short-lived KeyDock agent holding exactly one key, so `ssh` can log in with a key
// file that has a passphrase without asking for it, and without that key (or any other) going
// into the user's own agent. The socket sits in a fresh 0700 folder and is 0600, peers are
// checked like every KeyDock socket (main/agent/transports/unix.ts), and the key lives in
// memory only; stop() closes it and forgets the key.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOwnAgent, type RunningAgent } from '../agent/server/own-agent';
import { withAgent } from '../agent/session';
import type { PrivateKey } from '../keys/types';

export class OneKeyAgents {
  private readonly running = new Map<string, { agent: RunningAgent; dir: string }>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** The socket of an agent holding only KEY (started on first use, keyed by NAME). */
  async socketFor(name: string, key: () => Promise<PrivateKey>): Promise<string> {
    const have = this.running.get(name);
    if (have) return have.agent.socketPath;
    const loaded = await key();
    const dir = await mkdtemp(join(tmpdir(), 'keydock-rotate-'));
    let agent: RunningAgent;
    try {
      agent = await startOwnAgent({ env: this.env, socketPath: join(dir, 'agent.sock') });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    this.running.set(name, { agent, dir });
    await withAgent(agent.socketPath, (c) => c.addIdentity(loaded));
    return agent.socketPath;
  }

  async stop(): Promise<void> {
    for (const [name, { agent, dir }] of [...this.running]) {
      this.running.delete(name);
      await agent.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }
}
