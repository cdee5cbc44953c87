// Reader and writer for openssh-key-v1 (docs/agent-protocol.md §3.1), the default of ssh-keygen.
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual, type DecipherGCM } from 'node:crypto';
import type { KeyDockError } from '../util/errors';
import { corruptKey, unsupportedKey, wrongPassphrase } from './errors';
import { checkConsistency, privateFields, publicBlob, readPrivateFields, sshType, type KeyMaterial } from './material';
import type { KeyFileReader, ParsedKey } from './parsed';
import { WireError, WireReader, sshString, u32 } from './wire';
import { describePublicBlob } from './format';

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
/** Above this, bcrypt would take minutes: refuse instead of hanging (ssh-keygen default is 24). */
export const MAX_BCRYPT_ROUNDS = 2048;
/** ssh-keygen -Z chacha20-poly1305@openssh.com: decrypted by decryptChachaPoly, not by node:crypto. */
const CHACHA_POLY = 'chacha20-poly1305@openssh.com';

interface CipherSpec {
  node: string;
  keyLen: number;
  ivLen: number;
  block: number;
  tagLen: number;
}

const CIPHERS: Record<string, CipherSpec> = {
  none: { node: '', keyLen: 0, ivLen: 0, block: 8, tagLen: 0 },
  'aes128-ctr': { node: 'aes-128-ctr', keyLen: 16, ivLen: 16, block: 16, tagLen: 0 },
  'aes192-ctr': { node: 'aes-192-ctr', keyLen: 24, ivLen: 16, block: 16, tagLen: 0 },
  'aes256-ctr': { node: 'aes-256-ctr', keyLen: 32, ivLen: 16, block: 16, tagLen: 0 },
  'aes128-cbc': { node: 'aes-128-cbc', keyLen: 16, ivLen: 16, block: 16, tagLen: 0 },
  'aes192-cbc': { node: 'aes-192-cbc', keyLen: 24, ivLen: 16, block: 16, tagLen: 0 },
  'aes256-cbc': { node: 'aes-256-cbc', keyLen: 32, ivLen: 16, block: 16, tagLen: 0 },
  'aes128-gcm@openssh.com': { node: 'aes-128-gcm', keyLen: 16, ivLen: 12, block: 16, tagLen: 16 },
  'aes256-gcm@openssh.com': { node: 'aes-256-gcm', keyLen: 32, ivLen: 12, block: 16, tagLen: 16 },
  '3des-cbc': { node: 'des-ede3-cbc', keyLen: 24, ivLen: 8, block: 8, tagLen: 0 },
  // OpenSSH's cipher.c: block 8, a 64-byte key (two ChaCha20 keys), no IV, 16-byte Poly1305 tag.
  [CHACHA_POLY]: { node: '', keyLen: 64, ivLen: 0, block: 8, tagLen: 16 },
};

/** Strips the armor and base64 of an OpenSSH private key file. */
export function openSshBinary(text: string): Buffer {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  // Whitespace anywhere in the armour (trailing spaces, CRLF) is dropped with the line breaks below.
  if (!m) throw corruptKey('The OpenSSH private key has no END line; the file is cut short.');
  const b64 = (m[1] as string).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw corruptKey('The OpenSSH private key contains characters that are not base64.');
  return Buffer.from(b64, 'base64');
}

/** Opens an openssh-key-v1 file: header readable now, private part on decrypt. */
export function openOpenSsh(text: string, path: string | null): KeyFileReader {
  const bin = openSshBinary(text);
  try {
    return parseContainer(bin, path);
  } catch (e) {
    if (e instanceof WireError) throw corruptKey(`The OpenSSH private key is damaged (${e.message}).`, e);
    throw e;
  }
}

