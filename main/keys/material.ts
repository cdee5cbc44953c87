// The raw numbers of a private key, independent of the file it came from. Every reader produces
// KeyMaterial and every writer (agent fields, OpenSSH, PPK, PEM) consumes it, so formats convert
// through one place and consistency (private matches public) is checked once.
import { createECDH, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { KeyDockError } from '../util/errors';
import { parseBlob } from './format';
import type { PublicBlob } from './public-blob';
import { KeyErrorCode } from './types';
import { bitLength, mpint, padStart, sshString, type WireReader } from './wire';

export type EcCurve = 'nistp256' | 'nistp384' | 'nistp521';

export type KeyMaterial =
  | { kind: 'ed25519'; seed: Buffer; pub: Buffer }
  | { kind: 'ed448'; seed: Buffer; pub: Buffer }
  | { kind: 'ecdsa'; curve: EcCurve; q: Buffer; d: Buffer }
  | { kind: 'rsa'; n: Buffer; e: Buffer; d: Buffer; p: Buffer; q: Buffer; iqmp: Buffer }
  | { kind: 'dsa'; p: Buffer; q: Buffer; g: Buffer; y: Buffer; x: Buffer }
  /** FIDO security keys (PROTOCOL.u2f): no private scalar here; the key handle only means something to the authenticator. */
  | ({ kind: 'sk-ed25519'; pub: Buffer } & SkFields)
  | ({ kind: 'sk-ecdsa'; curve: 'nistp256'; q: Buffer } & SkFields);

/** The security-key part of an sk- key's private fields (docs/agent-protocol.md §1.4). */
export interface SkFields {
  /** FIDO application (relying party) string, `ssh:` by default. */
  application: string;
  /** SSH_SK_USER_PRESENCE_REQD 0x01, SSH_SK_USER_VERIFICATION_REQD 0x04, SSH_SK_RESIDENT_KEY 0x20. */
  flags: number;
  /** Opaque credential id the authenticator gave at enrolment; it signs only with it. */
  keyHandle: Buffer;
  /** Reserved string, empty today; kept as read so a file written back is the same. */
  reserved: Buffer;
}

/** sk flags (sk-api.h). */
export const SK_USER_PRESENCE_REQD = 0x01;
export const SK_USER_VERIFICATION_REQD = 0x04;
export const SK_RESIDENT_KEY = 0x20;

/** Bound on a key handle: real authenticators use tens of bytes, sk-dummy a PEM key (~230); OpenSSH sets none, KeyDock refuses absurd ones. */
const MAX_SK_KEY_HANDLE = 8192;
/** Bound on the application string (FIDO relying party ids are short). */
const MAX_SK_APPLICATION = 1024;

export function isSecurityKey(m: KeyMaterial): m is Extract<KeyMaterial, { kind: 'sk-ed25519' | 'sk-ecdsa' }> {
  return m.kind === 'sk-ed25519' || m.kind === 'sk-ecdsa';
}

export const CURVE_BYTES: Record<EcCurve, number> = { nistp256: 32, nistp384: 48, nistp521: 66 };
const CURVE_BITS: Record<EcCurve, number> = { nistp256: 256, nistp384: 384, nistp521: 521 };
const JWK_CURVE: Record<EcCurve, string> = { nistp256: 'P-256', nistp384: 'P-384', nistp521: 'P-521' };
const FROM_JWK_CURVE: Record<string, EcCurve> = { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' };

/** Wire type name of the material (`ssh-ed25519`, `ecdsa-sha2-nistp256`, …). */
export function sshType(m: KeyMaterial): string {
  switch (m.kind) {
    case 'ed25519':
      return 'ssh-ed25519';
    case 'ed448':
      return 'ssh-ed448';
    case 'ecdsa':
      return `ecdsa-sha2-${m.curve}`;
    case 'rsa':
      return 'ssh-rsa';
    case 'dsa':
      return 'ssh-dss';
    case 'sk-ed25519':
      return 'sk-ssh-ed25519@openssh.com';
    case 'sk-ecdsa':
      return 'sk-ecdsa-sha2-nistp256@openssh.com';
  }
}

/** Key size as users know it: RSA/DSA modulus bits, curve bits, 256 for Ed25519. */
export function keyBits(m: KeyMaterial): number {
  switch (m.kind) {
    case 'ed25519':
    case 'sk-ed25519':
    case 'sk-ecdsa':
      return 256;
    case 'ed448':
      return 448;
    case 'ecdsa':
      return CURVE_BITS[m.curve];
    case 'rsa':
      return bitLength(m.n);
    case 'dsa':
      return bitLength(m.p);
  }
}

/** The public key blob (docs/agent-protocol.md §1.3), as agents list the key and fingerprints hash it. */
export function publicBlob(m: KeyMaterial): Buffer {
  const t = sshString(sshType(m));
  switch (m.kind) {
    case 'ed25519':
    case 'ed448':
      return Buffer.concat([t, sshString(m.pub)]);
    case 'ecdsa':
      return Buffer.concat([t, sshString(m.curve), sshString(m.q)]);
    case 'rsa':
      return Buffer.concat([t, mpint(m.e), mpint(m.n)]);
    case 'dsa':
      return Buffer.concat([t, mpint(m.p), mpint(m.q), mpint(m.g), mpint(m.y)]);
    case 'sk-ed25519':
      return Buffer.concat([t, sshString(m.pub), sshString(m.application)]);
    case 'sk-ecdsa':
      return Buffer.concat([t, sshString(m.curve), sshString(m.q), sshString(m.application)]);
  }
}

/** `string application, byte flags, string key handle, string reserved`: the tail of every sk- private field layout. */
function skPrivateTail(m: SkFields): Buffer {
  return Buffer.concat([sshString(m.application), Buffer.from([m.flags & 0xff]), sshString(m.keyHandle), sshString(m.reserved)]);
}

function readSkTail(r: WireReader): SkFields {
  const application = r.text();
  const flags = r.byte();
  const keyHandle = Buffer.from(r.string());
  const reserved = Buffer.from(r.string());
  return { application, flags, keyHandle, reserved };
}

/** Private fields after the type name, as in ADD_IDENTITY and openssh-key-v1 (docs/agent-protocol.md §1.4). */
export function privateFields(m: KeyMaterial): Buffer {
  switch (m.kind) {
    case 'ed25519':
    case 'ed448':
      return Buffer.concat([sshString(m.pub), sshString(Buffer.concat([m.seed, m.pub]))]);
    case 'ecdsa':
      return Buffer.concat([sshString(m.curve), sshString(m.q), mpint(m.d)]);
    case 'rsa':
      return Buffer.concat([mpint(m.n), mpint(m.e), mpint(m.d), mpint(m.iqmp), mpint(m.p), mpint(m.q)]);
    case 'dsa':
      return Buffer.concat([mpint(m.p), mpint(m.q), mpint(m.g), mpint(m.y), mpint(m.x)]);
    case 'sk-ed25519':
      return Buffer.concat([sshString(m.pub), skPrivateTail(m)]);
    case 'sk-ecdsa':
      return Buffer.concat([sshString(m.curve), sshString(m.q), skPrivateTail(m)]);
  }
}

/** Certificate variant of the private fields (docs/agent-protocol.md §1.4): the cert blob replaces the public values. */
export function certificatePrivateFields(m: KeyMaterial, certBlob: Buffer): Buffer {
  const c = sshString(certBlob);
  switch (m.kind) {
    case 'ed25519':
    case 'ed448':
      return Buffer.concat([c, sshString(m.pub), sshString(Buffer.concat([m.seed, m.pub]))]);
    case 'ecdsa':
      return Buffer.concat([c, mpint(m.d)]);
    case 'rsa':
      return Buffer.concat([c, mpint(m.d), mpint(m.iqmp), mpint(m.p), mpint(m.q)]);
    case 'dsa':
      return Buffer.concat([c, mpint(m.x)]);
    // OpenSSH's ssh-ed25519-sk.c repeats A; ssh-ecdsa-sk.c leaves the point to the certificate.
    case 'sk-ed25519':
      return Buffer.concat([c, sshString(m.pub), skPrivateTail(m)]);
    case 'sk-ecdsa':
      return Buffer.concat([c, skPrivateTail(m)]);
  }
}

/**
 * Reads the private fields of openssh-key-v1 (the layout of docs/agent-protocol.md §1.4) for a given type. Every number is
 * size-checked as it is read (checkKeySizes), so neither a key file nor an agent ADD_IDENTITY
 * message can hand KeyDock a number too large to compute with.
 */
export function readPrivateFields(type: string, r: WireReader): KeyMaterial {
  return checkKeySizes(readPrivateFieldsUnchecked(type, r));
}

function readPrivateFieldsUnchecked(type: string, r: WireReader): KeyMaterial {
  switch (type) {
    case 'ssh-ed25519':
    case 'ssh-ed448': {
      const size = type === 'ssh-ed25519' ? 32 : 57;
      const pub = r.string();
      const both = r.string();
      if (pub.length !== size || both.length !== 2 * size) throw corrupt(`The ${type} key has fields of the wrong size.`);
      if (!both.subarray(size).equals(pub)) throw corrupt('The private and public halves of the Ed25519 key do not match.');
      const kind = type === 'ssh-ed25519' ? 'ed25519' : 'ed448';
      return { kind, seed: Buffer.from(both.subarray(0, size)), pub: Buffer.from(pub) };
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const curve = r.text() as EcCurve;
      if (`ecdsa-sha2-${curve}` !== type) throw corrupt(`The key says ${type} but names curve ${curve}.`);
      return { kind: 'ecdsa', curve, q: Buffer.from(r.string()), d: Buffer.from(r.mpint()) };
    }
    case 'ssh-rsa': {
      const n = r.mpint();
      const e = r.mpint();
      const d = r.mpint();
      const iqmp = r.mpint();
      const p = r.mpint();
      const q = r.mpint();
      return { kind: 'rsa', n, e, d, p, q, iqmp };
    }
    case 'ssh-dss': {
      const [p, q, g, y, x] = [r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint()];
      return { kind: 'dsa', p, q, g, y, x };
    }
    case 'sk-ssh-ed25519@openssh.com': {
      const pub = Buffer.from(r.string());
      if (pub.length !== 32) throw corrupt('The sk-ssh-ed25519 key has a public key of the wrong size.');
      return { kind: 'sk-ed25519', pub, ...readSkTail(r) };
    }
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const curve = r.text();
      if (curve !== 'nistp256') throw corrupt(`The key says ${type} but names curve ${curve.slice(0, 40)}.`);
      const q = Buffer.from(r.string());
      return { kind: 'sk-ecdsa', curve: 'nistp256', q, ...readSkTail(r) };
    }
    default:
      throw unsupported(type);
  }
}

/**
 * Reads the certificate variant of the private fields (docs/agent-protocol.md §1.4), the inverse of
 * certificatePrivateFields: the public numbers come from the certified key, so the private
 * parts alone cannot disagree with what the certificate vouches for.
 */
export function readCertificatePrivateFields(type: string, r: WireReader): { material: KeyMaterial; certificate: Buffer } {
  const certificate = Buffer.from(r.string());
  const parsed = parseBlob(certificate);
  if (parsed.type !== type || !parsed.cert) throw corrupt(`The certificate is a ${parsed.type}, not a ${type}.`);
  return { material: checkKeySizes(readCertifiedPrivateParts(parsed, r)), certificate };
}

function readCertifiedPrivateParts(cert: PublicBlob, r: WireReader): KeyMaterial {
  const pub = cert.key;
  switch (pub.kind) {
    case 'ed25519':
    case 'ed448': {
      // OpenSSH repeats A beside k‖A here (docs/agent-protocol.md §1.4), so it must be the certified key.
      const m = readPrivateFields(cert.plainType, r);
      if ((m.kind !== 'ed25519' && m.kind !== 'ed448') || !m.pub.equals(pub.pub)) throw corrupt('The certificate is for another key.');
      return m;
    }
    case 'ecdsa':
      return { kind: 'ecdsa', curve: pub.curve, q: Buffer.from(pub.q), d: Buffer.from(r.mpint()) };
    case 'rsa': {
      const [d, iqmp, p, q] = [r.mpint(), r.mpint(), r.mpint(), r.mpint()];
      return { kind: 'rsa', n: pub.n, e: pub.e, d, p, q, iqmp };
    }
    case 'dsa':
      return { kind: 'dsa', p: pub.p, q: pub.q, g: pub.g, y: pub.y, x: r.mpint() };
    case 'sk-ed25519': {
      const m = readPrivateFields(cert.plainType, r);
      if (m.kind !== 'sk-ed25519' || !m.pub.equals(pub.pub)) throw corrupt('The certificate is for another key.');
      if (m.application !== pub.application) throw corrupt('The security key\'s application differs from the certificate\'s.');
      return m;
    }
    case 'sk-ecdsa': {
      const tail = readSkTail(r);
      if (tail.application !== pub.application) throw corrupt('The security key\'s application differs from the certificate\'s.');
      return { kind: 'sk-ecdsa', curve: 'nistp256', q: Buffer.from(pub.q), ...tail };
    }
    default:
      throw unsupported(cert.type);
  }
}

/** Node KeyObject for signing/export; DSA has none here (KeyDock only reads DSA keys to replace them). */
export function toKeyObject(m: KeyMaterial): KeyObject {
  checkKeyBounds(m);
  try {
    switch (m.kind) {
      case 'ed25519':
        return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: m.seed.toString('base64url'), x: m.pub.toString('base64url') }, format: 'jwk' });
      case 'ed448':
        return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed448', d: m.seed.toString('base64url'), x: m.pub.toString('base64url') }, format: 'jwk' });
      case 'ecdsa': {
        const len = CURVE_BYTES[m.curve];
        const x = m.q.subarray(1, 1 + len);
        const y = m.q.subarray(1 + len);
        return createPrivateKey({
          key: { kty: 'EC', crv: JWK_CURVE[m.curve], x: x.toString('base64url'), y: y.toString('base64url'), d: padStart(m.d, len).toString('base64url') },
          format: 'jwk',
        });
      }
      case 'rsa': {
        const d = toBig(m.d);
        const p = toBig(m.p);
        const q = toBig(m.q);
        const jwk = {
          kty: 'RSA',
          n: m.n.toString('base64url'),
          e: m.e.toString('base64url'),
          d: m.d.toString('base64url'),
          p: m.p.toString('base64url'),
          q: m.q.toString('base64url'),
          dp: fromBig(d % (p - 1n)).toString('base64url'),
          dq: fromBig(d % (q - 1n)).toString('base64url'),
          qi: m.iqmp.toString('base64url'),
        };
        return createPrivateKey({ key: jwk, format: 'jwk' });
      }
      case 'dsa':
        throw unsupported('ssh-dss', 'DSA keys can be inspected and converted to a public key, but not used or exported as a private key.');
      case 'sk-ed25519':
      case 'sk-ecdsa':
        throw unsupported(sshType(m), 'A security key\'s private key never leaves the authenticator: the file holds only a handle to it, so it cannot be written as PEM or PuTTY.');
    }
  } catch (e) {
    if (e instanceof KeyDockError) throw e;
    throw corrupt('The key numbers are not a valid key.', e);
  }
}

