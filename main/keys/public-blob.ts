// The one reader of SSH public key and certificate blobs (RFC 4253 §6.6, RFC 5656 §3.1,
// PROTOCOL.certkeys, PROTOCOL.u2f). keys/format.ts turns its result into what users see; the own
// agent (agent/server/public-key.ts) checks signatures and host certificates with it. Both must
// agree on what a blob is, so neither walks the fields itself.
import { WireError, WireReader, bitLength, sshString } from './wire';

export const CERT_SUFFIX = '-cert-v01@openssh.com';

export type EcCurve = 'nistp256' | 'nistp384' | 'nistp521';

const CURVE_BITS: Record<EcCurve, number> = { nistp256: 256, nistp384: 384, nistp521: 521 };

/** The public numbers of a plain key, as the blob carries them (mpints without leading zeros). */
export type PublicKeyFields =
  | { kind: 'ed25519'; pub: Buffer }
  | { kind: 'ed448'; pub: Buffer }
  | { kind: 'rsa'; e: Buffer; n: Buffer }
  | { kind: 'dsa'; p: Buffer; q: Buffer; g: Buffer; y: Buffer }
  | { kind: 'ecdsa'; curve: EcCurve; q: Buffer }
  | { kind: 'sk-ed25519'; pub: Buffer; application: string }
  | { kind: 'sk-ecdsa'; curve: 'nistp256'; q: Buffer; application: string };

/** Every certificate field, exact: times and serial stay 64-bit, role stays the number the CA wrote. */
export interface CertificateFields {
  nonce: Buffer;
  serial: bigint;
  /** 1 = user, 2 = host; other values are kept so that checks can refuse them. */
  role: number;
  keyId: string;
  principals: string[];
  validAfter: bigint;
  /** 2^64-1 means "forever". */
  validBefore: bigint;
  /** Raw `string` bodies: a sequence of name/data pairs each (PROTOCOL.certkeys). */
  criticalOptions: Buffer;
  extensions: Buffer;
  /** The CA's public key blob. */
  signatureKey: Buffer;
  /** Everything the CA signed: the blob up to, not including, the signature. */
  signedPart: Buffer;
  /** `string alg, string sig` as the CA made it. */
  signature: Buffer;
}

export interface PublicBlob {
  /** Wire type of the blob itself (a `-cert-v01@openssh.com` name for certificates). */
  type: string;
  /** Type of the plain key: `type` itself, or the certified key's type. */
  plainType: string;
  /** The plain key's blob (the certified key's for certificates): what fingerprints and key matching use. */
  plainBlob: Buffer;
  bits: number;
  key: PublicKeyFields;
  cert: CertificateFields | null;
}

/** A well-formed type name KeyDock has no reader for; callers tell this apart from damaged data. */
export class UnsupportedKeyTypeError extends WireError {
  override name = 'UnsupportedKeyTypeError';
  constructor(readonly keyType: string) {
    super(`unsupported key type ${keyType}`);
  }
}

