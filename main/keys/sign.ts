// Signing with a private key's numbers: the one place KeyDock makes SSH signatures, for its own
// agent (main/agent/server) and for the connection tester's IdentityFile keys.
import { constants, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { EC_CURVES, InvalidKeyError, privateKeyObject, strip, type EcCurveName, type PrivateKeyNumbers } from './key-objects';
import { materialOf } from './load';
import type { KeyMaterial } from './material';
import type { PrivateKey } from './types';
import { mpint, sshString } from './wire';

/** SSH_AGENT_RSA_SHA2_256 / _512 sign flags (docs/agent-protocol.md §1.2). */
export const SIGN_FLAG_RSA_SHA2_256 = 0x02;
export const SIGN_FLAG_RSA_SHA2_512 = 0x04;

/** Signs for one key and frames the result as an SSH signature blob. */
export interface Signer {
  readonly kind: PrivateKeyNumbers['kind'];
  readonly bits: number;
  /** Resolves to `string algorithm, string signature` (docs/agent-protocol.md §1.3). */
  sign(data: Buffer, flags: number): Promise<Buffer>;
}

/** Creates the signer for a key's private numbers; throws InvalidKeyError for a key that does not check out. */
export function createSigner(numbers: PrivateKeyNumbers): Signer {
  const key = privateKeyObject(numbers);
  switch (numbers.kind) {
    case 'ed25519':
      return new Ed25519Signer(key);
    case 'ecdsa':
      return new EcdsaSigner(key, numbers.curve);
    case 'rsa':
      return new RsaSigner(key, strip(numbers.n).length, bitLength(strip(numbers.n)));
  }
}

/** The numbers a signer needs from key material; null for key types KeyDock does not sign with (Ed448, DSA). */
export function signingNumbers(m: KeyMaterial): PrivateKeyNumbers | null {
  switch (m.kind) {
    case 'ed25519':
      return { kind: 'ed25519', publicKey: m.pub, seed: m.seed };
    case 'ecdsa':
      return { kind: 'ecdsa', curve: m.curve, q: m.q, d: m.d };
    case 'rsa':
      return { kind: 'rsa', n: m.n, e: m.e, d: m.d, iqmp: m.iqmp, p: m.p, q: m.q };
    case 'ed448':
    case 'dsa':
      return null;
  }
}

/** The signer for a key loaded by main/keys/load.ts; throws InvalidKeyError for a type KeyDock cannot sign with. */
export function signerForKey(key: PrivateKey): Signer {
  const numbers = signingNumbers(materialOf(key));
  if (!numbers) throw new InvalidKeyError(`KeyDock cannot sign with ${key.type} keys`);
  return createSigner(numbers);
}

class Ed25519Signer implements Signer {
  readonly kind = 'ed25519';
  readonly bits = 256;
  constructor(private readonly key: KeyObject) {}

  async sign(data: Buffer): Promise<Buffer> {
    // ~30 µs: cheaper inline than a trip through the thread pool.
    const sig = cryptoSign(null, data, this.key);
    return Buffer.concat([sshString('ssh-ed25519'), sshString(sig)]);
  }
}

class EcdsaSigner implements Signer {
  readonly kind = 'ecdsa';
  readonly bits: number;
  private readonly type: string;
  private readonly hash: string;
  private readonly half: number;

  constructor(
    private readonly key: KeyObject,
    curve: EcCurveName,
  ) {
    this.type = `ecdsa-sha2-${curve}`;
    this.hash = EC_CURVES[curve].hash;
    this.half = EC_CURVES[curve].bytes;
    this.bits = curve === 'nistp521' ? 521 : this.half * 8;
  }

  async sign(data: Buffer): Promise<Buffer> {
    const raw = await signAsync(this.hash, data, { key: this.key, dsaEncoding: 'ieee-p1363' });
    const r = raw.subarray(0, this.half);
    const s = raw.subarray(this.half);
    return Buffer.concat([sshString(this.type), sshString(Buffer.concat([mpint(r), mpint(s)]))]);
  }
}

class RsaSigner implements Signer {
  readonly kind = 'rsa';
  constructor(
    private readonly key: KeyObject,
    private readonly modulusBytes: number,
    readonly bits: number,
  ) {}

  async sign(data: Buffer, flags: number): Promise<Buffer> {
    // OpenSSH tests SHA-256 first; SHA-1 only when the client asked for neither.
    const [alg, hash] =
      flags & SIGN_FLAG_RSA_SHA2_256 ? ['rsa-sha2-256', 'sha256'] : flags & SIGN_FLAG_RSA_SHA2_512 ? ['rsa-sha2-512', 'sha512'] : ['ssh-rsa', 'sha1'];
    let sig = await signAsync(hash, data, { key: this.key, padding: constants.RSA_PKCS1_PADDING });
    if (sig.length < this.modulusBytes) sig = Buffer.concat([Buffer.alloc(this.modulusBytes - sig.length), sig]);
    return Buffer.concat([sshString(alg), sshString(sig)]);
  }
}

/** RSA and ECDSA signatures take long enough (0.3–3 ms) to be worth the libuv thread pool: other connections keep being served meanwhile. */
function signAsync(hash: string, data: Buffer, key: Parameters<typeof cryptoSign>[2]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    cryptoSign(hash, data, key, (err, sig) => (err ? reject(err) : resolve(sig)));
  });
}

function bitLength(b: Buffer): number {
  if (b.length === 0) return 0;
  return (b.length - 1) * 8 + (b[0] as number).toString(2).length;
}
