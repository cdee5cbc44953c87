// The three failures users must tell apart (docs/architecture.md §8.1), each with a plain fix.
import { KeyDockError } from '../util/errors';
import { KeyErrorCode } from './types';

/** The file is damaged, truncated or edited: no passphrase will help. */
export function corruptKey(message: string, cause?: unknown): KeyDockError {
  return new KeyDockError(KeyErrorCode.corrupt, message, 'The file is damaged or incomplete. Restore it from a backup or export the key again from the tool that made it.', { cause });
}

/** The passphrase did not open the file. */
export function wrongPassphrase(path: string | null): KeyDockError {
  return new KeyDockError(
    KeyErrorCode.wrongPassphrase,
    `The passphrase is wrong${path ? ` for ${path}` : ''}.`,
    'Type it again, checking Caps Lock and keyboard layout. If you forgot it, the key cannot be recovered: make a new one with keydock keygen.',
  );
}

/** The file is fine but KeyDock cannot use this kind of key or protection. */
export function unsupportedKey(message: string, hint = 'Use an Ed25519 key (keydock keygen), or ECDSA / RSA (3072 bits or more).'): KeyDockError {
  return new KeyDockError(KeyErrorCode.unsupported, message, hint);
}

/** Encrypted file and nobody to ask for the passphrase. */
export function passphraseNeeded(path: string | null): KeyDockError {
  return new KeyDockError(
    KeyErrorCode.passphraseNeeded,
    `${path ?? 'This key'} is protected by a passphrase and none was given.`,
    'Run the command in a terminal to be asked for it, pass --passphrase-stdin, or store it with --remember.',
  );
}
