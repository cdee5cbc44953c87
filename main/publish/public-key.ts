/**
 * The public half of the key to publish, from a private key file (its header, the `.pub` beside
 * it, or the unencrypted key itself) or a `.pub` file. No passphrase is asked: only public
 * facts leave this machine. Certificates are published as their plain key.
 */
import { basename } from 'node:path';
import { KeyDockError } from '../util/errors';
import { describePublicBlob, fingerprintSha256, parsePublicKeyLine, plainBlobOf, publicKeyLine } from '../keys/format';
import { inspectKeyFile } from '../keys/inspect';
import { openKeyData, readKeyFile } from '../keys/load';

export interface PublicKeyToPublish {
  path: string;
  /** `TYPE BASE64` without a comment (the comment is sent as the title instead). */
  line: string;
  type: string;
  fingerprint: string;
  comment: string;
}

function fromBlob(path: string, blob: Buffer, comment: string): PublicKeyToPublish {
  const plain = plainBlobOf(blob);
  const info = describePublicBlob(plain);
  return { path, line: publicKeyLine(plain), type: info.type, fingerprint: fingerprintSha256(plain), comment };
}

export async function readPublicKeyToPublish(path: string, platform: NodeJS.Platform = process.platform): Promise<PublicKeyToPublish> {
  const data = await readKeyFile(path);
  try {
    const p = parsePublicKeyLine(data.toString('utf8'));
    return fromBlob(path, p.blob, p.comment);
  } catch {
    // a private key: its header, its .pub, or (unencrypted) the key itself
  }
  const h = openKeyData(data, path).header;
  if (h.publicBlob && h.comment !== null) return fromBlob(path, h.publicBlob, h.comment);
  // The comment of an OpenSSH key sits in its private part: the .pub beside it (or the unencrypted key) has it.
  const info = await inspectKeyFile(path, { platform });
  if (info.publicKey) {
    const p = parsePublicKeyLine(info.publicKey);
    return fromBlob(path, p.blob, info.comment || p.comment);
  }
  if (h.publicBlob) return fromBlob(path, h.publicBlob, '');
  throw new KeyDockError('key-public-unknown', `The public key of ${path} is stored encrypted.`, `Put ${basename(path)}.pub beside it (ssh-keygen -y -f ${path} > ${path}.pub), then publish again.`, { exitCode: 2 });
}

/** The title a provider shows for the key: what the user chose, else the key's comment or file name. */
export function defaultTitle(key: PublicKeyToPublish, host: string): string {
  const base = key.comment.trim() || basename(key.path).replace(/\.pub$/, '');
  // Providers cap titles (GitHub and GitLab at 255 characters); control characters never go out.
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return `${base} (${host}, via KeyDock)`.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200);
}
