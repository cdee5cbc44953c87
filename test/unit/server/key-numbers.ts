import { generateKeyPairSync } from 'node:crypto';
import type { PrivateKeyNumbers } from '../../../main/keys/key-objects';

const b = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');

/** Fresh key numbers from Node's generator, shaped like the agent's ADD fields. */
export function ed25519Numbers(): PrivateKeyNumbers & { kind: 'ed25519' } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { kind: 'ed25519', seed: b(jwk.d), publicKey: b(jwk.x) };
}

export function ecdsaNumbers(curve: 'nistp256' | 'nistp384' | 'nistp521'): PrivateKeyNumbers & { kind: 'ecdsa' } {
  const named = { nistp256: 'P-256', nistp384: 'P-384', nistp521: 'P-521' }[curve];
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: named });
  const jwk = privateKey.export({ format: 'jwk' });
  return { kind: 'ecdsa', curve, q: Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]), d: b(jwk.d) };
}

export function rsaNumbers(bits = 2048): PrivateKeyNumbers & { kind: 'rsa' } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = privateKey.export({ format: 'jwk' });
  return { kind: 'rsa', n: b(jwk.n), e: b(jwk.e), d: b(jwk.d), iqmp: b(jwk.qi), p: b(jwk.p), q: b(jwk.q) };
}
