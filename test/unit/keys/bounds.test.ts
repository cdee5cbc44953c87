import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProtocolError, decodeRequest } from '../../../main/agent/codec';
import { InvalidKeyError, privateKeyObject } from '../../../main/keys/key-objects';
import { decryptKeyFile, openKeyData } from '../../../main/keys/load';
import { KEY_LIMITS, checkConsistency, checkKeyBounds, fromKeyObject, privateFields, publicBlob, type KeyMaterial } from '../../../main/keys/material';
import { PKCS8_KDF_LIMITS } from '../../../main/keys/pem';
import { sshString } from '../../../main/keys/wire';
import { encryptedPkcs8, hugeDsaKeyFile, opensshKeyFile, pem, pkcs8Dsa } from '../../integration/hostile/hostile-files';

// Every number a key file or an agent ADD_IDENTITY message carries is bounded before KeyDock
// computes with it: a crafted key is refused in milliseconds instead of freezing the process.

/** Generous against a loaded machine; the real figures are a few milliseconds. */
const FAST_MS = 3000;

async function refusal(work: () => Promise<unknown>): Promise<{ error: { code?: string; message: string }; ms: number }> {
  const start = performance.now();
  try {
    await work();
  } catch (e) {
    return { error: e as { code?: string; message: string }, ms: performance.now() - start };
  }
  throw new Error('expected a refusal');
}

const open = (text: string | Buffer, pass: string | null = null) => decryptKeyFile(Buffer.from(text), 'hostile', async () => pass);

/** A positive number of exactly `bits` bits. */
function ofBits(bits: number): Buffer {
  const b = randomBytes(Math.ceil(bits / 8));
  const top = bits % 8 || 8;
  b[0] = ((b[0] as number) & ((1 << top) - 1)) | (1 << (top - 1));
  return b;
}

const realDsa = (): Extract<KeyMaterial, { kind: 'dsa' }> => {
  // A consistent small DSA key: y = g^x mod p over a 1024-bit p with a 160-bit q is not needed
  // for the range checks, which all run before the exponentiation.
  return { kind: 'dsa', p: ofBits(1024), q: ofBits(160), g: Buffer.from([2]), y: Buffer.from([5]), x: Buffer.from([7]) };
};

