// Which key opened which host: key fingerprint → host-key fingerprint, learnt from signatures
// the agent made in a session bound to a host (session-bind@openssh.com) and from successful
// connection tests. Only fingerprints are stored (docs/architecture.md, "Host pairings"): no
// host names, no user names, no key material. The file is JSON, 0600, written through
// safeWriteFile under withFileLock, so the agent, the app and `keydock hosts` can share it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readUserFileIfExists } from '../util/read-file';
import { safeWriteFile } from '../util/safe-write';
import { withFileLock } from '../util/file-lock';
import type { UserPaths } from '../util/paths';

export const PAIRINGS_FILE_NAME = 'host-pairings.json';
/** A pairings file larger than this is not read (a few hundred bytes per pairing). */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Oldest pairings (by last use) go once there are more than this many. */
const MAX_PAIRINGS = 10_000;

export interface HostPairing {
  /** SHA256 fingerprint of the user's key (the certified key for a certificate). */
  key: string;
  /** SHA256 fingerprint of the host key the session was bound to. */
  host: string;
  /** ms since the epoch. */
  firstSeen: number;
  lastUsed: number;
  /** Who learnt it: the agent (a signature in a bound session) or a connection test. */
  source: 'agent' | 'tester';
}

interface PairingsFile {
  version: 1;
  pairings: HostPairing[];
  /** Keys (fingerprints) offered to a host that has pairings only when they are paired with it. */
  onlyKnown: string[];
}

const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** `$XDG_STATE_HOME/keydock`, else `~/.local/state/keydock`: where `keydock serve` keeps its state. */
export function serveStateDir(env: NodeJS.ProcessEnv, paths: Pick<UserPaths, 'home'>): string {
  const state = env.XDG_STATE_HOME;
  return state && state.startsWith('/') ? join(state, 'keydock') : join(paths.home, '.local', 'state', 'keydock');
}

/** The pairings file of `keydock serve` and the one of the app (its config folder). */
export function pairingsFiles(env: NodeJS.ProcessEnv, paths: UserPaths): { serve: string; app: string } {
  return { serve: join(serveStateDir(env, paths), PAIRINGS_FILE_NAME), app: join(paths.configDir, PAIRINGS_FILE_NAME) };
}

function emptyFile(): PairingsFile {
  return { version: 1, pairings: [], onlyKnown: [] };
}

/** Reads the JSON leniently: entries that do not have the expected shape are dropped. */
export function parsePairingsFile(text: string): PairingsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return emptyFile();
  }
  const out = emptyFile();
  if (!raw || typeof raw !== 'object') return out;
  const r = raw as { pairings?: unknown; onlyKnown?: unknown };
  if (Array.isArray(r.pairings)) {
    for (const p of r.pairings) {
      if (!p || typeof p !== 'object') continue;
      const e = p as Record<string, unknown>;
      if (typeof e.key !== 'string' || typeof e.host !== 'string' || !FINGERPRINT_RE.test(e.key) || !FINGERPRINT_RE.test(e.host)) continue;
      const firstSeen = typeof e.firstSeen === 'number' && Number.isFinite(e.firstSeen) ? e.firstSeen : 0;
      const lastUsed = typeof e.lastUsed === 'number' && Number.isFinite(e.lastUsed) ? e.lastUsed : firstSeen;
      out.pairings.push({ key: e.key, host: e.host, firstSeen, lastUsed, source: e.source === 'tester' ? 'tester' : 'agent' });
    }
  }
  if (Array.isArray(r.onlyKnown)) out.onlyKnown = r.onlyKnown.filter((k): k is string => typeof k === 'string' && FINGERPRINT_RE.test(k));
  return out;
}

async function readPairingsFile(path: string): Promise<PairingsFile> {
  const buf = await readUserFileIfExists(path, { maxBytes: MAX_FILE_BYTES });
  return buf ? parsePairingsFile(buf.toString('utf8')) : emptyFile();
}

function serialize(f: PairingsFile): string {
  return JSON.stringify(f, null, 1) + '\n';
}

/** One read-modify-write of a pairings file under its lock; returns what `change` returned. */
async function updatePairingsFile<T>(path: string, change: (f: PairingsFile) => T): Promise<T> {
  return withFileLock(
    path,
    async () => {
      const f = await readPairingsFile(path);
      const result = change(f);
      if (f.pairings.length > MAX_PAIRINGS) {
        f.pairings.sort((a, b) => b.lastUsed - a.lastUsed);
        f.pairings.length = MAX_PAIRINGS;
      }
      await safeWriteFile(path, serialize(f), { mode: 0o600, forceMode: true, createParents: true });
      return result;
    },
    { createParents: true },
  );
}

function upsert(f: PairingsFile, key: string, host: string, at: number, source: HostPairing['source']): void {
  const existing = f.pairings.find((p) => p.key === key && p.host === host);
  if (existing) existing.lastUsed = Math.max(existing.lastUsed, at);
  else f.pairings.push({ key, host, firstSeen: at, lastUsed: at, source });
}

/** Records one pairing in a file (the connection tester's recorder). */
export async function recordHostPairing(path: string, key: string, host: string, source: HostPairing['source'] = 'tester', at = Date.now()): Promise<void> {
  if (!FINGERPRINT_RE.test(key) || !FINGERPRINT_RE.test(host)) return;
  await updatePairingsFile(path, (f) => upsert(f, key, host, at, source));
}

