// What can be learnt about an ssh IdentityFile without a passphrase, read with KeyDock's own key
// reader (main/keys/load.ts): its public key (from `<file>.pub`, else from the private file's
// clear header), whether it is protected by a passphrase, and for an unprotected private key the
// loaded key itself, so the connection tester can sign with it (main/keys/sign.ts).
import { readUserFile } from '../util/read-file';
import { parsePublicKeyLine } from './format';
import { decryptKeyFile, MAX_KEY_FILE_BYTES, openKeyData, readKeyFile, toPrivateKey } from './load';
import type { PrivateKey } from './types';

export interface IdentityFileInfo {
  path: string;
  /** The private key or its `.pub` could be read. */
  exists: boolean;
  blob: Buffer | null;
  comment: string;
  /** Private key present but protected by a passphrase (ssh would ask for it). */
  encrypted: boolean;
  /** The plain private key (never its certificate), when the file is not protected by a passphrase. */
  privateKey: PrivateKey | null;
}

async function readPublicLine(path: string): Promise<{ blob: Buffer; comment: string } | null | 'damaged'> {
  let text: string;
  try {
    // A FIFO or device named as a .pub must not block the tester: refused up front, read as absent.
    text = (await readUserFile(path, { maxBytes: MAX_KEY_FILE_BYTES, what: 'public key file' })).toString('utf8');
  } catch {
    return null;
  }
  try {
    return parsePublicKeyLine(text);
  } catch {
    return 'damaged';
  }
}

/**
 * Reads an IdentityFile (or a `.pub` named as one) without asking for a passphrase; never throws
 * for a missing or unreadable file. The private key itself is parsed only when `privateKey` is
 * asked for (the tester signs with it) or nothing else gives the public key: `keydock which`
 * and the doctor need the public half alone, as ssh reads `<file>.pub` first.
 */
export async function inspectIdentityFile(path: string, opts: { privateKey?: boolean } = {}): Promise<IdentityFileInfo> {
  const info: IdentityFileInfo = { path, exists: false, blob: null, comment: '', encrypted: false, privateKey: null };
  const isPub = path.endsWith('.pub');
  const data = isPub ? null : await readKeyFile(path).catch(() => null);
  const pub = await readPublicLine(isPub ? path : `${path}.pub`);
  info.exists = data !== null || pub !== null;
  // A damaged .pub leaves blob null: the private key below supplies it.
  if (pub && pub !== 'damaged') {
    info.blob = pub.blob;
    info.comment = pub.comment;
  }
  if (data === null) return info;
  try {
    const reader = openKeyData(data, path);
    const h = reader.header;
    info.encrypted = h.encrypted;
    // An encrypted key cannot be read without its passphrase; otherwise the .pub, or a header that
    // holds the public key and its comment (PuTTY's), says all but the private key.
    if (h.encrypted || (!opts.privateKey && (info.blob || (h.publicBlob && h.comment !== null)))) {
      info.blob ??= h.publicBlob;
      if (!info.comment) info.comment = h.comment ?? '';
      return info;
    }
    const { parsed } = await decryptKeyFile(data, path, null);
    const key = toPrivateKey(parsed.material, parsed.comment || info.comment || path, { path, format: h.format, encrypted: false });
    info.privateKey = key;
    info.blob ??= key.publicBlob;
    if (!info.comment) info.comment = parsed.comment;
  } catch {
    // Not a private key KeyDock can read (a public key, damaged, unsupported): ssh skips it too.
  }
  return info;
}