/** Builds material from a Node KeyObject (PEM/PKCS#8 input, generated keys). */
export function fromKeyObject(k: KeyObject): KeyMaterial {
  const t = k.asymmetricKeyType;
  if (t === 'ed25519' || t === 'ed448' || t === 'ec' || t === 'rsa') {
    const jwk = k.export({ format: 'jwk' });
    const b = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');
    if (t === 'ed25519' || t === 'ed448') return { kind: t, seed: b(jwk.d), pub: b(jwk.x) };
    if (t === 'ec') {
      const curve = FROM_JWK_CURVE[jwk.crv ?? ''];
      if (!curve) throw unsupported(`ECDSA on curve ${jwk.crv}`, 'SSH supports the NIST curves P-256, P-384 and P-521.');
      return { kind: 'ecdsa', curve, q: Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]), d: strip(b(jwk.d)) };
    }
    return { kind: 'rsa', n: strip(b(jwk.n)), e: strip(b(jwk.e)), d: strip(b(jwk.d)), p: strip(b(jwk.p)), q: strip(b(jwk.q)), iqmp: strip(b(jwk.qi)) };
  }
  throw unsupported(t ?? 'unknown');
}

/**
 * Proves the private half belongs to the public half, so a damaged or doctored file is refused
 * before its public blob is shown or sent anywhere. The public value is recomputed from the
 * private scalar alone (never from the stored public value).
 */