/** All pairings in a file, most recently used first. */
export async function listHostPairings(path: string): Promise<{ pairings: HostPairing[]; onlyKnown: string[] }> {
  const f = await readPairingsFile(path);
  return { pairings: [...f.pairings].sort((a, b) => b.lastUsed - a.lastUsed), onlyKnown: f.onlyKnown };
}

/**
 * Forgets pairings: every one whose key or host fingerprint is `which`, or exactly one pair when
 * `host` is given too. Returns how many went.
 */
export async function forgetHostPairings(path: string, which: string, host?: string): Promise<number> {
  const buf = await readUserFileIfExists(path, { maxBytes: MAX_FILE_BYTES });
  if (!buf) return 0;
  return updatePairingsFile(path, (f) => {
    const before = f.pairings.length;
    f.pairings = f.pairings.filter((p) => (host !== undefined ? !(p.key === which && p.host === host) : p.key !== which && p.host !== which));
    return before - f.pairings.length;
  });
}

/** Marks a key as "offer only to hosts it is known to open" (or clears the mark). */
export async function setOnlyKnown(path: string, key: string, on: boolean): Promise<void> {
  await updatePairingsFile(path, (f) => {
    f.onlyKnown = f.onlyKnown.filter((k) => k !== key);
    if (on) f.onlyKnown.push(key);
  });
}

/** What the agent's engine asks of the pairings (host-pairing order for REQUEST_IDENTITIES). */
export interface HostPairingSource {
  /** Fingerprints of the keys known to open this host (most recently used first). */
  keysFor(hostFingerprint: string): string[];
  /** Is this key to be withheld from hosts where other keys are known but it is not? */
  onlyKnown(keyFingerprint: string): boolean;
  /** A signature by `key` was made in a session bound to `host`. */
  record(keyFingerprint: string, hostFingerprint: string): void;
  /** Resolves once recorded pairings are saved. */
  flush?(): Promise<void>;
}

/**
 * The agent's view of its pairings file: read at start, re-read when the file changes under it
 * (`keydock hosts forget` from another process), new pairings written in the background.
 */
export class HostPairingStore implements HostPairingSource {
  private data: PairingsFile = emptyFile();
  private stamp = '';
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly options: { onlyKnownKeys?: boolean; onError?: (message: string) => void; now?: () => number } = {},
  ) {
    this.refresh();
  }

  /** Re-reads the file when its inode, size or mtime changed (cheap stat otherwise). */
  refresh(): void {
    let stamp: string;
    try {
      const st = statSync(this.path);
      if (!st.isFile() || st.size > MAX_FILE_BYTES) return;
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      stamp = 'missing';
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    if (stamp === 'missing') {
      this.data = emptyFile();
      return;
    }
    try {
      this.data = parsePairingsFile(readFileSync(this.path, 'utf8'));
    } catch {
      this.data = emptyFile();
    }
  }

  list(): HostPairing[] {
    this.refresh();
    return [...this.data.pairings].sort((a, b) => b.lastUsed - a.lastUsed);
  }

  keysFor(hostFingerprint: string): string[] {
    this.refresh();
    return this.data.pairings
      .filter((p) => p.host === hostFingerprint)
      .sort((a, b) => b.lastUsed - a.lastUsed)
      .map((p) => p.key);
  }

  onlyKnown(keyFingerprint: string): boolean {
    return this.options.onlyKnownKeys === true || this.data.onlyKnown.includes(keyFingerprint);
  }

  record(keyFingerprint: string, hostFingerprint: string): void {
    const at = this.options.now?.() ?? Date.now();
    upsert(this.data, keyFingerprint, hostFingerprint, at, 'agent');
    this.writing = this.writing
      .then(() => recordHostPairing(this.path, keyFingerprint, hostFingerprint, 'agent', at))
      .catch((e: unknown) => this.options.onError?.(`could not save a host pairing to ${this.path}: ${e instanceof Error ? e.message : String(e)}`));
  }

  async forget(which: string, host?: string): Promise<number> {
    await this.writing;
    const n = await forgetHostPairings(this.path, which, host);
    this.stamp = '';
    this.refresh();
    return n;
  }

  /** Resolves once every pairing recorded so far is on disk (agent stopping). */
  flush(): Promise<void> {
    return this.writing;
  }
}

/**
 * REQUEST_IDENTITIES order for a connection bound to `hostFingerprint`: keys known to open the
 * host first (most recently used first), the rest in the agent's order; keys marked "only known"
 * are left out where other keys are known and they are not.
 */
export function orderForHost<T extends { fingerprint: string }>(ids: T[], hostFingerprint: string, source: HostPairingSource): T[] {
  const known = source.keysFor(hostFingerprint);
  if (known.length === 0) return ids;
  const rank = new Map(known.map((k, i) => [k, i] as const));
  const first = ids.filter((id) => rank.has(id.fingerprint)).sort((a, b) => (rank.get(a.fingerprint) as number) - (rank.get(b.fingerprint) as number));
  if (first.length === 0) return ids;
  const rest = ids.filter((id) => !rank.has(id.fingerprint) && !source.onlyKnown(id.fingerprint));
  return [...first, ...rest];
}
