// Host names for a host key: the names under which a key appears in the user's known_hosts
// files. Plain entries name themselves; a hashed entry (`|1|salt|hash`) is tried with the names
// KeyDock knows from elsewhere (ssh config Host/HostName values, Git host presets, test history),
// because a hash cannot be read back.
import { join } from 'node:path';
import { fingerprintSha256 } from '../keys/format';
import { entryMatchesName, readKnownHosts, type KnownHostsEntry } from './known-hosts';
import { parseConfigBlocks } from './ssh-config-parse';
import { readUserFileIfExists } from '../util/read-file';

/** The files ssh reads by default: ~/.ssh/known_hosts, ~/.ssh/known_hosts2 and the global ones. */
export function defaultKnownHostsFiles(sshDir: string): string[] {
  return [join(sshDir, 'known_hosts'), join(sshDir, 'known_hosts2'), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
}

/** `[host]:port` → `host:port` for people; a plain name stays as it is. */
export function displayHostName(name: string): string {
  const m = /^\[(.+)\]:(\d+)$/.exec(name);
  return m ? (m[2] === '22' ? (m[1] as string) : `${m[1]}:${m[2]}`) : name;
}

/** Names in a plain host field that are names, not patterns (`*`, `?`, `!` are left out). */
function literalNames(hosts: string): string[] {
  return hosts.split(',').filter((h) => h !== '' && !/[*?!]/.test(h));
}

function entryHoldsKey(e: KnownHostsEntry, base64: string): boolean {
  return e.marker === null && e.keyBase64 === base64;
}

/**
 * The names a host key is known under, in file order, without duplicates: plain entries' names,
 * and those `candidates` that a hashed entry holding this key matches. Candidates may be `host`
 * or `[host]:port`. Unreadable files are skipped.
 */
export async function namesForHostKey(blob: Buffer, files: string[], candidates: Iterable<string> = []): Promise<string[]> {
  const base64 = blob.toString('base64');
  return namesWhere((e) => entryHoldsKey(e, base64), files, candidates);
}

/** namesForHostKey() for a host key known only by its SHA256 fingerprint (what the pairings keep). */
export async function namesForHostFingerprint(fingerprint: string, files: string[], candidates: Iterable<string> = []): Promise<string[]> {
  return namesWhere((e) => e.marker === null && fingerprintSha256(Buffer.from(e.keyBase64, 'base64')) === fingerprint, files, candidates);
}

/** The entries of every known_hosts file that can be read, in order (an unreadable file names nothing). */
async function readableEntries(files: string[]): Promise<KnownHostsEntry[]> {
  const out: KnownHostsEntry[] = [];
  for (const file of files) {
    try {
      out.push(...(await readKnownHosts(file)).entries);
    } catch {
      // A missing or unreadable file is not an error here: other files may still name the host.
    }
  }
  return out;
}

async function namesWhere(holds: (e: KnownHostsEntry) => boolean, files: string[], candidates: Iterable<string>): Promise<string[]> {
  const names: string[] = [];
  const seen = new Set<string>();
  const add = (n: string) => {
    const lower = n.toLowerCase();
    if (seen.has(lower)) return;
    seen.add(lower);
    names.push(n);
  };
  const tries = [...new Set([...candidates].filter((c) => c.length > 0 && c.length < 1024))];
  for (const e of await readableEntries(files)) {
    if (!holds(e)) continue;
    if (!e.hashed) {
      for (const n of literalNames(e.hosts)) add(n);
      continue;
    }
    for (const c of tries) if (entryMatchesName(e, c)) add(c);
  }
  return names;
}

/** The host keys known for a name (plain or hashed entries; `@revoked` and CA lines left out). */
export async function hostKeysForName(name: string, files: string[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  for (const e of await readableEntries(files)) {
    if (e.marker !== null || seen.has(e.keyBase64) || !entryMatchesName(e, name)) continue;
    seen.add(e.keyBase64);
    out.push(Buffer.from(e.keyBase64, 'base64'));
  }
  return out;
}

/** "github.com" (first name; more as "github.com (also: gh)") or "unknown host SHA256:…". */
export function describeHost(names: string[], blob: Buffer): string {
  if (names.length === 0) return `unknown host ${fingerprintSha256(blob)}`;
  const shown = [...new Set(names.map(displayHostName))];
  return shown.length > 1 ? `${shown[0]} (also: ${shown.slice(1, 3).join(', ')})` : (shown[0] as string);
}

/** candidateNamesFromSshConfig() of ~/.ssh/config (nothing when it cannot be read). */
export async function sshConfigCandidates(sshDir: string): Promise<string[]> {
  try {
    const buf = await readUserFileIfExists(join(sshDir, 'config'), { maxBytes: 4 * 1024 * 1024 });
    return buf ? candidateNamesFromSshConfig(buf.toString('utf8')) : [];
  } catch {
    return [];
  }
}

/**
 * Names worth trying against hashed known_hosts entries, from an ssh_config text: literal `Host`
 * names and `HostName` values, each also as `[name]:port` when the block sets a Port.
 */
export function candidateNamesFromSshConfig(text: string): string[] {
  const out = new Set<string>();
  let blocks;
  try {
    blocks = parseConfigBlocks(text);
  } catch {
    return [];
  }
  for (const b of blocks) {
    const names = b.kind === 'host' ? b.patterns.filter((p) => !/[*?!]/.test(p)) : [];
    const port = b.entries.find((e) => e.keyword === 'port')?.args[0];
    for (const e of b.entries) if (e.keyword === 'hostname' && e.args[0] && !e.args[0].includes('%')) names.push(e.args[0]);
    for (const n of names) {
      out.add(n);
      if (port && /^\d+$/.test(port) && port !== '22') out.add(`[${n}]:${port}`);
    }
  }
  return [...out];
}

/**
 * Names for session-bind host keys, for prompts and logs: looked up in known_hosts (hashed
 * entries tried with `candidates()`), cached per key for a minute so a busy agent reads the
 * files once in a while, not on every request.
 */
export class HostNameResolver {
  private readonly cache = new Map<string, { at: number; text: string }>();

  constructor(
    private readonly files: string[],
    private readonly candidates: () => Promise<Iterable<string>> | Iterable<string> = () => [],
    private readonly ttlMs = 60_000,
  ) {}

  /** "github.com", "github.com (also: gh)" or "unknown host SHA256:…"; never throws. */
  async describe(blob: Buffer): Promise<string> {
    const k = blob.toString('base64');
    const hit = this.cache.get(k);
    const now = Date.now();
    if (hit && now - hit.at < this.ttlMs) return hit.text;
    let names: string[] = [];
    try {
      names = await namesForHostKey(blob, this.files, await this.candidates());
    } catch {
      names = [];
    }
    const text = describeHost(names, blob);
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(k, { at: now, text });
    return text;
  }
}