export function checkConsistency(m: KeyMaterial): void {
  // Sizes and ranges first: the arithmetic below is then at most a 256-bit exponent modulo a
  // 10000-bit DSA prime, or a few products of 16384-bit RSA numbers (milliseconds).
  checkKeyBounds(m);
  switch (m.kind) {
    case 'dsa': {
      const [p, g, y, x] = [m.p, m.g, m.y, m.x].map(toBig) as [bigint, bigint, bigint, bigint];
      if (modPow(g, x, p) !== y) throw corrupt('The DSA private key does not match its public key.');
      return;
    }
    case 'rsa': {
      const [n, e, d, p, q, iqmp] = [m.n, m.e, m.d, m.p, m.q, m.iqmp].map(toBig) as [bigint, bigint, bigint, bigint, bigint, bigint];
      const ok = p * q === n && (iqmp * q) % p === 1n && (e * d) % (p - 1n) === 1n && (e * d) % (q - 1n) === 1n;
      if (!ok) throw corrupt('The RSA private key does not match its public key.');
      return;
    }
    case 'ecdsa': {
      const len = CURVE_BYTES[m.curve];
      if (m.d.length === 0 || m.d.length > len) throw corrupt('The ECDSA private key has a bad size.');
      let q: Buffer;
      try {
        const ecdh = createECDH(ECDH_CURVE[m.curve]);
        ecdh.setPrivateKey(padStart(m.d, len));
        q = ecdh.getPublicKey();
      } catch (e) {
        throw corrupt('The ECDSA private key is not valid for its curve.', e);
      }
      if (!q.equals(m.q)) throw corrupt('The ECDSA private key does not match its public key.');
      return;
    }
    case 'ed25519':
    case 'ed448': {
      const size = m.kind === 'ed25519' ? 32 : 57;
      if (m.seed.length !== size || m.pub.length !== size) throw corrupt('The Edwards-curve key has fields of the wrong size.');
      let derived: Buffer;
      try {
        const priv = createPrivateKey({ key: pkcs8Okp(m.kind, m.seed), format: 'der', type: 'pkcs8' });
        derived = Buffer.from(createPublicKey(priv).export({ format: 'jwk' }).x ?? '', 'base64url');
      } catch (e) {
        if (m.kind === 'ed448') throw unsupported('ssh-ed448', 'This system\'s crypto library cannot use Ed448 keys.');
        throw corrupt('The Ed25519 private key is not valid.', e);
      }
      if (!derived.equals(m.pub)) throw corrupt('The private key does not match its public key.');
      return;
    }
    case 'sk-ed25519':
    case 'sk-ecdsa':
      // Nothing private to check against: only the authenticator can use the handle. The point must be on P-256.
      if (m.kind === 'sk-ecdsa') {
        try {
          createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: m.q.subarray(1, 33).toString('base64url'), y: m.q.subarray(33).toString('base64url') }, format: 'jwk' });
        } catch (e) {
          throw corrupt('The security key\'s public point is not on the P-256 curve.', e);
        }
      }
      return;
  }
}

