// Converting between key formats, so users can move keys between OpenSSH, PuTTY and tools
// that want PEM, or hand out public keys in the form a server asks for.
import { KeyDockError } from '../util/errors';
import { publicKeyLine, rfc4716 } from './format';
import { publicBlob, type KeyMaterial } from './material';
import type { PpkWriteOptions } from './ppk';

// The writers load when a private format is written: the target list alone (the CLI's
// `keydock convert --to` choices, read by `keydock --help`) needs none of them.

export const CONVERT_TARGETS = ['openssh', 'ppk', 'ppk2', 'pem', 'pub', 'rfc4716'] as const;
export type ConvertTarget = (typeof CONVERT_TARGETS)[number];

/** True when the target holds the private key (and so must be written 0600, never printed). */
export function isPrivateTarget(to: ConvertTarget): boolean {
  return to === 'openssh' || to === 'ppk' || to === 'ppk2' || to === 'pem';
}

/** Renders key material in the target format; private formats are encrypted when a passphrase is given. */
export async function convertMaterial(m: KeyMaterial, comment: string, to: ConvertTarget, opts: { passphrase?: string; ppk?: PpkWriteOptions } = {}): Promise<string> {
  switch (to) {
    case 'pub':
      return `${publicKeyLine(publicBlob(m), comment)}\n`;
    case 'rfc4716':
      return rfc4716(publicBlob(m), comment);
    case 'openssh':
      return (await import('./openssh')).writeOpenSsh(m, comment, { passphrase: opts.passphrase });
    case 'ppk':
    case 'ppk2':
      return (await import('./ppk')).writePpk(m, comment, { ...opts.ppk, version: to === 'ppk2' ? 2 : 3, passphrase: opts.passphrase });
    case 'pem':
      if (m.kind === 'dsa') throw new KeyDockError('key-unsupported', 'KeyDock does not write DSA private keys.', 'Generate a new key with keydock keygen.');
      return (await import('./pem')).writePem(m, opts.passphrase);
    default:
      throw new KeyDockError('convert-bad-target', `Unknown output format "${String(to)}".`, `Use one of: ${CONVERT_TARGETS.join(', ')}.`, { exitCode: 2 });
  }
}
