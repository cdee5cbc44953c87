import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { WireError, WireReader, sshString } from '../../keys/wire';
import { EC_CURVES, strip, type EcCurveName } from './key-objects';

/** The certificate fields the agent checks (PROTOCOL.certkeys). */
export interface CertificateInfo {
  serial: bigint;
  /** 1 = user, 2 = host. */
  role: number;
  keyId: string;
  principals: string[];
  validAfter: bigint;
  validBefore: bigint;
  /** The CA's public key blob. */
  signatureKey: Buffer;
  /** Everything the CA signed (the blob up to the signature). */
  signedPart: Buffer;
  signature: Buffer;
}

/** A public key blob taken apart: its plain key (the certified key for certificates) and, for certificates, the certificate. */
export interface PublicKeyInfo {
  type: string;
  /** `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, … (the certified key's type for certificates). */
  plainType: string;
  plainBlob: Buffer;
  cert: CertificateInfo | null;
}

const CERT_SUFFIX = '-cert-v01@openssh.com';
const PLAIN_TYPES = new Set(['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-dss', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com']);

/** Splits a public key or certificate blob; throws WireError for anything malformed or trailing. */
export function parsePublicKey(blob: Buffer): PublicKeyInfo {
  const r = new WireReader(blob);
  const type = r.text();
  const isCert = type.endsWith(CERT_SUFFIX);
  const plainType = isCert ? type.slice(0, -CERT_SUFFIX.length).replace(/^(sk-ssh-ed25519|sk-ecdsa-sha2-nistp256)$/, '$1@openssh.com') : type;
  if (!PLAIN_TYPES.has(plainType)) throw new WireError(`unsupported key type ${type}`);
  if (isCert) r.string(); // nonce
  const fieldsStart = blob.length - r.remaining;
  readKeyFields(r, plainType);
  const fields = blob.subarray(fieldsStart, blob.length - r.remaining);
  const plainBlob = Buffer.concat([sshString(plainType), fields]);
  if (!isCert) {
    r.end();
    return { type, plainType, plainBlob, cert: null };
  }
  const serial = r.uint64();
  const role = r.uint32();
  const keyId = r.text();
  const principals = readStrings(r.string()).map((p) => p.toString('utf8'));
  const validAfter = r.uint64();
  const validBefore = r.uint64();
  r.string(); // critical options
  r.string(); // extensions
  r.string(); // reserved
  const signatureKey = r.string();
  const signedPart = blob.subarray(0, blob.length - r.remaining);
  const signature = r.string();
  r.end();
  return { type, plainType, plainBlob, cert: { serial, role, keyId, principals, validAfter, validBefore, signatureKey, signedPart, signature } };
}

function readKeyFields(r: WireReader, plainType: string): void {
  switch (plainType) {
    case 'ssh-ed25519':
      if (r.string().length !== 32) throw new WireError('ed25519 key must be 32 bytes');
      return;
    case 'sk-ssh-ed25519@openssh.com':
      if (r.string().length !== 32) throw new WireError('ed25519 key must be 32 bytes');
      r.string();
      return;
    case 'ssh-rsa':
      r.mpint();
      r.mpint();
      return;
    case 'ssh-dss':
      for (let i = 0; i < 4; i++) r.mpint();
      return;
    default: {
      const curve = r.text();
      if (`ecdsa-sha2-${curve}` !== plainType.replace(/^sk-/, '').replace('@openssh.com', '')) throw new WireError('ECDSA curve does not match the key type');
      r.string();
      if (plainType.startsWith('sk-')) r.string();
    }
  }
}

function readStrings(buf: Buffer): Buffer[] {
  const r = new WireReader(buf);
  const out: Buffer[] = [];
  while (r.remaining > 0) out.push(r.string());
  return out;
}

/** SHA256 fingerprint the way OpenSSH prints it; certificates are fingerprinted by their certified key. */
export function fingerprintOf(blob: Buffer): string {
  let plain = blob;
  try {
    plain = parsePublicKey(blob).plainBlob;
  } catch {
    // an unparseable blob still gets a stable fingerprint of its bytes
  }
  return 'SHA256:' + createHash('sha256').update(plain).digest('base64').replace(/=+$/, '');
}

/** Node public key for a plain or certificate blob (the certified key), for verifying signatures. */
export function publicKeyObject(info: PublicKeyInfo): KeyObject {
  const r = new WireReader(info.plainBlob);
  r.string();
  switch (info.plainType) {
    case 'ssh-ed25519':
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: r.string().toString('base64url') }, format: 'jwk' });
    case 'ssh-rsa': {
      const e = strip(r.mpint());
      const n = strip(r.mpint());
      return createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const curve = r.text() as EcCurveName;
      const info2 = EC_CURVES[curve];
      const q = r.string();
      if (q.length !== 1 + 2 * info2.bytes || q[0] !== 4) throw new WireError('ECDSA point is not uncompressed');
      return createPublicKey({
        key: { kty: 'EC', crv: info2.jwk, x: q.subarray(1, 1 + info2.bytes).toString('base64url'), y: q.subarray(1 + info2.bytes).toString('base64url') },
        format: 'jwk',
      });
    }
    default:
      throw new WireError(`cannot verify signatures of ${info.plainType} keys`);
  }
}

