import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from '../../../main/keys/key-objects';
import { createSigner } from '../../../main/keys/sign';
import { ecdsaNumbers, ed25519Numbers, rsaNumbers } from './key-numbers';

/** Splits `string alg, string sig` without the code under test. */
function splitSig(blob: Buffer): { alg: string; sig: Buffer } {
  const n = blob.readUInt32BE(0);
  const alg = blob.subarray(4, 4 + n).toString();
  const m = blob.readUInt32BE(4 + n);
  expect(blob.length).toBe(8 + n + m);
  return { alg, sig: blob.subarray(8 + n) };
}

function mpintPair(sig: Buffer, size: number): Buffer {
  const r = sig.subarray(4, 4 + sig.readUInt32BE(0));
  const rest = sig.subarray(4 + r.length);
  const s = rest.subarray(4, 4 + rest.readUInt32BE(0));
  expect(4 + r.length + 4 + s.length).toBe(sig.length);
  for (const v of [r, s]) {
    // minimal mpint: no needless leading zero, and a 0x00 exactly when the top bit is set
    if (v.length > 1 && v[0] === 0) expect((v[1] as number) & 0x80).not.toBe(0);
    if (v.length > 0) expect((v[0] as number) & 0x80).toBe(0);
  }
  const pad = (v: Buffer) => {
    const t = v[0] === 0 ? v.subarray(1) : v;
    return Buffer.concat([Buffer.alloc(size - t.length), t]);
  };
  return Buffer.concat([pad(r), pad(s)]);
}

const data = Buffer.from('session data to sign');

describe('signer', () => {
  it('signs ed25519 verifiably and ignores RSA flags', async () => {
    const k = ed25519Numbers();
    const signer = createSigner(k);
    for (const flags of [0, 2, 4]) {
      const { alg, sig } = splitSig(await signer.sign(data, flags));
      expect(alg).toBe('ssh-ed25519');
      expect(sig.length).toBe(64);
      const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.publicKey.toString('base64url') }, format: 'jwk' });
      expect(verify(null, data, pub, sig)).toBe(true);
    }
  });

  for (const [curve, hash, size] of [
    ['nistp256', 'sha256', 32],
    ['nistp384', 'sha384', 48],
    ['nistp521', 'sha512', 66],
  ] as const) {
    it(`signs ecdsa ${curve} with ${hash} as mpint r, mpint s`, async () => {
      const k = ecdsaNumbers(curve);
      const signer = createSigner(k);
      expect(signer.bits).toBe(curve === 'nistp521' ? 521 : size * 8);
      for (let i = 0; i < 8; i++) {
        const { alg, sig } = splitSig(await signer.sign(data, 0));
        expect(alg).toBe(`ecdsa-sha2-${curve}`);
        const p1363 = mpintPair(sig, size);
        const crv = { nistp256: 'P-256', nistp384: 'P-384', nistp521: 'P-521' }[curve];
        const pub = createPublicKey({ key: { kty: 'EC', crv, x: k.q.subarray(1, 1 + size).toString('base64url'), y: k.q.subarray(1 + size).toString('base64url') }, format: 'jwk' });
        expect(verify(hash, data, { key: pub, dsaEncoding: 'ieee-p1363' }, p1363)).toBe(true);
      }
    });
  }

  it('signs RSA with the algorithm the flags ask for, padded to the modulus length', async () => {
    const k = rsaNumbers(2048);
    const signer = createSigner(k);
    expect(signer.bits).toBe(2048);
    const pub = createPublicKey({ key: { kty: 'RSA', n: k.n.toString('base64url'), e: k.e.toString('base64url') }, format: 'jwk' });
    for (const [flags, alg, hash] of [
      [2, 'rsa-sha2-256', 'sha256'],
      [6, 'rsa-sha2-256', 'sha256'],
      [4, 'rsa-sha2-512', 'sha512'],
      [0, 'ssh-rsa', 'sha1'],
      [1, 'ssh-rsa', 'sha1'],
    ] as const) {
      const out = splitSig(await signer.sign(data, flags));
      expect(out.alg).toBe(alg);
      expect(out.sig.length).toBe(256);
      expect(verify(hash, data, pub, out.sig)).toBe(true);
    }
  });

  it('refuses keys whose private half does not match the public half', () => {
    const a = ed25519Numbers();
    const b = ed25519Numbers();
    expect(() => createSigner({ ...a, publicKey: b.publicKey })).toThrow(InvalidKeyError);
    const e1 = ecdsaNumbers('nistp256');
    const e2 = ecdsaNumbers('nistp256');
    expect(() => createSigner({ ...e1, d: e2.d })).toThrow(/does not match/);
    expect(() => createSigner({ ...e1, curve: 'nistp384' })).toThrow(InvalidKeyError);
    const r = rsaNumbers(1024);
    expect(() => createSigner({ ...r, p: rsaNumbers(1024).p })).toThrow(/primes/);
    expect(() => createSigner({ ...r, iqmp: Buffer.from([1]) })).toThrow(/CRT/);
    expect(() => createSigner({ ...a, seed: a.seed.subarray(1) })).toThrow(/length/);
  });
});
