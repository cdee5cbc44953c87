import { KeyDockError } from '../util/errors';
import { fingerprintSha256, parsePublicKeyLine } from './format';
import { loadPrivateKeyFile, openKeyData, readKeyFile } from './load';

/** A key file's SHA256 fingerprint without its passphrase when the file or its .pub reveals it. */
export async function fingerprintOfFile(path: string): Promise<string> {
  const data = await readKeyFile(path);
  const text = data.toString('utf8');
  try {
    return fingerprintSha256(parsePublicKeyLine(text).blob);
  } catch {
    // not a public key file
  }
  const h = openKeyData(data, path).header;
  if (h.publicBlob) return fingerprintSha256(h.publicBlob);
  try {
    return fingerprintSha256(parsePublicKeyLine(String(await readKeyFile(`${path}.pub`))).blob);
  } catch {
    if (!h.encrypted) return fingerprintSha256((await loadPrivateKeyFile(path, async () => null, { certificate: false })).publicBlob);
    throw new KeyDockError('key-fingerprint-unknown', `The fingerprint of ${path} cannot be read without its passphrase.`, 'Give the fingerprint (SHA256:…) instead, or put the .pub file beside the key.', { exitCode: 2 });
  }
}