function parseContainer(bin: Buffer, path: string | null): KeyFileReader {
  if (bin.length < MAGIC.length || !bin.subarray(0, MAGIC.length).equals(MAGIC)) throw corruptKey('The file says it is an OpenSSH private key but does not start with "openssh-key-v1".');
  const r = new WireReader(bin.subarray(MAGIC.length));
  const cipherName = r.text();
  const kdfName = r.text();
  const kdfOpts = r.string();
  const nkeys = r.uint32();
  if (nkeys !== 1) throw unsupportedKey(`The file holds ${nkeys} keys; KeyDock reads files with exactly one key, like ssh-keygen writes.`, 'Split the keys into one file each with ssh-keygen.');
  const pub = Buffer.from(r.string());
  const encLen = r.uint32();
  const cipher = CIPHERS[cipherName];
  if (!cipher) {
    throw unsupportedKey(
      `The key is encrypted with "${cipherName}", which KeyDock cannot decrypt.`,
      'Re-encrypt it with the default cipher: ssh-keygen -p -f FILE (or -Z aes256-ctr).',
    );
  }
  const encrypted = r.take(encLen);
  const tag = r.take(cipher.tagLen);
  r.end('OpenSSH private key');
  if (encLen === 0 || encLen % cipher.block !== 0) throw corruptKey('The encrypted part of the OpenSSH key has a length that is not a whole number of blocks.');

  const info = describePublicBlob(pub);
  let salt = Buffer.alloc(0);
  let rounds = 0;
  if (kdfName === 'bcrypt') {
    const o = new WireReader(kdfOpts);
    salt = Buffer.from(o.string());
    rounds = o.uint32();
    o.end('bcrypt options');
    if (cipherName === 'none') throw corruptKey('The key names a KDF but no cipher.');
    if (rounds < 1) throw corruptKey('The key asks for 0 bcrypt rounds.');
  } else if (kdfName === 'none') {
    if (cipherName !== 'none') throw corruptKey('The key is encrypted but names no KDF.');
  } else {
    throw unsupportedKey(`The key uses the key derivation "${kdfName}", which KeyDock does not know.`, 'Re-encrypt it with ssh-keygen -p -f FILE.');
  }
  const isEncrypted = cipherName !== 'none';
  // An unencrypted key's comment is readable without a passphrase, so `fingerprint` needs nothing
  // more than the header; read when asked (parsing the private part checks the whole key, which
  // `keydock which` and the doctor, with a .pub beside the key, never need).
  let comment: string | null | undefined;
  const readComment = (): string | null => {
    if (comment !== undefined) return comment;
    comment = null;
    if (!isEncrypted) {
      try {
        comment = parsePrivateSection(encrypted, pub, false, path).comment;
      } catch {
        // A damaged private part is reported by decrypt().
      }
    }
    return comment;
  };

  return {
    header: {
      format: 'openssh',
      encrypted: isEncrypted,
      publicBlob: pub,
      get comment() {
        return readComment();
      },
      cipher: isEncrypted ? cipherName : null,
      kdf: isEncrypted ? 'bcrypt' : null,
      kdfCost: isEncrypted ? `${rounds} rounds` : null,
      kdfRounds: isEncrypted ? rounds : null,
      type: info.type,
    },
    async decrypt(passphrase: string | null): Promise<ParsedKey> {
      let plain: Buffer;
      if (!isEncrypted) plain = encrypted;
      else {
        if (rounds > MAX_BCRYPT_ROUNDS) {
          throw unsupportedKey(
            `The key asks for ${rounds} bcrypt rounds; KeyDock stops at ${MAX_BCRYPT_ROUNDS} so a hostile file cannot freeze it for hours.`,
            'Lower the cost with ssh-keygen -p -a 24 -f FILE.',
          );
        }
        // Like OpenSSH (sshkey.c): an empty passphrase on an encrypted key is a wrong passphrase.
        if (!passphrase) throw wrongPassphrase(path);
        const secret = await bcrypt(Buffer.from(passphrase, 'utf8'), salt, rounds, cipher.keyLen + cipher.ivLen);
        if (cipherName === CHACHA_POLY) plain = await decryptChachaPoly(secret, encrypted, tag, path);
        else {
          const key = secret.subarray(0, cipher.keyLen);
          const iv = secret.subarray(cipher.keyLen);
          const d = createDecipheriv(cipher.node, key, iv);
          d.setAutoPadding(false);
          if (cipher.tagLen) (d as DecipherGCM).setAuthTag(tag);
          try {
            plain = Buffer.concat([d.update(encrypted), d.final()]);
          } catch {
            if (!cipher.tagLen) throw wrongPassphrase(path);
            // GCM encrypts with AES-CTR from counter block IV‖2, so CTR mode reads the check numbers.
            const ctr = createDecipheriv(cipher.node.replace('-gcm', '-ctr'), key, Buffer.concat([iv, u32(2)]));
            throw tagFailure(ctr.update(encrypted.subarray(0, 8)), 'GCM', path);
          }
        }
      }
      return parsePrivateSection(plain, pub, isEncrypted, path);
    },
  };
}

/**
 * The error for a failed authentication tag. OpenSSH calls every bad tag a wrong passphrase; the
 * two check numbers that open the payload (decrypted without authentication, `checkBytes`) tell
 * the cases apart: equal under this key means the passphrase was right and the file was changed
 * afterwards. They only choose the error; nothing unauthenticated is returned.
 */
function tagFailure(checkBytes: Buffer, mac: 'GCM' | 'Poly1305', path: string | null): KeyDockError {
  if (checkBytes.readUInt32BE(0) === checkBytes.readUInt32BE(4)) {
    return corruptKey(`The encrypted part of the OpenSSH key fails its ${mac} check although the passphrase is right; the file was changed.`);
  }
  return wrongPassphrase(path);
}

/**
 * chacha20-poly1305@openssh.com as OpenSSH applies it to a key file (cipher-chachapoly.c, called by
 * sshkey.c with sequence number 0 and no additional data): of the 64 KDF bytes the first 32 are the
 * payload key (the last 32, the SSH packet-length key, are unused); ChaCha20 is DJB's original one
 * (64-bit nonce = the sequence number, 64-bit block counter); keystream block 0 gives the Poly1305
 * key, the payload is encrypted from block 1, and the tag after it covers the ciphertext alone.
 * @noble/ciphers does the ChaCha20 and Poly1305: Node has no Poly1305 on its own, and the
 * BoringSSL inside Electron has no 'chacha20' cipher for createDecipheriv.
 */
