// The OS keychain behind one small interface (docs/architecture.md §7.1): Windows Credential Manager, macOS
// Keychain, Secret Service on Linux, via @napi-rs/keyring. No keychain = a clear error, never
// a plaintext fallback.
import { KeyDockError } from '../util/errors';

/** Where secrets live; tests and other platforms can pass their own implementation. */
export interface SecretStore {
  get(service: string, account: string): Promise<string | null>;
  set(service: string, account: string, secret: string): Promise<void>;
  /** True when something was deleted. */
  delete(service: string, account: string): Promise<boolean>;
  /** Accounts stored under a service (secrets not returned). */
  accounts(service: string): Promise<string[]>;
}

export const KeychainErrorCode = { unavailable: 'keychain-unavailable', failed: 'keychain-failed' } as const;

/** The error users see when there is no keychain to use (e.g. headless Linux without Secret Service). */
export function keychainUnavailable(platform: NodeJS.Platform, cause?: unknown): KeyDockError {
  const hint =
    platform === 'linux'
      ? 'Start a Secret Service (GNOME Keyring or KWallet) in your session, e.g. install gnome-keyring and log in graphically; the key can still be loaded by typing its passphrase.'
      : 'Unlock your keychain and try again; the key can still be loaded by typing its passphrase.';
  return new KeyDockError(KeychainErrorCode.unavailable, 'No system keychain is available, so KeyDock cannot remember passphrases here.', hint, { cause, exitCode: 2 });
}

/** The native keychain binding, loaded when a passphrase is first stored or read. */
const keyring = () => import('@napi-rs/keyring');

/** Builds the keychain-backed store. */
export function createSecretStore(platform: NodeJS.Platform = process.platform): SecretStore {
  // The library reports "nothing stored" when no keychain exists at all; listing fails loudly
  // instead, so every read checks availability that way first.
  const list = async (service: string) => {
    try {
      const { findCredentialsAsync } = await keyring();
      return await findCredentialsAsync(service);
    } catch (e) {
      throw keychainUnavailable(platform, e);
    }
  };
  return {
    async get(service, account) {
      const creds = await list(service);
      return creds.find((c) => c.account === account)?.password ?? null;
    },
    async set(service, account, secret) {
      await list(service);
      try {
        const { AsyncEntry } = await keyring();
        await new AsyncEntry(service, account).setPassword(secret);
      } catch (e) {
        throw new KeyDockError(KeychainErrorCode.failed, 'The system keychain refused to store the passphrase.', 'Unlock your keychain (log in again) and retry.', { cause: e });
      }
    },
    async delete(service, account) {
      const creds = await list(service);
      if (!creds.some((c) => c.account === account)) return false;
      try {
        const { AsyncEntry } = await keyring();
        return await new AsyncEntry(service, account).deleteCredential();
      } catch (e) {
        throw new KeyDockError(KeychainErrorCode.failed, 'The system keychain refused to delete the passphrase.', 'Unlock your keychain and retry.', { cause: e });
      }
    },
    async accounts(service) {
      return (await list(service)).map((c) => c.account);
    },
  };
}
