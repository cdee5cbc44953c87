// Loading private key files of every format KeyDock knows into agent-ready PrivateKeys.
// Detects the format from content (never the extension), asks for a passphrase only when the
// file is encrypted, and picks up an OpenSSH certificate stored beside the key.
import { KeyDockError } from '../util/errors';
import { readUserFile } from '../util/read-file';
import { corruptKey, passphraseNeeded, unsupportedKey } from './errors';
import { CERT_SUFFIX, describePublicBlob, fingerprintSha256, parsePublicKeyLine } from './format';
import { certificatePrivateFields, keyBits, privateFields, publicBlob, sshType, type KeyMaterial } from './material';
import { openOpenSsh } from './openssh';
import type { KeyFileReader, ParsedKey } from './parsed';
import { openPem } from './pem';
import { openPpk } from './ppk';
import { sshString } from './wire';
import { KeyErrorCode, type PassphraseProvider, type PrivateKey } from './types';

/** Key files are a few KiB; anything larger is not a key and is not read into memory. */
export const MAX_KEY_FILE_BYTES = 256 * 1024;
/** Wrong passphrases allowed before giving up (like ssh-add's three tries). */
export const MAX_PASSPHRASE_ATTEMPTS = 3;

/** Options of loadPrivateKeyFile. */
export interface LoadOptions {
  /** Look for `<path>-cert.pub` and return the certificate variant (default true). */
  certificate?: boolean;
  maxAttempts?: number;
}

/**
 * Reads, decrypts and checks a private key file (OpenSSH, PEM PKCS#1/SEC1, PKCS#8, PuTTY PPK).
 * When `<path>-cert.pub` exists and certifies this key, the result is the certificate variant
 * (type `…-cert-v01@openssh.com`, publicBlob = certificate, agentFields per docs/agent-protocol.md §1.4) with the
 * plain key in `.plain`; a certificate for another key is ignored.
 */
export async function loadPrivateKeyFile(path: string, passphrase: PassphraseProvider, opts: LoadOptions = {}): Promise<PrivateKey> {
  const data = await readKeyFile(path);
  const { reader, parsed, usedPassphrase } = await decryptKeyFile(data, path, passphrase, opts.maxAttempts);
  void usedPassphrase;
  const comment = parsed.comment || (await sideComment(path)) || path;
  const key = toPrivateKey(parsed.material, comment, { path, format: reader.header.format, encrypted: reader.header.encrypted });
  if (opts.certificate === false) return key;
  // A PuTTY file may carry the certificate itself; it wins over a -cert.pub beside it.
  const inside = certificateInFile(parsed);
  if (inside) return withCertificate(key, inside, path);
  const cert = await readCertificateBeside(path, key.publicBlob);
  return cert ? withCertificate(key, cert.blob, cert.path) : key;
}

/** Opens and decrypts key bytes with the provider, retrying on wrong passphrases; shared by add, convert and inspect. */
export async function decryptKeyFile(
  data: Buffer,
  path: string | null,
  provider: PassphraseProvider | null,
  maxAttempts = MAX_PASSPHRASE_ATTEMPTS,
): Promise<{ reader: KeyFileReader; parsed: ParsedKey; usedPassphrase: string | null }> {
  const reader = openKeyData(data, path);
  const h = reader.header;
  if (!h.encrypted) return { reader, parsed: await reader.decrypt(null), usedPassphrase: null };
  const fingerprint = h.publicBlob ? fingerprintSha256(h.publicBlob) : path ? await sideFingerprint(path) : null;
  for (let attempt = 0; ; attempt++) {
    const pass = provider ? await provider({ path, fingerprint, comment: h.comment, attempt }) : null;
    if (pass === null) {
      if (attempt === 0) throw passphraseNeeded(path);
      throw new KeyDockError(KeyErrorCode.wrongPassphrase, `The passphrase is wrong${path ? ` for ${path}` : ''}.`, 'Type it again, checking Caps Lock and keyboard layout.');
    }
    try {
      return { reader, parsed: await reader.decrypt(pass), usedPassphrase: pass };
    } catch (e) {
      if (!(e instanceof KeyDockError) || e.code !== KeyErrorCode.wrongPassphrase || attempt + 1 >= maxAttempts) throw e;
    }
  }
}

/** The certificate a key file holds itself (a PPK saved by PuTTYgen --certificate), else null. */
export function certificateInFile(parsed: ParsedKey): Buffer | null {
  return (parsed as ParsedKey & { certificate?: Buffer }).certificate ?? null;
}