/**
 * The largest numbers a key may carry, as OpenSSH and OpenSSL bound them. OpenSSH's
 * sshbuf_get_bignum2 refuses any mpint over SSHBUF_MAX_BIGNUM (16384 bits); OpenSSL signs and
 * verifies with RSA moduli up to OPENSSL_RSA_MAX_MODULUS_BITS (16384) and public exponents up to
 * OPENSSL_RSA_MAX_PUBEXP_BITS (64), DSA primes up to OPENSSL_DSA_MAX_MODULUS_BITS (10000) with a
 * subgroup q of 160, 224 or 256 bits, and OpenSSH refuses RSA below SSH_RSA_MINIMUM_MODULUS_SIZE
 * (1024). Checked before any arithmetic, so the cost of reading a key is bounded.
 */
export const KEY_LIMITS = {
  rsaMinBits: 1024,
  rsaMaxBits: 16384,
  rsaMaxExponentBits: 64,
  dsaMaxBits: 10000,
  dsaSubgroupBits: [160, 224, 256] as readonly number[],
} as const;

/**
 * Upper bounds on the length of every number (what the agent codec and the file readers check
 * as they parse): enough to bound all later work. checkKeyBounds adds the exact sizes and ranges.
 */
export function checkKeySizes<M extends KeyMaterial>(m: M): M {
  const L = KEY_LIMITS;
  switch (m.kind) {
    case 'rsa': {
      const bits = bitLength(m.n);
      if (bits > L.rsaMaxBits) throw unsupported('ssh-rsa', `The RSA key's modulus n is ${bits} bits; KeyDock, like OpenSSH, reads RSA keys of at most ${L.rsaMaxBits} bits.`);
      const eBits = bitLength(m.e);
      if (eBits > L.rsaMaxExponentBits) throw unsupported('ssh-rsa', `The RSA key's public exponent e is ${eBits} bits; OpenSSL accepts at most ${L.rsaMaxExponentBits} (normal keys use 65537, 17 bits).`);
      for (const [name, v] of [['d', m.d], ['p', m.p], ['q', m.q], ['iqmp', m.iqmp]] as const) tooLong('RSA', name, v, L.rsaMaxBits);
      return m;
    }
    case 'dsa': {
      const pBits = bitLength(m.p);
      if (pBits > L.dsaMaxBits) throw unsupported('ssh-dss', `The DSA key's prime p is ${pBits} bits; KeyDock reads DSA keys of at most ${L.dsaMaxBits} bits (the OpenSSL limit; ssh-keygen only makes 1024-bit DSA keys).`);
      const qBits = bitLength(m.q);
      const qMax = Math.max(...L.dsaSubgroupBits);
      if (qBits > qMax) throw unsupported('ssh-dss', `The DSA key's subgroup order q is ${qBits} bits; DSA uses a q of ${L.dsaSubgroupBits.join(', ')} bits.`);
      tooLong('DSA', 'g', m.g, L.dsaMaxBits);
      tooLong('DSA', 'y', m.y, L.dsaMaxBits);
      tooLong('DSA', 'x', m.x, qMax);
      return m;
    }
    case 'ecdsa': {
      const len = CURVE_BYTES[m.curve];
      if (!len) throw unsupported(`ECDSA on curve ${String(m.curve).slice(0, 40)}`, 'SSH supports the NIST curves P-256, P-384 and P-521.');
      if (m.q.length !== 1 + 2 * len || m.q[0] !== 4) throw corrupt(`The ECDSA ${m.curve} public point Q is ${m.q.length} bytes; it must be an uncompressed point of ${1 + 2 * len} bytes.`);
      if (bitLength(m.d) > CURVE_BITS[m.curve]) throw corrupt(`The ECDSA ${m.curve} private scalar d is longer than the curve's ${CURVE_BITS[m.curve]} bits.`);
      return m;
    }
    case 'ed25519':
    case 'ed448': {
      const size = m.kind === 'ed25519' ? 32 : 57;
      if (m.seed.length !== size || m.pub.length !== size) throw corrupt(`The ${m.kind === 'ed25519' ? 'Ed25519' : 'Ed448'} key has fields of the wrong size (${m.seed.length} and ${m.pub.length} bytes; both must be ${size}).`);
      return m;
    }
    case 'sk-ed25519':
    case 'sk-ecdsa': {
      if (m.kind === 'sk-ed25519' && m.pub.length !== 32) throw corrupt(`The sk-ssh-ed25519 public key is ${m.pub.length} bytes; it must be 32.`);
      if (m.kind === 'sk-ecdsa' && (m.q.length !== 65 || m.q[0] !== 4)) throw corrupt(`The sk-ecdsa public point Q is ${m.q.length} bytes; it must be an uncompressed P-256 point of 65 bytes.`);
      if (m.keyHandle.length === 0 || m.keyHandle.length > MAX_SK_KEY_HANDLE) throw corrupt(`The security key's handle is ${m.keyHandle.length} bytes; KeyDock reads handles of 1 to ${MAX_SK_KEY_HANDLE} bytes.`);
      if (Buffer.byteLength(m.application) > MAX_SK_APPLICATION) throw corrupt(`The security key's application string is longer than ${MAX_SK_APPLICATION} bytes.`);
      return m;
    }
  }
}

