// Public-key facts every part of KeyDock shows: fingerprints, authorized_keys lines, RFC 4716,
// and what a public blob (or certificate blob) is. Pure functions on buffers (docs/agent-protocol.md §1.3, §3.4).
import { createHash } from 'node:crypto';
import { KeyDockError } from '../util/errors';
import { CERT_SUFFIX, UnsupportedKeyTypeError, parsePublicBlob, type PublicBlob } from './public-blob';
import { KeyErrorCode } from './types';
import { WireReader } from './wire';

export { CERT_SUFFIX };

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
  /** FIDO (sk-) keys: the application string the key was enrolled for (`ssh:` by default). */
  application?: string;
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
  return sha256Fingerprint(plainBlobOf(blob));
}

/** `SHA256:` + unpadded base64 of these exact bytes (callers pick the plain blob). */
export function sha256Fingerprint(bytes: Buffer): string {
  return `SHA256:${createHash('sha256').update(bytes).digest('base64').replace(/=+$/, '')}`;
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
  const { type, plainType, plainBlob, bits, cert, key } = parseBlob(blob);
  const sk = key.kind === 'sk-ed25519' || key.kind === 'sk-ecdsa' ? { application: key.application } : {};
  if (!cert) return { type, keyType: plainType, bits, isCertificate: false, ...sk };
  return {
    type,
    keyType: plainType,
    bits,
    ...sk,
    isCertificate: true,
    certifiedKeyBlob: plainBlob,
    certificate: {
      serial: cert.serial.toString(),
      role: cert.role === 2 ? 'host' : 'user',
      keyId: cert.keyId,
      principals: cert.principals,
      validAfter: clampTime(cert.validAfter),
      validBefore: clampTime(cert.validBefore),
      caKeyBlob: cert.signatureKey,
    },
  };
}

/** The plain key inside a certificate blob (or the blob itself), which fingerprints and matching use. */
export function plainBlobOf(blob: Buffer): Buffer {
  // A plain blob is its own plain key even when KeyDock cannot read its fields, so that any
  // key an agent lists still gets the fingerprint ssh-keygen would print.
  if (!blobType(blob).endsWith(CERT_SUFFIX)) return blob;
  return parseBlob(blob).plainBlob;
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

/** Every field of a public or certificate blob (keys/public-blob.ts), failing with KeyDock's key-corrupt / key-unsupported. */
export function parseBlob(blob: Buffer): PublicBlob {
  try {
    return parsePublicBlob(blob);
  } catch (e) {
    if (e instanceof UnsupportedKeyTypeError) {
      throw new KeyDockError(KeyErrorCode.unsupported, `KeyDock does not support "${e.keyType}" keys.`, 'Use an Ed25519, ECDSA or RSA key.');
    }
    throw corrupt(`The public key data is damaged (${(e as Error).message}).`);
  }
}

/** Seconds since the epoch; "forever" (2^64-1) shown as Infinity. */
function clampTime(v: bigint): number {
  return v >= 0xffffffffffffffffn ? Number.POSITIVE_INFINITY : Number(v);
}

function corrupt(message: string): KeyDockError {
  return new KeyDockError(KeyErrorCode.corrupt, message, 'Check that the file is complete and unmodified, or export the key again.');
}