const PLAIN_TYPES: ReadonlySet<string> = new Set([
  'ssh-ed25519',
  'ssh-ed448',
  'ssh-rsa',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/**
 * The plain key type a blob type stands for. Security-key certificate names drop the plain
 * name's `@openssh.com` before adding the suffix (`sk-ssh-ed25519-cert-v01@openssh.com`), so
 * cutting the suffix off is not enough for them.
 */
export function plainTypeOf(type: string): string {
  if (!type.endsWith(CERT_SUFFIX)) return type;
  const base = type.slice(0, -CERT_SUFFIX.length);
  return base.startsWith('sk-') ? `${base}@openssh.com` : base;
}

/**
 * Takes a public key or certificate blob apart, strictly: anything truncated, trailing, or not
 * what OpenSSH would accept for the type (curve name, Ed25519 length, EC point encoding) throws
 * WireError, and a type KeyDock does not know throws UnsupportedKeyTypeError. Buffers in the
 * result are views into `blob`.
 */
export function parsePublicBlob(blob: Buffer): PublicBlob {
  const r = new WireReader(blob);
  const type = r.text();
  const plainType = plainTypeOf(type);
  if (!PLAIN_TYPES.has(plainType)) throw new UnsupportedKeyTypeError(plainType);
  const isCert = type !== plainType;
  const nonce = isCert ? r.string() : null;
  const fieldsStart = r.offset;
  const { key, bits } = readKeyFields(plainType, r);
  const plainBlob = isCert ? Buffer.concat([sshString(plainType), r.slice(fieldsStart, r.offset)]) : blob;
  if (!nonce) {
    r.end('public key');
    return { type, plainType, plainBlob, bits, key, cert: null };
  }
  const serial = r.uint64();
  const role = r.uint32();
  const keyId = r.text();
  const principals = readTexts(r.string());
  const validAfter = r.uint64();
  const validBefore = r.uint64();
  const criticalOptions = r.string();
  const extensions = r.string();
  r.string(); // reserved: OpenSSH ignores its contents
  const signatureKey = r.string();
  const signedPart = r.slice(0, r.offset);
  const signature = r.string();
  r.end('certificate');
  return {
    type,
    plainType,
    plainBlob,
    bits,
    key,
    cert: { nonce, serial, role, keyId, principals, validAfter, validBefore, criticalOptions, extensions, signatureKey, signedPart, signature },
  };
}

function readKeyFields(plainType: string, r: WireReader): { key: PublicKeyFields; bits: number } {
  switch (plainType) {
    case 'ssh-ed25519':
      return { key: { kind: 'ed25519', pub: fixedString(r, 32, 'an Ed25519 public key') }, bits: 256 };
    case 'ssh-ed448':
      return { key: { kind: 'ed448', pub: fixedString(r, 57, 'an Ed448 public key') }, bits: 448 };
    case 'ssh-rsa': {
      const e = r.mpint();
      const n = r.mpint();
      return { key: { kind: 'rsa', e, n }, bits: bitLength(n) };
    }
    case 'ssh-dss': {
      const [p, q, g, y] = [r.mpint(), r.mpint(), r.mpint(), r.mpint()];
      return { key: { kind: 'dsa', p, q, g, y }, bits: bitLength(p) };
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const curve = plainType.slice('ecdsa-sha2-'.length) as EcCurve;
      const q = readEcPoint(r, curve);
      return { key: { kind: 'ecdsa', curve, q }, bits: CURVE_BITS[curve] };
    }
    case 'sk-ssh-ed25519@openssh.com': {
      const pub = fixedString(r, 32, 'an Ed25519 public key');
      return { key: { kind: 'sk-ed25519', pub, application: r.text() }, bits: 256 };
    }
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const q = readEcPoint(r, 'nistp256');
      return { key: { kind: 'sk-ecdsa', curve: 'nistp256', q, application: r.text() }, bits: 256 };
    }
    default:
      throw new UnsupportedKeyTypeError(plainType);
  }
}

function fixedString(r: WireReader, length: number, what: string): Buffer {
  const v = r.string();
  if (v.length !== length) throw new WireError(`${what} must be ${length} bytes`);
  return v;
}

/** The curve name repeats the one in the type, and Q must be an uncompressed point of that curve's size. */
function readEcPoint(r: WireReader, curve: EcCurve): Buffer {
  const named = r.text();
  if (named !== curve) throw new WireError(`curve ${named} does not match ${curve}`);
  const q = r.string();
  if (q.length !== 1 + 2 * Math.ceil(CURVE_BITS[curve] / 8) || q[0] !== 4) throw new WireError('bad EC point');
  return q;
}

function readTexts(buf: Buffer): string[] {
  const r = new WireReader(buf);
  const out: string[] = [];
  while (r.remaining > 0) out.push(r.text());
  return out;
}
