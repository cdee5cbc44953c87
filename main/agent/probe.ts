// Is there an SSH agent at a path, and which keys does it hold? One connection answers both, and
// a failure keeps the errno-like code (ENOENT, ECONNREFUSED, ETIMEDOUT, …) that the connection
// tester's diagnosis and the doctor report, beside words a user can read.
import { KeyDockError } from '../util/errors';
import { AgentClient } from './client';
import type { ListedIdentity } from './codec';
import { openAgentStream } from './stream';

/** The part of a probe the tester's diagnosis reads. */
export type AgentReachability = { reachable: true } | { reachable: false; code: string };

/**
 * What one probe found. `reachable` says something accepted the connection; `listed` that it
 * answered the key list. `code` is the errno of a failed connection (ENOENT, ECONNREFUSED,
 * EACCES, ETIMEDOUT, …) or the KeyDockError code of a failed listing (agent-refused,
 * agent-protocol-error, agent-timeout, …); `reason` says the same in words.
 */
export type AgentProbe =
  | { reachable: true; listed: true; keys: ListedIdentity[]; keyCount: number }
  | { reachable: true; listed: false; code: string; reason: string }
  | { reachable: false; listed: false; code: string; reason: string };

function failure(e: unknown): { code: string; reason: string } {
  const cause = e instanceof Error ? (e.cause as NodeJS.ErrnoException | undefined) : undefined;
  const code = (typeof cause?.code === 'string' ? cause.code : null) ?? (e instanceof KeyDockError ? e.code : (e as NodeJS.ErrnoException | null)?.code) ?? 'error';
  return { code, reason: e instanceof Error ? e.message : String(e) };
}

/**
 * Connects to the agent at PATH (socket, Windows pipe or `pageant`) within `timeoutMs` and asks
 * for its keys within `listTimeoutMs`. Never throws.
 */
export async function probeAgent(path: string, timeoutMs = 3000, listTimeoutMs = timeoutMs): Promise<AgentProbe> {
  let client: AgentClient;
  try {
    client = new AgentClient(await openAgentStream(path, timeoutMs), { quickTimeoutMs: listTimeoutMs, label: `the agent at ${path}` });
  } catch (e) {
    return { reachable: false, listed: false, ...failure(e) };
  }
  try {
    const keys = await client.listIdentities();
    return { reachable: true, listed: true, keys, keyCount: keys.length };
  } catch (e) {
    return { reachable: true, listed: false, ...failure(e) };
  } finally {
    client.close();
  }
}