/**
 * The full bound check, done before any arithmetic on a key: every size above plus the exact
 * sizes and ranges the algorithms need (RSA at least 1024 bits, DSA q of 160/224/256 bits,
 * 0 < x < q, 1 < g < p, …). Throws key-unsupported or key-corrupt naming the number at fault.
 */
export function checkKeyBounds(m: KeyMaterial): void {
  checkKeySizes(m);
  switch (m.kind) {
    case 'rsa': {
      const bits = bitLength(m.n);
      if (bits < KEY_LIMITS.rsaMinBits) throw unsupported('ssh-rsa', `The RSA key's modulus n is ${bits} bits; OpenSSH refuses RSA keys shorter than ${KEY_LIMITS.rsaMinBits} bits.`);
      const [n, e, d, p, q, iqmp] = [m.n, m.e, m.d, m.p, m.q, m.iqmp].map(toBig) as [bigint, bigint, bigint, bigint, bigint, bigint];
      if (e < 3n || (e & 1n) === 0n) throw corrupt('The RSA public exponent e must be odd and at least 3.');
      if (d <= 0n || d >= n) throw corrupt('The RSA private exponent d is not between 0 and the modulus n.');
      if (p <= 1n || q <= 1n) throw corrupt('The RSA primes p and q must be larger than 1.');
      const pq = bitLength(m.p) + bitLength(m.q);
      if (pq !== bits && pq !== bits + 1) throw corrupt('The RSA primes p and q have sizes that cannot multiply to the modulus n.');
      if (iqmp <= 0n || iqmp >= p) throw corrupt('The RSA coefficient iqmp is not between 0 and the prime p.');
      return;
    }
    case 'dsa':
      checkDsaNumbers(m.p, m.q, m.g, m.x, m.y);
      return;
    case 'ecdsa':
      if (bitLength(m.d) === 0) throw corrupt('The ECDSA private scalar d is zero.');
      return;
    default:
      return;
  }
}

