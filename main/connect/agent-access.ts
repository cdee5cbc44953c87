/**
 * The tester's view of an agent: is it there, which keys does it hold, sign one challenge.
 * Listing and signing go through ssh2's OpenSSHAgent (allowed for authentication; KeyDock's
 * own AgentClient is for managing agents). Reachability is probed first so "no agent" is a
 * plain answer with the errno, not a generic failure.
 */
import { connect } from 'node:net';
import ssh2, { type OpenSSHAgent as OpenSSHAgentType, type ParsedKey } from 'ssh2';

// ssh2 is CommonJS: Node's ESM loader only sees its default export (tsx and vitest are lenient).
const { OpenSSHAgent, utils } = ssh2;

export interface AgentKey {
  blob: Buffer;
  comment: string;
}

export type AgentProbe = { reachable: true } | { reachable: false; code: string };

/** Checks whether something accepts connections on an agent socket or pipe. */
export function probeAgent(path: string, timeoutMs = 3000): Promise<AgentProbe> {
  return new Promise((resolve) => {
    const sock = connect(path);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ reachable: false, code: 'ETIMEDOUT' });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ reachable: true });
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ reachable: false, code: e.code ?? 'error' });
    });
  });
}

/** Lists an agent's keys in agent order (the order ssh offers them). */
export function listAgentKeys(path: string): Promise<AgentKey[]> {
  return new Promise((resolve, reject) => {
    new OpenSSHAgent(path).getIdentities((err, keys) => {
      if (err) return reject(err);
      // ssh2's OpenSSHAgent hands back parsed keys (its type also allows wrapper entries).
      const parsed = (keys ?? []) as unknown as ParsedKey[];
      resolve(parsed.map((k) => ({ blob: k.getPublicSSH(), comment: k.comment ?? '' })));
    });
  });
}

/** An ssh2 agent for signing with one key held by the agent at PATH. */
export function agentSigner(path: string): OpenSSHAgentType {
  return new OpenSSHAgent(path);
}

/** Parses a public blob for ssh2 (which wants its own key objects). */
export function parsedPublicKey(blob: Buffer, type: string): ParsedKey {
  const k = utils.parseKey(`${type} ${blob.toString('base64')}`);
  if (k instanceof Error) throw k;
  return k;
}
