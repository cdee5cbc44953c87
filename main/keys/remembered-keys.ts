// Remembered keys: a key file whose passphrase sits in the OS keychain, so `keydock load` and the
// app at login can load it without a prompt. Joins the keychain (secrets/passphrases.ts), the list
// of remembered files (secrets/remembered.ts) and the key readers; the agent that receives the
// keys is passed in, so this layer never reaches up into agent/.
import { KeyDockError } from '../util/errors';
import { KeychainErrorCode, type SecretStore } from '../secrets/store';
import { KEYCHAIN_SERVICE, forgetPassphrase, lookupPassphrase, rememberPassphrase } from '../secrets/passphrases';
import { addRememberedKey, listRememberedKeys, removeRememberedKey } from '../secrets/remembered';
import { fingerprintOfFile } from './file-fingerprint';
import { fingerprintSha256 } from './format';
import { loadPrivateKeyFile } from './load';
import type { PassphraseProvider, PrivateKey } from './types';

/** Puts one loaded key into an agent. */
export type AgentAdder = (key: PrivateKey) => Promise<void>;

/** Outcome of loading remembered keys, per key. */
export interface LoadRememberedResult {
  loaded: string[];
  failed: { path: string; message: string }[];
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

/** The remembered-keys service of one context: its keychain and its config folder. */
export class RememberedKeys {
  constructor(
    readonly secrets: SecretStore,
    private readonly configDir: string,
  ) {}

  /** Stores a key's passphrase in the keychain and records the file so `load` finds it later. */
  async remember(key: { path: string; fingerprint: string; comment: string }, passphrase: string): Promise<void> {
    await rememberPassphrase(this.secrets, key.fingerprint, passphrase);
    await addRememberedKey(this.configDir, { fingerprint: key.fingerprint, path: key.path, comment: key.comment });
  }

  /** Removes a remembered passphrase by fingerprint or key file; `removed` when something was removed. */
  async forget(fileOrFingerprint: string): Promise<{ fingerprint: string; removed: boolean }> {
    const fingerprint = fileOrFingerprint.startsWith('SHA256:') ? fileOrFingerprint : await fingerprintOfFile(fileOrFingerprint);
    const removed = await forgetPassphrase(this.secrets, fingerprint);
    const listed = await removeRememberedKey(this.configDir, fingerprint);
    return { fingerprint, removed: removed || listed };
  }

  /**
   * isRemembered for a whole key list: the keychain is asked once, not once per key (each ask
   * lists the service's entries); every answer is false when there is no keychain.
   */
  async rememberedCheck(): Promise<(fingerprint: string) => Promise<boolean>> {
    let accounts = new Set<string>();
    try {
      accounts = new Set(await this.secrets.accounts(KEYCHAIN_SERVICE));
    } catch {
      // no keychain: nothing is remembered
    }
    return async (fingerprint) => accounts.has(fingerprint);
  }

  /** Whether a passphrase is remembered for a fingerprint (false when there is no keychain). */
  async isRemembered(fingerprint: string): Promise<boolean> {
    try {
      return (await lookupPassphrase(this.secrets, fingerprint)) !== null;
    } catch {
      return false;
    }
  }

  /** Keychain first, then `fallback`: how every face opens an encrypted key. */
  passphraseProvider(fingerprint: string | null, fallback: PassphraseProvider | null, onNotice?: (e: KeyDockError) => void): PassphraseProvider {
    return keychainPassphraseProvider(this.secrets, fingerprint, fallback, onNotice);
  }

  /**
   * Loads every key with a remembered passphrase through `add` (what the app does at login and
   * `keydock load` does). Never prompts: a key whose passphrase is gone is reported.
   */
  async loadAll(getAdder: () => Promise<AgentAdder>): Promise<LoadRememberedResult> {
    const result: LoadRememberedResult = { loaded: [], failed: [] };
    const entries = await listRememberedKeys(this.configDir);
    if (entries.length === 0) return result;
    // Resolved only when there is something to load, so "nothing remembered" never needs an agent.
    const add = await getAdder();
    for (const entry of entries) {
      try {
        const provider = keychainPassphraseProvider(this.secrets, entry.fingerprint, null, (e) => {
          throw e;
        });
        const key = await loadPrivateKeyFile(entry.path, provider, { maxAttempts: 1 });
        const fp = fingerprintSha256(key.publicBlob);
        if (fp !== entry.fingerprint) throw new KeyDockError('key-changed', `${entry.path} now holds a different key (${fp}).`, `Run keydock forget ${entry.fingerprint} and remember the new key with keydock add --remember.`);
        await add(key);
        result.loaded.push(entry.path);
      } catch (e) {
        result.failed.push({ path: entry.path, message: e instanceof Error ? e.message : String(e) });
      }
    }
    return result;
  }
}
