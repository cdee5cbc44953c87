// Remembered key passphrases: stored in the OS keychain under service "KeyDock", account = the
// key's SHA256 fingerprint, so `keydock add` and login-time loading need no prompt.
import { KeyDockError } from '../util/errors';
import type { PassphraseProvider } from '../keys/types';
import { KeychainErrorCode, type SecretStore } from './store';

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

/** Fingerprints with a remembered passphrase. */
export async function rememberedFingerprints(store: SecretStore): Promise<string[]> {
  return store.accounts(KEYCHAIN_SERVICE);
}

/**
 * A PassphraseProvider that tries the keychain first and then `fallback` (a prompt, stdin, the
 * UI). A missing keychain is reported through `onNotice` and the fallback still runs: the key
 * loads, just with a prompt. `fingerprint` may be null to use the one the loader knows.
 * With no fallback, a missing or wrong remembered passphrase ends the attempt (returns null).
 */
export function keychainPassphraseProvider(
  store: SecretStore,
  fingerprint: string | null,
  fallback: PassphraseProvider | null,
  onNotice: (e: KeyDockError) => void = () => undefined,
): PassphraseProvider {
  let keychainTried = false;
  let keychainGaveOne = false;
  return async (info) => {
    const fp = fingerprint ?? info.fingerprint;
    if (!keychainTried && fp) {
      keychainTried = true;
      try {
        const stored = await lookupPassphrase(store, fp);
        if (stored !== null) {
          keychainGaveOne = true;
          return stored;
        }
      } catch (e) {
        if (e instanceof KeyDockError && (e.code === KeychainErrorCode.unavailable || e.code === KeychainErrorCode.failed)) onNotice(e);
        else throw e;
      }
    }
    if (!fallback) return null;
    // The fallback counts its own attempts: a wrong remembered passphrase is not the user's typo.
    return fallback({ ...info, attempt: keychainGaveOne ? info.attempt - 1 : info.attempt });
  };
}
