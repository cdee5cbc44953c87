// Public-key facts every part of KeyDock shows: fingerprints, authorized_keys lines, RFC 4716,
// and what a public blob (or certificate blob) is. Pure functions on buffers (SPEC-agent.md §1.3, §3.4).
import { createHash } from 'node:crypto';
import { KeyDockError } from '../errors';
import { KeyErrorCode } from './types';
import { WireError, WireReader, bitLength, sshString } from './wire';

export const CERT_SUFFIX = '-cert-v01@openssh.com';

const CURVE_BITS: Record<string, number> = { nistp256: 256, nistp384: 384, nistp521: 521 };

/** What a public blob is: enough for display, fingerprints and matching keys with certificates. */
export interface PublicBlobInfo {
  /** Wire type of the blob itself (a `-cert-v01@openssh.com` name for certificates). */
  type: string;
  /** Type of the plain key (same as `type` unless a certificate). */
  keyType: string;
  bits: number;
  isCertificate: boolean;
  /** For certificates: the blob of the certified plain key (what OpenSSH fingerprints). */
  certifiedKeyBlob?: Buffer;
  certificate?: CertificateInfo;
}

/** The parts of an OpenSSH certificate a user needs to see (PROTOCOL.certkeys). */
export interface CertificateInfo {
  serial: string;
  role: 'user' | 'host';
  keyId: string;
  principals: string[];
  validAfter: number;
  validBefore: number;
  caKeyBlob: Buffer;
}

/** OpenSSH's default fingerprint: `SHA256:` + unpadded base64 of SHA-256 over the plain key blob. */
export function fingerprintSha256(blob: Buffer): string {
  const digest = createHash('sha256').update(plainBlobOf(blob)).digest('base64').replace(/=+$/, '');
  return `SHA256:${digest}`;
}

/** Legacy fingerprint (`ssh-keygen -E md5`), still shown by old hosting dashboards. */
export function fingerprintMd5(blob: Buffer): string {
  const hex = createHash('md5').update(plainBlobOf(blob)).digest('hex');
  return `MD5:${hex.match(/../g)!.join(':')}`;
}

/** The `.pub` / authorized_keys line for a blob, so users can paste it into a Git host. */
export function publicKeyLine(blob: Buffer, comment = ''): string {
  const type = blobType(blob);
  const clean = comment.replace(/[\r\n]+/g, ' ').trim();
  return `${type} ${blob.toString('base64')}${clean ? ` ${clean}` : ''}`;
}

/** RFC 4716 export (`ssh-keygen -e`), which some commercial SSH servers want. */
export function rfc4716(blob: Buffer, comment = ''): string {
  const lines = ['---- BEGIN SSH2 PUBLIC KEY ----'];
  if (comment) {
    // Header lines are at most 72 bytes; continue with a trailing backslash.
    const header = `Comment: "${comment.replace(/[\r\n]+/g, ' ').replace(/"/g, '\\"')}"`;
    for (let i = 0; i < header.length; i += 70) {
      const part = header.slice(i, i + 70);
      lines.push(i + 70 < header.length ? `${part}\\` : part);
    }
  }
  const b64 = blob.toString('base64');
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  lines.push('---- END SSH2 PUBLIC KEY ----');
  return `${lines.join('\n')}\n`;
}

/** Reads the type name at the start of a blob. */
export function blobType(blob: Buffer): string {
  try {
    return new WireReader(blob).text();
  } catch {
    throw corrupt('The public key data is damaged.');
  }
}

/** Key type, size and certificate details of a public blob, so lists can show "ED25519 256" etc. */
export function describePublicBlob(blob: Buffer): PublicBlobInfo {
  try {
    const r = new WireReader(blob);
    const type = r.text();
    if (type.endsWith(CERT_SUFFIX)) return describeCertificate(type, r);
    const bits = plainKeyBits(type, r);
    r.end('public key');
    return { type, keyType: type, bits, isCertificate: false };
  } catch (e) {
    if (e instanceof KeyDockError) throw e;
    throw corrupt(`The public key data is damaged (${(e as Error).message}).`);
  }
}

/** The plain key inside a certificate blob (or the blob itself), which fingerprints and matching use. */
export function plainBlobOf(blob: Buffer): Buffer {
  const type = blobType(blob);
  if (!type.endsWith(CERT_SUFFIX)) return blob;
  return describePublicBlob(blob).certifiedKeyBlob!;
}

/** Parses `.pub`/authorized_keys text (options prefix allowed) or an RFC 4716 block into blob + comment. */
export function parsePublicKeyLine(text: string): { type: string; blob: Buffer; comment: string } {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('---- BEGIN SSH2 PUBLIC KEY ----')) return parseRfc4716(trimmed);
  const line = trimmed.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (!line) throw corrupt('The public key file is empty.');
  const words = splitOutsideQuotes(line.trim());
  // authorized_keys lines may start with options; the key starts at the first word that is a known-looking type followed by base64.
  for (let i = 0; i + 1 < words.length; i++) {
    const type = words[i] as string;
    const b64 = words[i + 1] as string;
    if (!/^[a-z0-9@.-]+$/i.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const blob = Buffer.from(b64, 'base64');
    let inner: string;
    try {
      inner = new WireReader(blob).text();
    } catch {
      continue;
    }
    if (inner !== type) throw corrupt(`The public key says "${type}" but its data is a "${inner}" key.`);
    describePublicBlob(blob);
    return { type, blob, comment: words.slice(i + 2).join(' ') };
  }
  throw corrupt('This does not look like an SSH public key line ("<type> <base64> [comment]").');
}

