// New keys: Ed25519 by default, ECDSA or RSA (3072+) on request, written in OpenSSH format
// like ssh-keygen with a `.pub` beside.
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { KeyDockError } from '../util/errors';
import { checkKeyPairTargets, writeKeyPair } from '../util/safe-write';
import { fingerprintSha256, publicKeyLine } from './format';
import { fromKeyObject, publicBlob, type KeyMaterial } from './material';
import { writeOpenSsh } from './openssh';

const gen = promisify(generateKeyPair) as (type: string, opts: object) => Promise<{ privateKey: KeyObject; publicKey: KeyObject }>;

export type GenerateType = 'ed25519' | 'ecdsa' | 'rsa';

/** Checks type/bits the way users get them wrong, with the fix in the message. */
export function resolveBits(type: GenerateType, bits?: number): number {
  switch (type) {
    case 'ed25519':
      if (bits !== undefined && bits !== 256) throw usage('Ed25519 keys always have 256 bits; leave out --bits.');
      return 256;
    case 'ecdsa': {
      const b = bits ?? 256;
      if (![256, 384, 521].includes(b)) throw usage('ECDSA keys have 256, 384 or 521 bits.');
      return b;
    }
    case 'rsa': {
      const b = bits ?? 3072;
      if (b < 3072) throw usage(`RSA keys shorter than 3072 bits are too weak for new keys (asked for ${b}).`, 'Use --bits 3072 or 4096, or better an Ed25519 key (the default).');
      if (b > 16384 || b % 8 !== 0) throw usage('RSA keys have a multiple of 8 bits, at most 16384.');
      return b;
    }
    default:
      throw usage(`Unknown key type "${String(type)}".`, 'Use --type ed25519 (default), ecdsa or rsa.');
  }
}

/** Makes fresh key material with Node's crypto (OpenSSL's CSPRNG). */
export async function generateMaterial(type: GenerateType, bits?: number): Promise<KeyMaterial> {
  const b = resolveBits(type, bits);
  let pair;
  if (type === 'ed25519') pair = await gen('ed25519', {});
  else if (type === 'ecdsa') pair = await gen('ec', { namedCurve: b === 256 ? 'P-256' : b === 384 ? 'P-384' : 'P-521' });
  else pair = await gen('rsa', { modulusLength: b, publicExponent: 65537 });
  return fromKeyObject(pair.privateKey);
}

/** What keygen produced: where, and what to paste into a Git host. */
export interface GeneratedKeyFiles {
  path: string;
  publicPath: string;
  fingerprint: string;
  publicKey: string;
  material: KeyMaterial;
  /** Where a replaced pair was kept (`NAME.keydock-old-<UTC time>`, + `.pub`), when `force` replaced one. */
  previous: { privatePath: string; publicPath: string | null } | null;
}

export interface GenerateKeyFilesOptions {
  path: string;
  type?: GenerateType;
  bits?: number;
  comment?: string;
  passphrase?: string;
  /** Replace an existing pair (kept as a backup, never lost). */
  force?: boolean;
  rounds?: number;
  /** Create missing folders with mode 0700 (default true; the CLI asks for --parents). */
  createParents?: boolean;
}

/**
 * Generates a key and writes `path` (0600) and `path.pub` as one pair that no interruption leaves
 * half-written or mismatched. An existing private key is refused unless `force`; a lone `.pub`
 * without its private key counts as absent. Targets are checked before the (slow) generation.
 */
export async function generateKeyFiles(opts: GenerateKeyFilesOptions): Promise<GeneratedKeyFiles> {
  const publicPath = `${opts.path}.pub`;
  const write = { overwrite: !!opts.force, createParents: opts.createParents ?? true };
  await checkKeyPairTargets(opts.path, publicPath, write);
  const material = await generateMaterial(opts.type ?? 'ed25519', opts.bits);
  const comment = opts.comment ?? '';
  const text = await writeOpenSsh(material, comment, { passphrase: opts.passphrase, rounds: opts.rounds });
  const blob = publicBlob(material);
  const line = publicKeyLine(blob, comment);
  const written = await writeKeyPair(opts.path, text, publicPath, `${line}\n`, write);
  return { path: opts.path, publicPath, fingerprint: fingerprintSha256(blob), publicKey: line, material, previous: written.previous };
}

function usage(message: string, hint = ''): KeyDockError {
  return new KeyDockError('keygen-bad-options', message, hint || 'See keydock keygen --help.', { exitCode: 2 });
}
