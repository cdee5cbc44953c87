// Remembered key passphrases: stored in the OS keychain under service "KeyDock", account = the
// key's SHA256 fingerprint, so `keydock add` and login-time loading need no prompt.
import { KeyDockError } from '../util/errors';
import type { SecretStore } from './store';

export const KEYCHAIN_SERVICE = 'KeyDock';

/** Stores a key's passphrase in the keychain (replacing an older one). */
export async function rememberPassphrase(store: SecretStore, fingerprint: string, passphrase: string): Promise<void> {
  if (!fingerprint.startsWith('SHA256:')) throw new KeyDockError('keychain-bad-fingerprint', 'Passphrases are remembered per SHA256 fingerprint.', 'Pass the fingerprint ssh-keygen -lf shows (SHA256:…).', { exitCode: 2 });
  if (passphrase === '') throw new KeyDockError('keychain-empty-passphrase', 'This key has no passphrase, so there is nothing to remember.', 'Add a passphrase first: ssh-keygen -p -f FILE.', { exitCode: 2 });
  await store.set(KEYCHAIN_SERVICE, fingerprint, passphrase);
}

/** The remembered passphrase for a key, or null. */
export async function lookupPassphrase(store: SecretStore, fingerprint: string): Promise<string | null> {
  return store.get(KEYCHAIN_SERVICE, fingerprint);
}

/** Removes a remembered passphrase; false when none was stored. */
export async function forgetPassphrase(store: SecretStore, fingerprint: string): Promise<boolean> {
  return store.delete(KEYCHAIN_SERVICE, fingerprint);
}