function parseRfc4716(text: string): { type: string; blob: Buffer; comment: string } {
  const lines = text.split(/\r?\n/);
  const end = lines.findIndex((l) => l.trim() === '---- END SSH2 PUBLIC KEY ----');
  if (end < 0) throw corrupt('The RFC 4716 public key has no END line.');
  let comment = '';
  let i = 1;
  const body: string[] = [];
  while (i < end) {
    let line = (lines[i++] as string).trimStart();
    if (/^[A-Za-z0-9-]{1,64}:/.test(line)) {
      while (line.endsWith('\\') && i < end) line = line.slice(0, -1) + (lines[i++] as string);
      const colon = line.indexOf(':');
      const tag = line.slice(0, colon).toLowerCase();
      let value = line.slice(colon + 1).trim();
      if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\"/g, '"');
      if (tag === 'comment') comment = value;
      continue;
    }
    body.push(line.trim());
  }
  const blob = Buffer.from(body.join(''), 'base64');
  const type = blobType(blob);
  describePublicBlob(blob);
  return { type, blob, comment };
}

function splitOutsideQuotes(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === ' ' || ch === '\t')) {
      if (cur) words.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) words.push(cur);
  return words;
}

/** Reads a plain key's public fields after its type name and returns its size in bits. */
function plainKeyBits(type: string, r: WireReader): number {
  switch (type) {
    case 'ssh-ed25519': {
      if (r.string().length !== 32) throw new WireError('an Ed25519 public key must be 32 bytes');
      return 256;
    }
    case 'ssh-ed448': {
      if (r.string().length !== 57) throw new WireError('an Ed448 public key must be 57 bytes');
      return 456;
    }
    case 'ssh-rsa': {
      r.mpint();
      return bitLength(r.mpint());
    }
    case 'ssh-dss': {
      const p = r.mpint();
      r.mpint();
      r.mpint();
      r.mpint();
      return bitLength(p);
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const curve = r.text();
      if (`ecdsa-sha2-${curve}` !== type) throw new WireError(`curve ${curve} does not match ${type}`);
      const q = r.string();
      const bits = CURVE_BITS[curve] as number;
      if (q.length !== 1 + 2 * Math.ceil(bits / 8) || q[0] !== 4) throw new WireError('bad EC point');
      return bits;
    }
    case 'sk-ssh-ed25519@openssh.com': {
      if (r.string().length !== 32) throw new WireError('an Ed25519 public key must be 32 bytes');
      r.string();
      return 256;
    }
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      if (r.text() !== 'nistp256') throw new WireError('bad curve');
      r.string();
      r.string();
      return 256;
    }
    default:
      throw new KeyDockError(KeyErrorCode.unsupported, `KeyDock does not support "${type}" keys.`, 'Use an Ed25519, ECDSA or RSA key.');
  }
}

function describeCertificate(type: string, r: WireReader): PublicBlobInfo {
  const keyType = type.slice(0, -CERT_SUFFIX.length);
  r.string(); // nonce
  const start = r.offset;
  const bits = plainKeyBits(keyType, r);
  // Re-read the key fields as raw bytes to rebuild the plain blob.
  const fieldsLen = r.offset - start;
  const serial = r.uint64();
  const roleNum = r.uint32();
  const keyId = r.text();
  const principalsBuf = r.string();
  const validAfter = r.uint64();
  const validBefore = r.uint64();
  r.string(); // critical options
  r.string(); // extensions
  r.string(); // reserved
  const caKeyBlob = r.string();
  r.string(); // signature
  r.end('certificate');
  const pr = new WireReader(principalsBuf);
  const principals: string[] = [];
  while (pr.remaining > 0) principals.push(pr.text());
  return {
    type,
    keyType,
    bits,
    isCertificate: true,
    certifiedKeyBlob: Buffer.concat([sshString(keyType), rawFields(r, start, fieldsLen)]),
    certificate: {
      serial: serial.toString(),
      role: roleNum === 2 ? 'host' : 'user',
      keyId,
      principals,
      validAfter: clampTime(validAfter),
      validBefore: clampTime(validBefore),
      caKeyBlob,
    },
  };
}

function rawFields(r: WireReader, start: number, len: number): Buffer {
  return r.slice(start, start + len);
}

/** Seconds since the epoch; "forever" (2^64-1) shown as Infinity. */
function clampTime(v: bigint): number {
  return v >= 0xffffffffffffffffn ? Number.POSITIVE_INFINITY : Number(v);
}

function corrupt(message: string): KeyDockError {
  return new KeyDockError(KeyErrorCode.corrupt, message, 'Check that the file is complete and unmodified, or export the key again.');
}