/** Detects the format of key bytes and opens them without a passphrase. */
export function openKeyData(data: Buffer, path: string | null): KeyFileReader {
  const text = data.toString('utf8').replace(/^\uFEFF/, '');
  const head = text.trimStart();
  if (head.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----')) return openOpenSsh(text, path);
  if (head.startsWith('PuTTY-User-Key-File-')) return openPpk(text, path);
  if (/^-----BEGIN (SSH2 ENCRYPTED PRIVATE KEY|OPENSSH PUBLIC KEY)-----/.test(head) || head.startsWith('---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----')) {
    throw unsupportedKey('This is an SSH.com / Tectia private key, which KeyDock cannot read.', 'Convert it with ssh-keygen -i -f FILE or PuTTYgen first.');
  }
  if (/^-----BEGIN [A-Z ]*PRIVATE KEY-----/m.test(head) || /^-----BEGIN EC PARAMETERS-----/.test(head)) return openPem(text, path);
  if (/^(ssh-|ecdsa-|sk-)[a-z0-9@.-]+ [A-Za-z0-9+/=]+/.test(head) || head.startsWith('---- BEGIN SSH2 PUBLIC KEY ----')) {
    throw new KeyDockError(KeyErrorCode.notAKey, `${path ?? 'This'} is a public key, not a private key.`, 'Choose the file without the .pub ending; it holds the private key.');
  }
  if (head.startsWith('-----BEGIN') || head.startsWith('PuTTY')) throw corruptKey('The key file is damaged: its armour lines are incomplete.');
  throw new KeyDockError(KeyErrorCode.notAKey, `${path ?? 'This file'} is not an SSH private key.`, 'Choose a private key file such as ~/.ssh/id_ed25519, or a PuTTY .ppk file.');
}

/** Builds the agent-ready form of key material (docs/agent-protocol.md §1.4). */
export function toPrivateKey(m: KeyMaterial, comment: string, source: PrivateKey['source']): PrivateKey {
  const type = sshType(m);
  return { type, publicBlob: publicBlob(m), agentFields: Buffer.concat([sshString(type), privateFields(m)]), comment, bits: keyBits(m), source, material: m };
}

/** The certificate variant of a plain key: same private numbers, the certificate as public blob. */
export function withCertificate(key: PrivateKey, certBlob: Buffer, certificatePath?: string): PrivateKey {
  const info = describePublicBlob(certBlob);
  if (!info.isCertificate || !info.certifiedKeyBlob!.equals(key.publicBlob)) {
    throw new KeyDockError('key-certificate-mismatch', 'The certificate is for a different key.', 'Use the -cert.pub file that was signed for this key.');
  }
  const m = materialOf(key);
  return {
    type: info.type,
    publicBlob: certBlob,
    agentFields: Buffer.concat([sshString(info.type), certificatePrivateFields(m, certBlob)]),
    comment: key.comment,
    bits: key.bits,
    source: key.source,
    plain: key,
    ...(certificatePath ? { certificatePath } : {}),
    material: m,
  };
}

/** The numbers behind a PrivateKey built here (convert/PPK export need them). */
export function materialOf(key: PrivateKey): KeyMaterial {
  const m = key.material;
  if (!m) throw new KeyDockError('key-material-missing', 'This key was not loaded by KeyDock\'s key reader.', 'Load the key from its file.');
  return m;
}

/** How readUserFile reports problems with a key file, in the key reader's own codes. */
const KEY_FILE_READ = {
  maxBytes: MAX_KEY_FILE_BYTES,
  what: 'key file',
  // A key file far too large to be a key is bad content (exit 1), like small garbage; a missing one stays 2.
  tooLargeExitCode: 1 as const,
  codes: { notFound: KeyErrorCode.notFound, notRegular: KeyErrorCode.notAKey, tooLarge: KeyErrorCode.notAKey, unreadable: KeyErrorCode.unreadable },
  hints: {
    notFound: 'Check the path; keydock inspect FILE describes a key, and the window\'s Keys view lists every key in ~/.ssh.',
    notRegular: 'Choose a private key file such as ~/.ssh/id_ed25519 (for a folder, the key file inside it).',
    tooLarge: 'Choose the private key file (a few KiB at most).',
  },
};

/**
 * Reads a key file with the checks every path from users or the renderer needs: it exists, is a
 * regular file (never a FIFO, device or folder, which could block or never end) and is small.
 */
export async function readKeyFile(path: string): Promise<Buffer> {
  return readUserFile(path, KEY_FILE_READ);
}

/** A small file beside a key (`.pub`, `-cert.pub`), or null when it is missing, not a regular file or unreadable. */
async function readSideFile(path: string): Promise<string | null> {
  try {
    return (await readUserFile(path, KEY_FILE_READ)).toString('utf8');
  } catch {
    return null;
  }
}

/** Finds `<path>-cert.pub` (OpenSSH's convention) and returns it when it certifies this key. */
export async function readCertificateBeside(path: string, plainBlob: Buffer): Promise<{ blob: Buffer; path: string } | null> {
  const certPath = `${path.replace(/\.ppk$/i, '')}-cert.pub`;
  const text = await readSideFile(certPath);
  if (text === null) return null;
  try {
    const parsed = parsePublicKeyLine(text);
    if (!parsed.type.endsWith(CERT_SUFFIX)) return null;
    const info = describePublicBlob(parsed.blob);
    return info.certifiedKeyBlob!.equals(plainBlob) ? { blob: parsed.blob, path: certPath } : null;
  } catch {
    return null;
  }
}

async function sidePub(path: string): Promise<{ blob: Buffer; comment: string } | null> {
  const text = await readSideFile(`${path}.pub`);
  if (text === null) return null;
  try {
    return parsePublicKeyLine(text);
  } catch {
    return null;
  }
}

/** PEM files carry no comment; OpenSSH then uses the `.pub`'s comment or the path. */
async function sideComment(path: string): Promise<string | null> {
  return (await sidePub(path))?.comment || null;
}

async function sideFingerprint(path: string): Promise<string | null> {
  const p = await sidePub(path);
  return p ? fingerprintSha256(p.blob) : null;
}
