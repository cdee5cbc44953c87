/**
 * Reads and edits OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT",
 * hostfile.c): `[@marker] patterns keytype base64 [comment]`, hashed `|1|salt|hmac` names,
 * `[host]:port` for non-22 ports, `*`/`?` wildcards, `!` negation, `@revoked`,
 * `@cert-authority`. Edits (trust a key, remove a stale one) touch only their own lines:
 * every other byte of the file stays as it was, the write is atomic (through a symlink to
 * the file it names), and the previous file is kept as `known_hosts.old` like `ssh-keygen -R`
 * does, written just as safely. Each edit reads and writes the file under its lock, so the
 * app and the CLI trusting hosts at once lose no line.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { KeyDockError } from '../util/errors';
import { readUserFileIfExists } from '../util/read-file';
import { fingerprintSha256 } from '../keys/format';
import { matchPatternList } from './ssh-config-parse';

export interface KnownHostsEntry {
  /** 0-based index of the line in the file. */
  lineIndex: number;
  marker: 'cert-authority' | 'revoked' | null;
  /** The host field as written (patterns or a hashed name). */
  hosts: string;
  hashed: boolean;
  keyType: string;
  keyBase64: string;
  comment: string;
}

export interface KnownHostsFile {
  path: string;
  exists: boolean;
  /** The file's lines, each with its own line ending, decoded byte-for-byte (latin1). */
  rawLines: string[];
  entries: KnownHostsEntry[];
  /** 1-based numbers of lines that are neither blank, comments nor valid entries. */
  invalidLines: number[];
}

export type HostKeyCheck =
  | { status: 'known'; file: string; line: number }
  | { status: 'revoked'; file: string; line: number }
  | { status: 'changed'; mismatches: Array<{ file: string; line: number; keyType: string; fingerprint: string }> }
  | { status: 'new'; otherTypesKnown: string[] };

/** SHA256 fingerprint of a public key blob as OpenSSH prints it (base64, no padding). */
export function sha256Fingerprint(blob: Buffer): string {
  return fingerprintSha256(blob);
}

/** The key type named inside an SSH public key blob (its first string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  if (len > blob.length - 4) return '';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The name OpenSSH looks up: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Splits text into lines that keep their terminators, so joining them gives the text back. */
function splitKeepingEol(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      out.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Parses one known_hosts line; null for blank/comment lines, 'invalid' for garbage. */
export function parseKnownHostsLine(raw: string, lineIndex = 0): KnownHostsEntry | null | 'invalid' {
  const text = raw.replace(/\r?\n$/, '').trim();
  if (text === '' || text.startsWith('#')) return null;
  const fields = text.split(/[ \t]+/);
  let marker: KnownHostsEntry['marker'] = null;
  if (fields[0]?.startsWith('@')) {
    const m = fields.shift() as string;
    if (m === '@cert-authority') marker = 'cert-authority';
    else if (m === '@revoked') marker = 'revoked';
    else return 'invalid';
  }
  const [hosts, keyType, keyBase64, ...rest] = fields;
  if (!hosts || !keyType || !keyBase64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(keyBase64)) return 'invalid';
  const blob = Buffer.from(keyBase64, 'base64');
  if (blobKeyType(blob) === '') return 'invalid';
  return { lineIndex, marker, hosts, hashed: hosts.startsWith('|1|'), keyType, keyBase64, comment: rest.join(' ') };
}

/** Far beyond any real known_hosts (a line is ~100–700 bytes); what readKnownHosts reads at most. */
const MAX_KNOWN_HOSTS_BYTES = 64 * 1024 * 1024;

/** Reads a known_hosts file; a missing file is an empty one (ssh treats it so). */
export async function readKnownHosts(path: string): Promise<KnownHostsFile> {
  // A FIFO, device or folder in its place is an error, never a read that blocks or never ends.
  const bytes = await readUserFileIfExists(path, {
    maxBytes: MAX_KNOWN_HOSTS_BYTES,
    what: 'known_hosts file',
    codes: { notRegular: 'known-hosts-unreadable', tooLarge: 'known-hosts-unreadable', unreadable: 'known-hosts-unreadable' },
  });
  const exists = bytes !== null;
  const text = bytes ? bytes.toString('latin1') : '';
  const rawLines = splitKeepingEol(text);
  const entries: KnownHostsEntry[] = [];
  const invalidLines: number[] = [];
  rawLines.forEach((raw, i) => {
    const e = parseKnownHostsLine(raw, i);
    if (e === 'invalid') invalidLines.push(i + 1);
    else if (e) entries.push(e);
  });
  return { path, exists, rawLines, entries, invalidLines };
}

/** Does this entry's host field name NAME (`host` or `[host]:port`)? Hashed names are recomputed. */
export function entryMatchesName(entry: KnownHostsEntry, name: string): boolean {
  const lname = name.toLowerCase();
  if (entry.hashed) {
    const parts = entry.hosts.split('|');
    if (parts.length !== 4 || parts[1] !== '1') return false;
    const salt = Buffer.from(parts[2] as string, 'base64');
    const want = Buffer.from(parts[3] as string, 'base64');
    const got = createHmac('sha1', salt).update(lname).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  return matchPatternList(lname, entry.hosts, true) === 1;
}

/**
 * Checks a presented host key against known_hosts files the way ssh does: a matching
 * `@revoked` line wins, then any matching line with this key, then a line of the same type
 * with another key is a change; otherwise the host is new. `@cert-authority` lines only
 * vouch for host certificates, so they neither accept nor contradict a plain key.
 */
export async function checkHostKey(files: string[], names: string[], blob: Buffer): Promise<HostKeyCheck> {
  const type = blobKeyType(blob);
  let known: { file: string; line: number } | null = null;
  const mismatches: Array<{ file: string; line: number; keyType: string; fingerprint: string }> = [];
  const otherTypes = new Set<string>();
  for (const path of files) {
    const file = await readKnownHosts(path);
    for (const e of file.entries) {
      if (!names.some((n) => entryMatchesName(e, n))) continue;
      const eblob = Buffer.from(e.keyBase64, 'base64');
      const same = eblob.equals(blob);
      if (e.marker === 'revoked') {
        if (same) return { status: 'revoked', file: path, line: e.lineIndex + 1 };
        continue;
      }
      if (e.marker === 'cert-authority') continue;
      if (same) {
        known ??= { file: path, line: e.lineIndex + 1 };
      } else if (blobKeyType(eblob) === type) {
        mismatches.push({ file: path, line: e.lineIndex + 1, keyType: blobKeyType(eblob), fingerprint: sha256Fingerprint(eblob) });
      } else {
        otherTypes.add(blobKeyType(eblob));
      }
    }
  }
  if (known) return { status: 'known', ...known };
  if (mismatches.length > 0) return { status: 'changed', mismatches };
  return { status: 'new', otherTypesKnown: [...otherTypes] };
}

/** Key types known for a host, in file order: ssh prefers these algorithms when connecting. */
export async function knownKeyTypes(files: string[], names: string[]): Promise<string[]> {
  const types: string[] = [];
  for (const path of files) {
    const file = await readKnownHosts(path);
    for (const e of file.entries) {
      if (e.marker !== null || !names.some((n) => entryMatchesName(e, n))) continue;
      const t = blobKeyType(Buffer.from(e.keyBase64, 'base64'));
      if (!types.includes(t)) types.push(t);
    }
  }
  return types;
}

/** A hashed host field like `ssh-keygen -H` writes (HashKnownHosts yes). */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(name.toLowerCase()).digest();
  return `|1|${salt.toString('base64')}|${mac.toString('base64')}`;
}

// The writers load when known_hosts is changed, not with every reader (`keydock which`, the tester).
async function writeKeepingBackup(file: KnownHostsFile, rawLines: string[]): Promise<void> {
  const { safeWriteFile } = await import('../util/safe-write');
  await safeWriteFile(file.path, Buffer.from(rawLines.join(''), 'latin1'), { mode: 0o644, createParents: true, ...(file.exists ? { backup: `${file.path}.old` } : {}) });
}

/** Runs a read-modify-write of PATH under its lock (the folder is created 0700 if missing). */
async function locked<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const { withFileLock } = await import('../util/file-lock');
  return withFileLock(path, fn, { createParents: true });
}

