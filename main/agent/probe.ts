// Is there an SSH agent at a path, and which keys does it hold? One connection answers both, and
// a failure keeps the errno-like code (ENOENT, ECONNREFUSED, ETIMEDOUT, …) that the connection
// tester's diagnosis and the doctor report, beside words a user can read.
//
// Is it locked? A locked agent (OpenSSH's, KeyDock's) lists no keys and refuses everything else
// but unlock, so the protocol can prove "unlocked" (it listed keys, or it answered the `query`
// extension) but never "locked" on its own: OpenSSH's ssh-agent 9.2 refuses `query` whether
// locked or not. "Locked" needs knowledge: KeyDock's own agent answers `query` whenever it is
// unlocked, and so does any agent seen answering it before on the same socket; and KeyDock
// remembers the agents it locked itself (agent-locks.json in its config folder), so another
// `keydock` process, or the app, knows it too.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyDockError } from '../util/errors';
import { readUserFile } from '../util/read-file';
import { AgentClient } from './client';
import type { ListedIdentity } from './codec';
import { PAGEANT_ID, openAgentStream } from './stream';

/** The part of a probe the tester's diagnosis reads. */
export type AgentReachability = { reachable: true } | { reachable: false; code: string };

/**
 * What one probe found. `reachable` says something accepted the connection; `listed` that it
 * answered the key list. `code` is the errno of a failed connection (ENOENT, ECONNREFUSED,
 * EACCES, ETIMEDOUT, …) or the KeyDockError code of a failed listing (agent-refused,
 * agent-protocol-error, agent-timeout, …); `reason` says the same in words.
 */
export type AgentProbe =
  | { reachable: true; listed: true; keys: ListedIdentity[]; keyCount: number; locked?: boolean | null }
  | { reachable: true; listed: false; code: string; reason: string }
  | { reachable: false; listed: false; code: string; reason: string };

function failure(e: unknown): { code: string; reason: string } {
  const cause = e instanceof Error ? (e.cause as NodeJS.ErrnoException | undefined) : undefined;
  const code = (typeof cause?.code === 'string' ? cause.code : null) ?? (e instanceof KeyDockError ? e.code : (e as NodeJS.ErrnoException | null)?.code) ?? 'error';
  return { code, reason: e instanceof Error ? e.message : String(e) };
}

/** What a probe needs to tell lock state: KeyDock's record, and whether PATH is known to be KeyDock's own agent. */
export interface LockLookup {
  record: AgentLockRecord;
  /** The agent is KeyDock's own (it answers `query` whenever unlocked), by where it listens. */
  keydock: boolean;
}

/**
 * Connects to the agent at PATH (socket, Windows pipe or `pageant`) within `timeoutMs` and asks
 * for its keys within `listTimeoutMs`; with `lock`, also says whether it is locked (`locked`,
 * see observeAgent). Never throws.
 */
export async function probeAgent(path: string, timeoutMs = 3000, listTimeoutMs = timeoutMs, options: { lock?: LockLookup } = {}): Promise<AgentProbe> {
  let client: AgentClient;
  try {
    client = new AgentClient(await openAgentStream(path, timeoutMs), { quickTimeoutMs: listTimeoutMs, label: `the agent at ${path}` });
  } catch (e) {
    return { reachable: false, listed: false, ...failure(e) };
  }
  try {
    if (!options.lock) {
      const keys = await client.listIdentities();
      return { reachable: true, listed: true, keys, keyCount: keys.length };
    }
    const { keys, locked } = await observeAgent(client, path, options.lock);
    return { reachable: true, listed: true, keys, keyCount: keys.length, locked };
  } catch (e) {
    return { reachable: true, listed: false, ...failure(e) };
  } finally {
    client.close();
  }
}

/**
 * Does the agent answer the `query` extension (draft-miller-ssh-agent)? It changes nothing in
 * any agent, and a locked agent refuses it. A refusal, a timeout or a garbled answer: false.
 */
async function answersQuery(client: AgentClient): Promise<boolean> {
  try {
    return (await client.query()) !== null;
  } catch {
    return false;
  }
}

/** What KeyDock remembers about one agent's lock, between runs and across processes. */
export interface AgentLockEntry {
  /** The socket this was learnt on (device, inode, birth time): a restarted agent is another agent. */
  socket: string | null;
  /** When KeyDock locked it; removed once KeyDock unlocked it or saw it unlocked. */
  lockedAt?: number;
  /**
   * Seen while unlocked: whether it answers `query`. If it does, a refusal now means it is
   * locked; if it does not (OpenSSH's ssh-agent), asking again tells nothing.
   */
  answersQuery?: boolean;
}

interface LockFile {
  version: 1;
  agents: Record<string, AgentLockEntry>;
}

const LOCK_FILE = 'agent-locks.json';
/** Entries are a few dozen bytes; a file beyond this is not ours and is read as empty. */
const MAX_LOCK_FILE_BYTES = 256 * 1024;
/** Agents remembered at most (the most recent kept). */
const MAX_ENTRIES = 200;

