import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BcryptPbkdfError, bcryptPbkdf } from '../../../main/keys/bcrypt-pbkdf';
import { createHash } from 'node:crypto';

const seededBytes = (n: number, seed: number): Buffer => {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < n; i++) out.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(out).subarray(0, n);
};

// The bcrypt-pbkdf npm package (a port of OpenBSD's bcrypt_pbkdf.c, still installed for ssh2) is
// the reference: the fast implementation must give the same bytes for every shape of input.
const reference = createRequire(import.meta.url)('bcrypt-pbkdf') as {
  pbkdf(pass: Uint8Array, passlen: number, salt: Uint8Array, saltlen: number, key: Uint8Array, keylen: number, rounds: number): number;
};

describe('bcryptPbkdf', () => {
  const shapes: [pass: number, salt: number, rounds: number, keyLen: number][] = [
    [1, 16, 1, 48],
    [13, 16, 2, 48],
    [72, 16, 3, 64],
    [100, 16, 1, 80],
    [5, 1, 1, 1],
    [5, 8, 2, 33],
    [7, 24, 1, 1024],
  ];
  for (const [pl, sl, rounds, kl] of shapes) {
    it(`matches OpenBSD's bcrypt_pbkdf: pass ${pl} B, salt ${sl} B, ${rounds} rounds, ${kl} B out`, () => {
      const pass = seededBytes(pl, pl * 7 + 1);
      const salt = seededBytes(sl, sl * 13 + 2);
      const want = Buffer.alloc(kl);
      expect(reference.pbkdf(pass, pl, salt, sl, want, kl, rounds)).toBe(0);
      expect(bcryptPbkdf(pass, salt, rounds, kl).equals(want)).toBe(true);
    });
  }
  it('refuses what OpenBSD refuses', () => {
    expect(() => bcryptPbkdf(Buffer.alloc(0), Buffer.alloc(16), 16, 48)).toThrow(BcryptPbkdfError);
    expect(() => bcryptPbkdf(Buffer.from('x'), Buffer.alloc(0), 16, 48)).toThrow(BcryptPbkdfError);
    expect(() => bcryptPbkdf(Buffer.from('x'), Buffer.alloc(16), 0, 48)).toThrow(BcryptPbkdfError);
    expect(() => bcryptPbkdf(Buffer.from('x'), Buffer.alloc(16), 1, 1025)).toThrow(BcryptPbkdfError);
  });
});
