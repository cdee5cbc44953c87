// Node KeyObjects from raw private key numbers, checked against the public half (main/keys/sign.ts signs with them).
import { createECDH, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { KEY_LIMITS } from './material';
import { bitLength } from './wire';

/** EC curves KeyDock signs with, by their SSH names. */
export const EC_CURVES = {
  nistp256: { jwk: 'P-256', openssl: 'prime256v1', hash: 'sha256', bytes: 32 },
  nistp384: { jwk: 'P-384', openssl: 'secp384r1', hash: 'sha384', bytes: 48 },
  nistp521: { jwk: 'P-521', openssl: 'secp521r1', hash: 'sha512', bytes: 66 },
} as const;
export type EcCurveName = keyof typeof EC_CURVES;

/** Raw private key numbers as they travel in an agent ADD body (docs/agent-protocol.md §1.4). */
export type PrivateKeyNumbers =
  | { kind: 'ed25519'; publicKey: Buffer; seed: Buffer }
  | { kind: 'ecdsa'; curve: EcCurveName; q: Buffer; d: Buffer }
  | { kind: 'rsa'; n: Buffer; e: Buffer; d: Buffer; iqmp: Buffer; p: Buffer; q: Buffer };

/** Why a key could not be turned into something Node can sign with; the message names no secret. */
export class InvalidKeyError extends Error {
  override name = 'InvalidKeyError';
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Builds Node's private KeyObject from the wire numbers and checks it matches the public half, so a corrupt add is refused instead of producing bad signatures later. */
export function privateKeyObject(numbers: PrivateKeyNumbers): KeyObject {
  switch (numbers.kind) {
    case 'ed25519':
      return ed25519Key(numbers.seed, numbers.publicKey);
    case 'ecdsa':
      return ecdsaKey(numbers.curve, numbers.q, numbers.d);
    case 'rsa':
      return rsaKey(numbers);
  }
}

function ed25519Key(seed: Buffer, publicKey: Buffer): KeyObject {
  if (seed.length !== 32 || publicKey.length !== 32) throw new InvalidKeyError('Ed25519 key has the wrong length');
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const derived = Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x ?? '', 'base64url');
  if (!derived.equals(publicKey)) throw new InvalidKeyError('Ed25519 private key does not match its public key');
  return key;
}

function ecdsaKey(curve: EcCurveName, q: Buffer, dRaw: Buffer): KeyObject {
  const info = EC_CURVES[curve];
  const n = info.bytes;
  if (q.length !== 1 + 2 * n || q[0] !== 0x04) throw new InvalidKeyError(`ECDSA ${curve} public point is not an uncompressed point`);
  const d = fixedLength(dRaw, n, 'ECDSA private scalar');
  // Node does not check d against Q on import; derive Q from d ourselves.
  const ecdh = createECDH(info.openssl);
  try {
    ecdh.setPrivateKey(d);
  } catch {
    throw new InvalidKeyError(`ECDSA ${curve} private scalar is out of range`);
  }
  if (!ecdh.getPublicKey().equals(q)) throw new InvalidKeyError(`ECDSA ${curve} private key does not match its public key`);
  return createPrivateKey({
    key: { kty: 'EC', crv: info.jwk, x: b64u(q.subarray(1, 1 + n)), y: b64u(q.subarray(1 + n)), d: b64u(d) },
    format: 'jwk',
  });
}

function rsaKey(k: Extract<PrivateKeyNumbers, { kind: 'rsa' }>): KeyObject {
  // Sizes first (KEY_LIMITS, as OpenSSH and OpenSSL bound them), so the arithmetic below is bounded for any caller.
  if ([k.n, k.d, k.p, k.q, k.iqmp].some((v) => bitLength(v) > KEY_LIMITS.rsaMaxBits)) throw new InvalidKeyError(`RSA key numbers longer than ${KEY_LIMITS.rsaMaxBits} bits are refused`);
  if (bitLength(k.e) > KEY_LIMITS.rsaMaxExponentBits) throw new InvalidKeyError(`RSA public exponents longer than ${KEY_LIMITS.rsaMaxExponentBits} bits are refused`);
  const n = toBig(k.n);
  const p = toBig(k.p);
  const q = toBig(k.q);
  const d = toBig(k.d);
  if (p <= 1n || q <= 1n || p * q !== n) throw new InvalidKeyError('RSA primes do not multiply to the modulus');
  if (n.toString(2).length < 1024) throw new InvalidKeyError('RSA keys shorter than 1024 bits are refused');
  const iqmp = toBig(k.iqmp);
  if ((iqmp * q) % p !== 1n) throw new InvalidKeyError('RSA CRT coefficient is wrong');
  try {
    return createPrivateKey({
      key: {
        kty: 'RSA',
        n: b64u(strip(k.n)),
        e: b64u(strip(k.e)),
        d: b64u(strip(k.d)),
        p: b64u(strip(k.p)),
        q: b64u(strip(k.q)),
        dp: b64u(fromBig(d % (p - 1n))),
        dq: b64u(fromBig(d % (q - 1n))),
        qi: b64u(strip(k.iqmp)),
      },
      format: 'jwk',
    });
  } catch {
    throw new InvalidKeyError('RSA key numbers are not a valid key');
  }
}

/** Unsigned big-endian bytes (an SSH mpint body, leading zeros allowed) as a bigint. */
export function toBig(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + b.toString('hex'));
}

function fromBig(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex');
}

/** Drops leading zero bytes (mpints carry a 0x00 sign byte when the top bit is set). */
export function strip(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function fixedLength(b: Buffer, len: number, what: string): Buffer {
  const s = strip(b);
  if (s.length > len) throw new InvalidKeyError(`${what} is too long`);
  return s.length === len ? s : Buffer.concat([Buffer.alloc(len - s.length), s]);
}

function b64u(b: Buffer): string {
  return b.toString('base64url');
}
