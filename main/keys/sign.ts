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
  readonly kind: PrivateKeyNumbers['kind'] | SecurityKeyMaterial['kind'];
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
    case 'sk-ed25519':
    case 'sk-ecdsa':
      return null;
  }
}

/** The signer for a key loaded by main/keys/load.ts; throws InvalidKeyError for a type KeyDock cannot sign with. */
export function signerForKey(key: PrivateKey): Signer {
  const numbers = signingNumbers(materialOf(key));
  if (!numbers) throw new InvalidKeyError(`KeyDock cannot sign with ${key.type} keys`);
  return createSigner(numbers);
}

/** The public half and handle of a FIDO (sk-) key: all KeyDock holds of it. */
export type SecurityKeyMaterial = Extract<KeyMaterial, { kind: 'sk-ed25519' | 'sk-ecdsa' }>;

/** Options of a security-key signer. */
export interface SecurityKeySignerOptions {
  /** Asked for the authenticator's PIN when the key is verify-required (flag 0x04); null = none given. */
  pin?: () => Promise<string | null>;
}

/**
 * A signer for a FIDO key: the provider library (main/platform/sk-provider.ts) asks the
 * authenticator, and the answer is framed as OpenSSH's ssh-sk.c frames it
 * (docs/agent-protocol.md §1.3): the plain type name, the signature, then the flags and counter
 * the authenticator reported.
 */
export function createSecurityKeySigner(m: SecurityKeyMaterial, providerPath: string | null, options: SecurityKeySignerOptions = {}): Signer {
  return new SecurityKeySigner(m, providerPath, options);
}

class SecurityKeySigner implements Signer {
  readonly bits = 256;
  readonly kind: SecurityKeyMaterial['kind'];
  private readonly type: string;
  constructor(
    private readonly m: SecurityKeyMaterial,
    /** null: this system has no provider KeyDock can load (every signature then fails, saying so). */
    private readonly providerPath: string | null,
    private readonly options: SecurityKeySignerOptions,
  ) {
    this.kind = m.kind;
    this.type = m.kind === 'sk-ed25519' ? 'sk-ssh-ed25519@openssh.com' : 'sk-ecdsa-sha2-nistp256@openssh.com';
  }

  async sign(data: Buffer): Promise<Buffer> {
    // SSH_SK_USER_VERIFICATION_REQD: the authenticator wants its PIN (ssh-agent asks through askpass too).
    const pin = this.m.flags & 0x04 && this.options.pin ? await this.options.pin() : null;
    // Loaded on first use: koffi and the provider stay out of processes that never sign with a security key.
    const { SK_ALG_ECDSA, SK_ALG_ED25519, SkProviderError, skSign } = await import('../platform/sk-provider');
    if (!this.providerPath) throw new SkProviderError('no FIDO provider on this system (set SSH_SK_PROVIDER, or add the key to ssh-agent)');
    const resp = await skSign(this.providerPath, {
      alg: this.m.kind === 'sk-ed25519' ? SK_ALG_ED25519 : SK_ALG_ECDSA,
      data,
      application: this.m.application,
      keyHandle: this.m.keyHandle,
      flags: this.m.flags,
      pin,
    });
    const tail = Buffer.alloc(5);
    tail.writeUInt8(resp.flags & 0xff, 0);
    tail.writeUInt32BE(resp.counter >>> 0, 1);
    if (this.m.kind === 'sk-ed25519') {
      if (resp.sigR.length !== 64) throw new SkProviderError(`the provider answered an Ed25519 signature of ${resp.sigR.length} bytes`);
      return Buffer.concat([sshString(this.type), sshString(resp.sigR), tail]);
    }
    if (resp.sigR.length === 0 || resp.sigS.length === 0) throw new SkProviderError('the provider answered an empty ECDSA signature');
    return Buffer.concat([sshString(this.type), sshString(Buffer.concat([mpint(resp.sigR), mpint(resp.sigS)])), tail]);
  }
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
