import { EC_CURVES, type EcCurveName, type PrivateKeyNumbers } from './key-objects';
import { parsePublicKey } from './public-key';
import { ParseError, Reader, encodeString } from './ssh-bytes';

/** A key as it arrived in ADD_IDENTITY: what to list and the numbers to sign with. */
export interface AddedKey {
  type: string;
  publicBlob: Buffer;
  numbers: PrivateKeyNumbers;
}

/** Key types the agent can hold; anything else is refused on add (SPEC §1.4: unknown type → FAILURE). */
export const SUPPORTED_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-ed25519-cert-v01@openssh.com',
  'ssh-rsa-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
];

/**
 * Reads the private key fields of SPEC §1.4 that follow `string type` (the reader is
 * positioned after the type) and leaves the reader after them, so the comment and
 * constraints can follow. Throws ParseError for malformed or unsupported keys.
 */
export function readPrivateFields(type: string, r: Reader): AddedKey {
  switch (type) {
    case 'ssh-ed25519': {
      const a = r.string();
      const ka = r.string();
      return { type, publicBlob: Buffer.concat([encodeString(type), encodeString(a)]), numbers: ed25519(a, ka) };
    }
    case 'ssh-rsa': {
      const n = r.mpint();
      const e = r.mpint();
      const d = r.mpint();
      const iqmp = r.mpint();
      const p = r.mpint();
      const q = r.mpint();
      return { type, publicBlob: Buffer.concat([encodeString(type), encodeString(e), encodeString(n)]), numbers: { kind: 'rsa', n, e, d, iqmp, p, q } };
    }
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const curve = r.text();
      if (`ecdsa-sha2-${curve}` !== type) throw new ParseError('ECDSA curve does not match the key type');
      const q = r.string();
      const d = r.mpint();
      return { type, publicBlob: Buffer.concat([encodeString(type), encodeString(curve), encodeString(q)]), numbers: { kind: 'ecdsa', curve: curve as EcCurveName, q, d } };
    }
    case 'ssh-ed25519-cert-v01@openssh.com': {
      const cert = r.string();
      const a = r.string();
      const ka = r.string();
      const certKey = certifiedKey(cert, type);
      const certA = readPlainField(certKey, 1);
      if (!certA.equals(a)) throw new ParseError('certificate is for another key');
      return { type, publicBlob: Buffer.from(cert), numbers: ed25519(a, ka) };
    }
    case 'ssh-rsa-cert-v01@openssh.com': {
      const cert = r.string();
      const d = r.mpint();
      const iqmp = r.mpint();
      const p = r.mpint();
      const q = r.mpint();
      const plain = new Reader(certifiedKey(cert, type));
      plain.string();
      const e = plain.mpint();
      const n = plain.mpint();
      return { type, publicBlob: Buffer.from(cert), numbers: { kind: 'rsa', n, e, d, iqmp, p, q } };
    }
    case 'ecdsa-sha2-nistp256-cert-v01@openssh.com':
    case 'ecdsa-sha2-nistp384-cert-v01@openssh.com':
    case 'ecdsa-sha2-nistp521-cert-v01@openssh.com': {
      const cert = r.string();
      const d = r.mpint();
      const plain = new Reader(certifiedKey(cert, type));
      plain.string();
      const curve = plain.text() as EcCurveName;
      if (!(curve in EC_CURVES)) throw new ParseError('unknown curve');
      const q = plain.string();
      return { type, publicBlob: Buffer.from(cert), numbers: { kind: 'ecdsa', curve, q, d } };
    }
    default:
      throw new ParseError(`KeyDock's agent does not hold ${type.slice(0, 80)} keys`);
  }
}

function ed25519(a: Buffer, ka: Buffer): PrivateKeyNumbers {
  if (a.length !== 32 || ka.length !== 64) throw new ParseError('Ed25519 key fields have the wrong length');
  if (!ka.subarray(32).equals(a)) throw new ParseError('Ed25519 private part does not end with its public key');
  return { kind: 'ed25519', publicKey: Buffer.from(a), seed: Buffer.from(ka.subarray(0, 32)) };
}

/** The certificate must be of the outer type (OpenSSH checks this too); returns the certified plain key blob. */
function certifiedKey(cert: Buffer, type: string): Buffer {
  const info = parsePublicKey(cert);
  if (info.type !== type || !info.cert) throw new ParseError('certificate type does not match the key type');
  return info.plainBlob;
}

function readPlainField(blob: Buffer, index: number): Buffer {
  const r = new Reader(blob);
  let v = r.string();
  for (let i = 0; i < index; i++) v = r.string();
  return v;
}