/**
 * The DSA checks before any exponentiation (also used where y is still to be computed, y = null):
 * q of 160/224/256 bits, p at most 10000 bits and longer than q, 1 < g < p, 0 < x < q, 0 < y < p.
 */
export function checkDsaNumbers(pBuf: Buffer, qBuf: Buffer, gBuf: Buffer, xBuf: Buffer, yBuf: Buffer | null): void {
  const y0 = yBuf ?? Buffer.from([1]);
  checkKeySizes({ kind: 'dsa', p: pBuf, q: qBuf, g: gBuf, y: y0, x: xBuf });
  const qBits = bitLength(qBuf);
  if (!KEY_LIMITS.dsaSubgroupBits.includes(qBits)) throw unsupported('ssh-dss', `The DSA key's subgroup order q is ${qBits} bits; DSA uses a q of ${KEY_LIMITS.dsaSubgroupBits.join(', ')} bits.`);
  if (bitLength(pBuf) <= qBits) throw corrupt("The DSA key's prime p is not longer than its subgroup order q.");
  const [p, q, g, x, y] = [pBuf, qBuf, gBuf, xBuf, y0].map(toBig) as [bigint, bigint, bigint, bigint, bigint];
  if (g <= 1n || g >= p) throw corrupt("The DSA key's generator g is not between 1 and the prime p.");
  if (x <= 0n || x >= q) throw corrupt("The DSA private key x is not between 0 and the subgroup order q.");
  if (y <= 0n || y >= p) throw corrupt("The DSA public key y is not between 0 and the prime p.");
}