/** Verifies an SSH signature blob (`string alg, string sig`) by a key over data, as sshkey_verify does with no algorithm required. */
export function verifySshSignature(keyBlob: Buffer, signatureBlob: Buffer, data: Buffer): boolean {
  try {
    const info = parsePublicKey(keyBlob);
    const key = publicKeyObject(info);
    const r = new WireReader(signatureBlob);
    const alg = r.text();
    const sig = r.string();
    r.end();
    switch (info.plainType) {
      case 'ssh-ed25519':
        return alg === 'ssh-ed25519' && sig.length === 64 && verify(null, data, key, sig);
      case 'ssh-rsa': {
        const hash = { 'ssh-rsa': 'sha1', 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512' }[alg];
        const modBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
        if (!hash || sig.length > modBytes || modBytes < 128) return false;
        const padded = sig.length < modBytes ? Buffer.concat([Buffer.alloc(modBytes - sig.length), sig]) : sig;
        return verify(hash, data, key, padded);
      }
      default: {
        if (alg !== info.plainType) return false;
        const curve = EC_CURVES[alg.slice('ecdsa-sha2-'.length) as EcCurveName];
        const rs = new WireReader(sig);
        const rr = strip(rs.mpint());
        const ss = strip(rs.mpint());
        rs.end();
        if (rr.length > curve.bytes || ss.length > curve.bytes) return false;
        const p1363 = Buffer.concat([Buffer.alloc(curve.bytes - rr.length), rr, Buffer.alloc(curve.bytes - ss.length), ss]);
        return verify(curve.hash, data, { key, dsaEncoding: 'ieee-p1363' }, p1363);
      }
    }
  } catch {
    return false;
  }
}

/** Why a host certificate is not good for `hostname` (null: any name) now (sshkey_cert_check_authority for hosts), or null when it is. */
export function hostCertificateProblem(info: PublicKeyInfo, hostname: string | null, nowSeconds: bigint): string | null {
  const c = info.cert;
  if (!c) return 'not a certificate';
  if (c.role !== 2) return 'not a host certificate';
  if (!verifySshSignature(c.signatureKey, c.signature, c.signedPart)) return 'CA signature does not verify';
  try {
    if (parsePublicKey(c.signatureKey).cert) return 'CA key is itself a certificate';
  } catch {
    return 'CA key is malformed';
  }
  if (nowSeconds < c.validAfter) return 'certificate not yet valid';
  if (nowSeconds >= c.validBefore) return 'certificate expired';
  if (c.principals.length === 0) return 'certificate lacks principal list';
  if (hostname !== null && !c.principals.includes(hostname)) return `${hostname} is not a principal of the certificate`;
  return null;
}