/**
 * Appends `NAME KEYTYPE BASE64` to a known_hosts file (creating it), hashed when the user's
 * config hashes known hosts. Returns the 1-based line number written.
 */
export async function addKnownHost(path: string, name: string, blob: Buffer, options: { hash?: boolean } = {}): Promise<number> {
  return locked(path, async () => {
    const file = await readKnownHosts(path);
    const lines = [...file.rawLines];
    const last = lines[lines.length - 1];
    const eol = lines.some((l) => l.endsWith('\r\n')) ? '\r\n' : '\n';
    if (last !== undefined && !last.endsWith('\n')) lines[lines.length - 1] = last + eol;
    const host = options.hash ? hashHostName(name) : name.toLowerCase();
    lines.push(`${host} ${blobKeyType(blob)} ${blob.toString('base64')}${eol}`);
    await writeKeepingBackup(file, lines);
    return lines.length;
  });
}

/**
 * Removes the lines for NAME whose key is not KEEP (a stale key after a host key change),
 * or every line for NAME when KEEP is null; markers (`@revoked`, `@cert-authority`) are never
 * removed. Returns the 1-based line numbers removed (from the original file).
 */
export async function removeKnownHost(path: string, names: string[], keep: Buffer | null, options: { onlyType?: string } = {}): Promise<number[]> {
  return locked(path, async () => {
    const file = await readKnownHosts(path);
    const drop = new Set<number>();
    for (const e of file.entries) {
      if (e.marker !== null || !names.some((n) => entryMatchesName(e, n))) continue;
      const eblob = Buffer.from(e.keyBase64, 'base64');
      if (keep && eblob.equals(keep)) continue;
      if (options.onlyType && blobKeyType(eblob) !== options.onlyType) continue;
      // A line that also names other hosts (`a,b ssh-ed25519 ...`) cannot just go: it names them too.
      if (!e.hashed && e.hosts.split(',').filter((p) => !p.startsWith('!')).length > 1) {
        throw new KeyDockError(
          'known-hosts-shared-line',
          `Line ${e.lineIndex + 1} of ${path} lists several hosts (${e.hosts}), so KeyDock will not delete it for ${names[0]}.`,
          `Edit that line by hand: remove "${names[0]}" from its host list.`,
        );
      }
      drop.add(e.lineIndex);
    }
    if (drop.size === 0) return [];
    await writeKeepingBackup(
      file,
      file.rawLines.filter((_l, i) => !drop.has(i)),
    );
    return [...drop].sort((a, b) => a - b).map((i) => i + 1);
  });
}
