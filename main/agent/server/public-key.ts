import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { sha256Fingerprint } from '../../keys/format';
import { parsePublicBlob, UnsupportedKeyTypeError, type PublicBlob } from '../../keys/public-blob';
import { WireError, WireReader } from '../../keys/wire';
import { EC_CURVES, strip, type EcCurveName } from '../../keys/key-objects';

/** A public key or certificate blob taken apart (keys/public-blob.ts); the agent checks `cert` with exact 64-bit values. */
export type PublicKeyInfo = PublicBlob;

/** Splits a public key or certificate blob the way OpenSSH's agent would; throws WireError for anything malformed, trailing or foreign. */
export function parsePublicKey(blob: Buffer): PublicKeyInfo {
  const info = parsePublicBlob(blob);
  // OpenSSH has no Ed448 keys, so no peer of this agent can legitimately send one.
  if (info.plainType === 'ssh-ed448') throw new UnsupportedKeyTypeError(info.type);
  return info;
}

/** SHA256 fingerprint the way OpenSSH prints it; certificates are fingerprinted by their certified key. */
export function fingerprintOf(blob: Buffer): string {
  let plain = blob;
  try {
    plain = parsePublicKey(blob).plainBlob;
  } catch {
    // an unparseable blob still gets a stable fingerprint of its bytes
  }
  return sha256Fingerprint(plain);
}

/** Node public key for a plain or certificate blob (the certified key), for verifying signatures. */
export function publicKeyObject(info: PublicKeyInfo): KeyObject {
  const k = info.key;
  switch (k.kind) {
    case 'ed25519':
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.pub.toString('base64url') }, format: 'jwk' });
    case 'rsa':
      return createPublicKey({ key: { kty: 'RSA', n: k.n.toString('base64url'), e: k.e.toString('base64url') }, format: 'jwk' });
    case 'ecdsa': {
      const { jwk, bytes } = EC_CURVES[k.curve];
      return createPublicKey({
        key: { kty: 'EC', crv: jwk, x: k.q.subarray(1, 1 + bytes).toString('base64url'), y: k.q.subarray(1 + bytes).toString('base64url') },
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