function tooLong(alg: string, name: string, v: Buffer, maxBits: number): void {
  const bits = bitLength(v);
  if (bits > maxBits) throw corrupt(`The ${alg} key's ${name} is ${bits} bits; no ${alg} key has numbers longer than ${maxBits} bits.`);
}

const ECDH_CURVE: Record<EcCurve, string> = { nistp256: 'prime256v1', nistp384: 'secp384r1', nistp521: 'secp521r1' };

/** PKCS#8 DER for an Ed25519/Ed448 seed (RFC 8410), so OpenSSL derives the public key itself. */
export function pkcs8Okp(kind: 'ed25519' | 'ed448', seed: Buffer): Buffer {
  const oidByte = kind === 'ed25519' ? 0x70 : 0x71;
  const inner = Buffer.concat([Buffer.from([0x04, seed.length]), seed]);
  const octet = Buffer.concat([Buffer.from([0x04, inner.length]), inner]);
  const alg = Buffer.from([0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, oidByte]);
  const version = Buffer.from([0x02, 0x01, 0x00]);
  const body = Buffer.concat([version, alg, octet]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function toBig(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`);
}

function fromBig(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

function strip(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

export { toBig, fromBig, modPow };

function corrupt(message: string, cause?: unknown): KeyDockError {
  return new KeyDockError(KeyErrorCode.corrupt, message, 'The file is damaged or was edited. Restore it from a backup or export the key again.', { cause });
}

/** The error for key types KeyDock cannot use, with the fix users need. */
export function unsupported(type: string, detail?: string): KeyDockError {
  return new KeyDockError(KeyErrorCode.unsupported, detail ?? `KeyDock does not support "${type}" keys.`, 'Use an Ed25519 key (keydock keygen), or ECDSA / RSA (3072 bits or more).');
}
