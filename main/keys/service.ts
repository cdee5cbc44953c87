// Key operations as the CLI and the IPC handlers use them: one place that joins files, the
// keychain and the remembered-keys list, so both faces behave the same.
import { resolveAgentPath, withAgent } from '../agent/manager';
import type { AppContext } from '../context';
import { KeyDockError } from '../util/errors';
import { KEYCHAIN_SERVICE, forgetPassphrase, keychainPassphraseProvider, lookupPassphrase, rememberPassphrase } from '../secrets/passphrases';
import { addRememberedKey, listRememberedKeys, removeRememberedKey } from '../secrets/remembered';
import { createSecretStore, type SecretStore } from '../secrets/store';
import { fingerprintSha256, parsePublicKeyLine } from './format';
import { loadPrivateKeyFile, openKeyData, readKeyFile } from './load';
import type { PrivateKey } from './types';

const stores = new WeakMap<AppContext, SecretStore>();

/** Lets tests and platforms plug a different store into a context. */
export function setSecretStore(ctx: AppContext, store: SecretStore): void {
  stores.set(ctx, store);
}

/** The context's secret store (the OS keychain unless one was set). */
export function secretStoreFor(ctx: AppContext): SecretStore {
  let s = stores.get(ctx);
  if (!s) {
    s = createSecretStore(ctx.platform);
    stores.set(ctx, s);
  }
  return s;
}

/** Stores a key's passphrase in the keychain and records the file so `load` finds it later. */
export async function rememberKey(ctx: AppContext, key: { path: string; fingerprint: string; comment: string }, passphrase: string): Promise<void> {
  await rememberPassphrase(secretStoreFor(ctx), key.fingerprint, passphrase);
  await addRememberedKey(ctx.paths.configDir, { fingerprint: key.fingerprint, path: key.path, comment: key.comment });
}

/** Removes a remembered passphrase by fingerprint or key file; true when something was removed. */
export async function forgetKey(ctx: AppContext, fileOrFingerprint: string): Promise<{ fingerprint: string; removed: boolean }> {
  const fingerprint = fileOrFingerprint.startsWith('SHA256:') ? fileOrFingerprint : await fingerprintOfFile(fileOrFingerprint);
  const removed = await forgetPassphrase(secretStoreFor(ctx), fingerprint);
  const listed = await removeRememberedKey(ctx.paths.configDir, fingerprint);
  return { fingerprint, removed: removed || listed };
}

/** Whether a passphrase is remembered for a fingerprint (false when there is no keychain). */
export async function isRemembered(ctx: AppContext, fingerprint: string): Promise<boolean> {
  try {
    return (await lookupPassphrase(secretStoreFor(ctx), fingerprint)) !== null;
  } catch {
    return false;
  }
}

/** Outcome of loading remembered keys, per key. */
export interface LoadRememberedResult {
  loaded: string[];
  failed: { path: string; message: string }[];
}

/**
 * Loads every key with a remembered passphrase into an agent through `add` (what the app does at
 * login and `keydock load` does). Never prompts: a key whose passphrase is gone is reported.
 */
export async function loadRememberedKeys(ctx: AppContext, getAdder: () => Promise<AgentAdder>): Promise<LoadRememberedResult> {
  const store = secretStoreFor(ctx);
  const result: LoadRememberedResult = { loaded: [], failed: [] };
  const entries = await listRememberedKeys(ctx.paths.configDir);
  if (entries.length === 0) return result;
  // Resolved only when there is something to load, so "nothing remembered" never needs an agent.
  const add = await getAdder();
  for (const entry of entries) {
    try {
      const provider = keychainPassphraseProvider(store, entry.fingerprint, null, (e) => {
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

/** Puts one loaded key into an agent. */
export type AgentAdder = (key: PrivateKey) => Promise<void>;

const adders = new WeakMap<AppContext, AgentAdder>();

/** Lets the app (or a test) decide which agent `load` fills: e.g. KeyDock's own agent. */
export function setAgentAdder(ctx: AppContext, add: AgentAdder): void {
  adders.set(ctx, add);
}

/**
 * The adder for a context: the one set with setAgentAdder, else the agent ssh would use,
 * reached through helper A's agent client (main/agent/connect.ts, client.ts, discovery.ts).
 * Those are imported by name at run time so this module builds before they exist.
 */
export async function agentAdderFor(ctx: AppContext): Promise<AgentAdder> {
  const set = adders.get(ctx);
  if (set) return set;
  const path = await resolveAgentPath(ctx);
  return (key) => withAgent(path, (client) => client.addIdentity(key, {}));
}

export { KEYCHAIN_SERVICE };