/** Who a socket is: device, inode and birth time; null for Windows pipes, Pageant and paths that cannot be read. */
export async function socketIdentity(path: string): Promise<string | null> {
  if (path === PAGEANT_ID || path.startsWith('\\\\')) return null;
  try {
    const st = await stat(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.birthtimeNs || 0n}`;
  } catch {
    return null;
  }
}

async function readLockFile(file: string): Promise<LockFile> {
  try {
    const parsed = JSON.parse((await readUserFile(file, { maxBytes: MAX_LOCK_FILE_BYTES, what: 'agent lock record' })).toString('utf8')) as Partial<LockFile>;
    if (parsed?.version !== 1 || typeof parsed.agents !== 'object' || parsed.agents === null) return { version: 1, agents: {} };
    const agents: Record<string, AgentLockEntry> = {};
    for (const [path, e] of Object.entries(parsed.agents)) {
      if (typeof e !== 'object' || e === null) continue;
      agents[path] = {
        socket: typeof e.socket === 'string' ? e.socket : null,
        ...(typeof e.lockedAt === 'number' ? { lockedAt: e.lockedAt } : {}),
        ...(typeof e.answersQuery === 'boolean' ? { answersQuery: e.answersQuery } : {}),
      };
    }
    return { version: 1, agents };
  } catch {
    // Missing, unreadable or not JSON: nothing is remembered.
    return { version: 1, agents: {} };
  }
}

/**
 * KeyDock's record of agent locks: `agent-locks.json` in the config folder, shared by the app and
 * every `keydock` command (written whole and atomically, under a file lock; agents whose socket
 * is gone are dropped then). Losing it only makes a lock unknown (null), never wrong.
 */
export class AgentLockRecord {
  private readonly file: string;

  constructor(configDir: string) {
    this.file = join(configDir, LOCK_FILE);
  }

  /** The entry for PATH, when it was made for the agent listening there now. */
  async get(path: string): Promise<AgentLockEntry | null> {
    const entry = (await readLockFile(this.file)).agents[path];
    if (!entry) return null;
    return entry.socket === (await socketIdentity(path)) ? entry : null;
  }

  /** Changes PATH's entry (a fresh one when none is there for this socket); null removes it. Never throws. */
  async update(path: string, change: (e: AgentLockEntry) => AgentLockEntry | null): Promise<void> {
    try {
      // The writers load when the record changes, not with every `keydock list`.
      const [socket, { withFileLock }, { safeWriteFile }] = await Promise.all([socketIdentity(path), import('../util/file-lock'), import('../util/safe-write')]);
      await withFileLock(
        this.file,
        async () => {
          const data = await readLockFile(this.file);
          const old = data.agents[path];
          const next = change(old && old.socket === socket ? { ...old } : { socket });
          if (JSON.stringify(next) === JSON.stringify(old ?? null)) return;
          delete data.agents[path];
          const kept: Array<[string, AgentLockEntry]> = [];
          for (const [p, e] of Object.entries(data.agents)) if ((await socketIdentity(p)) === e.socket) kept.push([p, e]);
          if (next) kept.push([path, { ...next, socket }]);
          const agents = Object.fromEntries(kept.slice(-MAX_ENTRIES));
          await safeWriteFile(this.file, JSON.stringify({ version: 1, agents }, null, 2) + '\n', { mode: 0o600, createParents: true });
        },
        { createParents: true },
      );
    } catch {
      // The record is a convenience: an agent operation never fails because of it.
    }
  }
}

/**
 * Lists the agent's keys over CLIENT and tells whether it is locked: true, false, or null when
 * nothing can tell (an empty OpenSSH ssh-agent KeyDock did not lock).
 *  - It listed keys, or it answered `query`: unlocked (a locked agent does neither).
 *  - KeyDock locked it and has not seen it unlocked since: locked.
 *  - It refused `query` and answers it whenever unlocked (KeyDock's own agent; any agent seen
 *    answering it on this socket before): locked.
 * `query` is sent only when its answer can tell something. The record learns what this look
 * proved: an unlocked agent is no longer locked, and whether it answers `query`.
 */
export async function observeAgent(client: AgentClient, path: string, lookup: LockLookup): Promise<{ keys: ListedIdentity[]; locked: boolean | null }> {
  const keys = await client.listIdentities();
  const entry = await lookup.record.get(path);
  const ask = keys.length === 0 || entry?.answersQuery === undefined;
  const answered = ask ? await answersQuery(client) : null;
  if (keys.length > 0 || answered) {
    // Unlocked. Remember whether it answers `query` (learnt only while unlocked), and forget a lock.
    const learnt = answered ?? entry?.answersQuery ?? false;
    if (entry?.lockedAt !== undefined || entry?.answersQuery !== learnt) {
      await lookup.record.update(path, (e) => {
        delete e.lockedAt;
        e.answersQuery = learnt;
        return e;
      });
    }
    return { keys, locked: false };
  }
  if (entry?.lockedAt !== undefined) return { keys, locked: true };
  if (entry?.answersQuery || lookup.keydock) return { keys, locked: true };
  return { keys, locked: null };
}