async function decryptChachaPoly(secret: Buffer, encrypted: Buffer, tag: Buffer, path: string | null): Promise<Buffer> {
  // Loaded on first use: commands that never decrypt such a key (list, agents) do not pay for it.
  const [{ chacha20orig }, { poly1305 }] = await Promise.all([import('@noble/ciphers/chacha.js'), import('@noble/ciphers/_poly1305.js')]);
  const key = secret.subarray(0, 32);
  const nonce = new Uint8Array(8);
  const polyKey = chacha20orig(key, nonce, new Uint8Array(32));
  if (!timingSafeEqual(poly1305(encrypted, polyKey), tag)) {
    throw tagFailure(Buffer.from(chacha20orig(key, nonce, encrypted.subarray(0, 8), undefined, 1)), 'Poly1305', path);
  }
  return Buffer.from(chacha20orig(key, nonce, encrypted, undefined, 1));
}

function parsePrivateSection(plain: Buffer, pub: Buffer, encrypted: boolean, path: string | null): ParsedKey {
  const r = new WireReader(plain);
  let check1: number, check2: number;
  try {
    check1 = r.uint32();
    check2 = r.uint32();
  } catch {
    throw corruptKey('The private part of the OpenSSH key is too short.');
  }
  if (check1 !== check2) {
    if (encrypted) throw wrongPassphrase(path);
    throw corruptKey('The private part of the OpenSSH key fails its check numbers; the file was changed.');
  }
  try {
    const type = r.text();
    const material = readPrivateFields(type, r);
    const comment = r.text();
    // OpenSSH checks only that the padding counts 1, 2, 3, … (mod 256) to the end, not its length:
    // PuTTYgen pads its exports by a whole extra block (docs/agent-protocol.md §3.1).
    const pad = r.rest();
    for (let i = 0; i < pad.length; i++) if (pad[i] !== ((i + 1) & 0xff)) throw corruptKey('The padding of the OpenSSH key is wrong; the file was changed.');
    if (!publicBlob(material).equals(pub)) throw corruptKey('The public key in the file header does not match the private key.');
    checkConsistency(material);
    return { material, comment };
  } catch (e) {
    if (e instanceof WireError) throw corruptKey(`The private part of the OpenSSH key is damaged (${e.message}).`, e);
    throw e;
  }
}

async function bcrypt(pass: Buffer, salt: Buffer, rounds: number, len: number): Promise<Buffer> {
  // The KDF loads when a key is decrypted or encrypted, not with every reader of key headers
  // (`keydock which`, `fingerprint`).
  const { BcryptPbkdfError, bcryptPbkdf } = await import('./bcrypt-pbkdf');
  // bcrypt_pbkdf is synchronous; yield first so callers' UI/IPC events are not starved before it runs.
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(bcryptPbkdf(pass, salt, rounds, len));
      } catch (e) {
        reject(e instanceof BcryptPbkdfError ? corruptKey('The bcrypt parameters of the key are invalid.') : e);
      }
    });
  });
}

/** Options for writing an OpenSSH key file. */
export interface OpenSshWriteOptions {
  passphrase?: string;
  rounds?: number;
}

/** Writes openssh-key-v1 text like ssh-keygen (aes256-ctr + bcrypt when a passphrase is given). */
export async function writeOpenSsh(m: KeyMaterial, comment: string, opts: OpenSshWriteOptions = {}): Promise<string> {
  if (m.kind === 'dsa') throw unsupportedKey('KeyDock does not write DSA private keys: DSA is broken and OpenSSH no longer accepts it.', 'Generate a new key with keydock keygen.');
  const encrypt = !!opts.passphrase;
  const cipherName = encrypt ? 'aes256-ctr' : 'none';
  const cipher = CIPHERS[cipherName] as CipherSpec;
  const rounds = opts.rounds ?? 24;
  const salt = randomBytes(16);
  const check = randomBytes(4);
  const body = Buffer.concat([check, check, sshString(sshType(m)), privateFields(m), sshString(comment)]);
  const padLen = (cipher.block - (body.length % cipher.block)) % cipher.block;
  const pad = Buffer.from(Array.from({ length: padLen }, (_, i) => i + 1));
  let section = Buffer.concat([body, pad]);
  if (encrypt) {
    const secret = await bcrypt(Buffer.from(opts.passphrase as string, 'utf8'), salt, rounds, cipher.keyLen + cipher.ivLen);
    const c = createCipheriv(cipher.node, secret.subarray(0, cipher.keyLen), secret.subarray(cipher.keyLen));
    section = Buffer.concat([c.update(section), c.final()]);
  }
  const bin = Buffer.concat([
    MAGIC,
    sshString(cipherName),
    sshString(encrypt ? 'bcrypt' : 'none'),
    sshString(encrypt ? Buffer.concat([sshString(salt), u32(rounds)]) : Buffer.alloc(0)),
    u32(1),
    sshString(publicBlob(m)),
    sshString(section),
  ]);
  const b64 = bin.toString('base64');
  const lines = b64.match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}