describe('hostile DSA keys', () => {
  for (const kib of [25, 100]) {
    it(`refuses a ${kib} KiB openssh-key-v1 DSA key with huge numbers at once, naming p`, async () => {
      const { error, ms } = await refusal(() => open(hugeDsaKeyFile(kib * 1024)));
      expect(error.code).toBe('key-unsupported');
      expect(error.message).toMatch(/DSA key's prime p is \d+ bits; KeyDock reads DSA keys of at most 10000 bits/);
      expect(ms).toBeLessThan(FAST_MS);
    });
  }

  it('refuses a PKCS#8 DSA key with huge numbers before OpenSSL (which would compute y) sees it', async () => {
    const { error, ms } = await refusal(() => open(pem('PRIVATE KEY', pkcs8Dsa({ p: 12_000, q: 12_000, g: 11_000, x: 11_000 }))));
    expect(error.code).toBe('key-unsupported');
    expect(error.message).toMatch(/prime p is 96000 bits/);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('refuses the same inside encrypted PKCS#8 once the passphrase opens it', async () => {
    const file = pem('ENCRYPTED PRIVATE KEY', encryptedPkcs8(pkcs8Dsa({ p: 12_000, q: 12_000, g: 11_000, x: 11_000 }), 'pw', 1000));
    const { error, ms } = await refusal(() => open(file, 'pw'));
    expect(error.code).toBe('key-unsupported');
    expect(ms).toBeLessThan(FAST_MS);
    expect((await refusal(() => open(file, 'wrong'))).error.code).toBe('key-wrong-passphrase');
  });

  it('checks q, x, g and y against each other before any exponentiation', () => {
    const bad = (patch: Partial<Extract<KeyMaterial, { kind: 'dsa' }>>) => {
      try {
        checkKeyBounds({ ...realDsa(), ...patch });
        return null;
      } catch (e) {
        return `${(e as { code: string }).code}: ${(e as Error).message}`;
      }
    };
    expect(bad({})).toBeNull();
    expect(bad({ q: ofBits(100) })).toMatch(/^key-unsupported: .*subgroup order q is 100 bits/);
    expect(bad({ q: ofBits(257) })).toMatch(/^key-unsupported: .*q is 257 bits/);
    expect(bad({ p: ofBits(10_001) })).toMatch(/^key-unsupported: .*prime p is 10001 bits/);
    expect(bad({ x: Buffer.alloc(0) })).toMatch(/^key-corrupt: .*private key x/);
    expect(bad({ x: ofBits(161) })).toMatch(/^key-corrupt: .*private key x/);
    expect(bad({ g: Buffer.from([1]) })).toMatch(/^key-corrupt: .*generator g/);
    expect(bad({ g: ofBits(1025) })).toMatch(/^key-corrupt: .*generator g/);
    expect(bad({ y: Buffer.alloc(0) })).toMatch(/^key-corrupt: .*public key y/);
    expect(bad({ x: ofBits(9000) })).toMatch(/^key-corrupt: .*x is 9000 bits/);
  });

  it('an openssh-key-v1 DSA key at the OpenSSL limits is checked in milliseconds', async () => {
    const p = ofBits(10_000);
    const m: KeyMaterial = { kind: 'dsa', p, q: ofBits(256), g: ofBits(9_999), y: ofBits(9_999), x: ofBits(255) };
    const fields = Buffer.concat([sshString('ssh-dss'), privateFields(m)]);
    const { error, ms } = await refusal(() => open(opensshKeyFile(publicBlob(m), fields)));
    // Random numbers: in bounds, so the real check runs, and fails as a mismatch.
    expect(error.message).toBe('The DSA private key does not match its public key.');
    expect(ms).toBeLessThan(FAST_MS);
  });
});

describe('hostile RSA keys', () => {
  const rsa = fromKeyObject(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey) as Extract<KeyMaterial, { kind: 'rsa' }>;
  const bad = (m: KeyMaterial) => {
    try {
      checkConsistency(m);
      return null;
    } catch (e) {
      return `${(e as { code: string }).code}: ${(e as Error).message}`;
    }
  };

  it('accepts a real key and refuses out-of-bound numbers by name', () => {
    expect(bad(rsa)).toBeNull();
    expect(bad({ ...rsa, n: ofBits(KEY_LIMITS.rsaMaxBits + 1) })).toMatch(/^key-unsupported: The RSA key's modulus n is 16385 bits/);
    expect(bad({ ...rsa, e: ofBits(65) })).toMatch(/^key-unsupported: .*public exponent e is 65 bits/);
    expect(bad({ ...rsa, d: ofBits(20_000) })).toMatch(/^key-corrupt: .*d is 20000 bits/);
    expect(bad({ ...rsa, n: ofBits(512), p: ofBits(256), q: ofBits(256) })).toMatch(/^key-unsupported: .*512 bits; OpenSSH refuses RSA keys shorter than 1024/);
    expect(bad({ ...rsa, e: Buffer.from([4]) })).toMatch(/^key-corrupt: .*exponent e must be odd/);
    expect(bad({ ...rsa, d: rsa.n })).toMatch(/^key-corrupt: .*private exponent d/);
    expect(bad({ ...rsa, iqmp: Buffer.alloc(0) })).toMatch(/^key-corrupt: .*iqmp/);
    expect(bad({ ...rsa, q: ofBits(100) })).toMatch(/^key-corrupt: .*cannot multiply to the modulus/);
  });

  it('refuses a 100 KiB RSA key in an openssh-key-v1 file at once', async () => {
    const m: KeyMaterial = { ...rsa, n: ofBits(8 * 16_000), d: ofBits(8 * 16_000), p: ofBits(8 * 8_000), q: ofBits(8 * 8_000), iqmp: ofBits(8 * 8_000) };
    const { error, ms } = await refusal(() => open(opensshKeyFile(publicBlob(m), Buffer.concat([sshString('ssh-rsa'), privateFields(m)]))));
    expect(error.code).toBe('key-unsupported');
    expect(error.message).toMatch(/modulus n is 128000 bits/);
    expect(ms).toBeLessThan(FAST_MS);
  });
});

describe('ECDSA and Edwards keys have exact sizes', () => {
  const ec = fromKeyObject(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey) as Extract<KeyMaterial, { kind: 'ecdsa' }>;
  const ed = fromKeyObject(generateKeyPairSync('ed25519').privateKey) as Extract<KeyMaterial, { kind: 'ed25519' }>;
  it('refuses a point or scalar of the wrong length', () => {
    expect(() => checkKeyBounds(ec)).not.toThrow();
    expect(() => checkKeyBounds({ ...ec, q: Buffer.concat([ec.q, Buffer.alloc(1)]) })).toThrow(/public point Q is 66 bytes; it must be an uncompressed point of 65 bytes/);
    expect(() => checkKeyBounds({ ...ec, d: ofBits(257) })).toThrow(/private scalar d is longer than the curve's 256 bits/);
    expect(() => checkKeyBounds({ ...ec, d: Buffer.alloc(0) })).toThrow(/d is zero/);
    expect(() => checkKeyBounds(ed)).not.toThrow();
    expect(() => checkKeyBounds({ ...ed, pub: Buffer.alloc(33) })).toThrow(/wrong size \(32 and 33 bytes; both must be 32\)/);
  });
});

describe('agent ADD_IDENTITY is bounded as it is parsed', () => {
  it('answers a huge RSA or DSA add with a protocol error in milliseconds', () => {
    const rsa: KeyMaterial = { kind: 'rsa', n: ofBits(200_000), e: Buffer.from([1, 0, 1]), d: ofBits(200_000), p: ofBits(100_000), q: ofBits(100_000), iqmp: ofBits(100_000) };
    const dsa: KeyMaterial = { kind: 'dsa', p: ofBits(200_000), q: ofBits(200_000), g: ofBits(200_000), y: ofBits(200_000), x: ofBits(200_000) };
    for (const m of [rsa, dsa]) {
      const type = m.kind === 'rsa' ? 'ssh-rsa' : 'ssh-dss';
      const body = Buffer.concat([Buffer.from([17]), sshString(type), privateFields(m), sshString('comment')]);
      const start = performance.now();
      expect(() => decodeRequest(body)).toThrow(ProtocolError);
      expect(performance.now() - start).toBeLessThan(FAST_MS);
    }
  });
});

describe('signing keys from raw numbers are bounded too', () => {
  it('refuses huge RSA numbers before multiplying them', () => {
    const start = performance.now();
    const huge = { kind: 'rsa' as const, n: ofBits(400_000), e: Buffer.from([1, 0, 1]), d: ofBits(400_000), p: ofBits(200_000), q: ofBits(200_000), iqmp: ofBits(200_000) };
    expect(() => privateKeyObject(huge)).toThrow(InvalidKeyError);
    expect(() => privateKeyObject({ ...huge, n: ofBits(2048), e: ofBits(65) })).toThrow(/longer than|exponents longer than 64 bits/);
    expect(performance.now() - start).toBeLessThan(FAST_MS);
  });
});

describe('encrypted PKCS#8 KDF costs', () => {
  const ed = generateKeyPairSync('ed25519').privateKey;
  const plain = ed.export({ format: 'der', type: 'pkcs8' });

  it('decrypts PBES2 itself, with the public key Node derives', async () => {
    const file = pem('ENCRYPTED PRIVATE KEY', encryptedPkcs8(plain, 'pass phrase', 1000));
    expect(openKeyData(Buffer.from(file), null).header).toMatchObject({ kdf: 'PBKDF2-HMAC-SHA256', cipher: 'AES-256-CBC', kdfRounds: 1000 });
    const { parsed } = await open(file, 'pass phrase');
    expect(publicBlob(parsed.material).equals(publicBlob(fromKeyObject(ed)))).toBe(true);
  });

  it('refuses PBKDF2 iteration counts above the limit before deriving anything', async () => {
    const file = pem('ENCRYPTED PRIVATE KEY', encryptedPkcs8(plain, 'pw', 1, 2 ** 31));
    const { error, ms } = await refusal(() => open(file, 'pw'));
    expect(error.code).toBe('key-unsupported');
    expect(error.message).toMatch(new RegExp(`asks for 2147483648 PBKDF2-HMAC-SHA256 iterations; KeyDock stops at ${PKCS8_KDF_LIMITS.maxPbkdf2Iterations}`));
    expect(ms).toBeLessThan(FAST_MS);
  });
});
