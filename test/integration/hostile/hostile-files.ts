// Generators for hostile key files: well-formed containers whose numbers are chosen to make a
// careless reader compute for minutes. Only the shapes matter; nothing here is a usable key.
import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function str(v: Buffer | string): Buffer {
  const body = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  return Buffer.concat([u32(body.length), body]);
}

/** A positive mpint of exactly `bytes` bytes with the top bit set (so it carries a 0x00 sign byte). */
function bigNumber(bytes: number): Buffer {
  const n = randomBytes(bytes);
  n[0] = (n[0] as number) | 0x80;
  n[n.length - 1] = (n[n.length - 1] as number) | 1;
  return n;
}

function mpint(n: Buffer): Buffer {
  return str((n[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), n]) : n);
}

/** Wraps a public blob and a private section (without check numbers and padding) as openssh-key-v1 text. */
export function opensshKeyFile(publicBlob: Buffer, privateFields: Buffer, comment = 'hostile'): string {
  const check = randomBytes(4);
  const body = Buffer.concat([check, check, privateFields, str(comment)]);
  const padLen = (8 - (body.length % 8)) % 8;
  const section = Buffer.concat([body, Buffer.from(Array.from({ length: padLen }, (_, i) => i + 1))]);
  const bin = Buffer.concat([MAGIC, str('none'), str('none'), str(Buffer.alloc(0)), u32(1), str(publicBlob), str(section)]);
  const lines = bin.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/**
 * An unencrypted openssh-key-v1 ssh-dss key of about `fileBytes` bytes whose p, q, g, y and x are
 * all huge: checking that y = g^x mod p costs time cubic in their size. Public and private halves
 * agree on p, q, g, y, so only the size of the numbers stops a reader.
 */
export function hugeDsaKeyFile(fileBytes: number): string {
  // Nine mpints (four in the public blob, five in the private section), base64 adds a third.
  const each = Math.floor((fileBytes * 3) / 4 / 9) - 8;
  const [p, q, g, y] = [bigNumber(each), bigNumber(each), bigNumber(each - 1), bigNumber(each - 1)];
  const x = bigNumber(each - 1);
  const pub = Buffer.concat([str('ssh-dss'), mpint(p), mpint(q), mpint(g), mpint(y)]);
  const priv = Buffer.concat([str('ssh-dss'), mpint(p), mpint(q), mpint(g), mpint(y), mpint(x)]);
  return opensshKeyFile(pub, priv);
}

/** A DER TLV with a definite length. */
export function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** DER INTEGER of an unsigned magnitude (or a small number). */
export function derInt(v: Buffer | number): Buffer {
  const hex = typeof v === 'number' ? v.toString(16) : '';
  let b = typeof v === 'number' ? Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex') : v;
  if (b.length === 0) b = Buffer.from([0]);
  if ((b[0] as number) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return der(0x02, b);
}

/** DER OBJECT IDENTIFIER from dotted text. */
export function derOid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [a * 40 + b];
  for (const v of rest) {
    const groups: number[] = [];
    let x = v;
    do {
      groups.unshift(x & 0x7f);
      x = Math.floor(x / 128);
    } while (x > 0);
    groups.forEach((g, i) => bytes.push(i < groups.length - 1 ? g | 0x80 : g));
  }
  return der(0x06, Buffer.from(bytes));
}

export const seq = (...parts: Buffer[]): Buffer => der(0x30, ...parts);
export const octets = (b: Buffer): Buffer => der(0x04, b);

/** Unencrypted PKCS#8 DSA (`-----BEGIN PRIVATE KEY-----` DER) with numbers of the given sizes in bytes. */
export function pkcs8Dsa(sizes: { p: number; q: number; g: number; x: number }): Buffer {
  const alg = seq(derOid('1.2.840.10040.4.1'), seq(derInt(bigNumber(sizes.p)), derInt(bigNumber(sizes.q)), derInt(bigNumber(sizes.g))));
  return seq(derInt(0), alg, octets(derInt(bigNumber(sizes.x))));
}

/**
 * EncryptedPrivateKeyInfo with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) as OpenSSL writes it.
 * With `claimIterations` the file names that count but is encrypted with `iterations`, so a
 * test can ask for an absurd cost without paying it.
 */
export function encryptedPkcs8(plain: Buffer, passphrase: string, iterations: number, claimIterations = iterations): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(passphrase, salt, iterations, 32, 'sha256');
  const c = createCipheriv('aes-256-cbc', key, iv);
  const data = Buffer.concat([c.update(plain), c.final()]);
  const kdf = seq(derOid('1.2.840.113549.1.5.12'), seq(octets(salt), derInt(claimIterations), seq(derOid('1.2.840.113549.2.9'), der(0x05))));
  const enc = seq(derOid('2.16.840.1.101.3.4.1.42'), octets(iv));
  return seq(seq(derOid('1.2.840.113549.1.5.13'), seq(kdf, enc)), octets(data));
}

/** PEM armour around DER. */
export function pem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
