import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPrivateKeyFile } from '../../../main/keys/load';
import { keychainPassphraseProvider } from '../../../main/keys/remembered-keys';
import { rememberPassphrase } from '../../../main/secrets/passphrases';
import { keychainUnavailable, type SecretStore } from '../../../main/secrets/store';
import type { KeyDockError } from '../../../main/util/errors';

const file = join(__dirname, '../../fixtures/keys/files/openssh-ed25519-enc');
const FP = (JSON.parse(readFileSync(join(__dirname, '../../fixtures/keys/expected.json'), 'utf8')) as Record<string, { fingerprint: string }>)['openssh-ed25519-enc']!.fingerprint;

/** An in-memory SecretStore (our own interface, not a stand-in for the OS keychain's behaviour). */
function memoryStore(): SecretStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get: async (s, a) => data.get(`${s}/${a}`) ?? null,
    set: async (s, a, v) => void data.set(`${s}/${a}`, v),
    delete: async (s, a) => data.delete(`${s}/${a}`),
    accounts: async (s) => [...data.keys()].filter((k) => k.startsWith(`${s}/`)).map((k) => k.slice(s.length + 1)),
  };
}

describe('keychainPassphraseProvider', () => {
  it('opens a key with the remembered passphrase and never asks', async () => {
    const store = memoryStore();
    await rememberPassphrase(store, FP, 'correct horse');
    expect(store.data.get(`KeyDock/${FP}`)).toBe('correct horse');
    let asked = 0;
    const key = await loadPrivateKeyFile(file, keychainPassphraseProvider(store, null, async () => (asked++, null)));
    expect(asked).toBe(0);
    expect(key.type).toBe('ssh-ed25519');
  });

  it('falls back to the prompt when the remembered passphrase is wrong, counting only typed attempts', async () => {
    const store = memoryStore();
    await rememberPassphrase(store, FP, 'stale');
    const attempts: number[] = [];
    await loadPrivateKeyFile(file, keychainPassphraseProvider(store, null, async (i) => (attempts.push(i.attempt), 'correct horse')));
    expect(attempts).toEqual([0]);
  });

  it('reports a missing keychain and still loads with the prompt', async () => {
    const broken: SecretStore = { ...memoryStore(), get: async () => { throw keychainUnavailable('linux'); } };
    const notices: KeyDockError[] = [];
    const key = await loadPrivateKeyFile(file, keychainPassphraseProvider(broken, null, async () => 'correct horse', (e) => notices.push(e)));
    expect(key.type).toBe('ssh-ed25519');
    expect(notices.map((n) => n.code)).toEqual(['keychain-unavailable']);
  });

  it('without a fallback, no remembered passphrase means passphrase-needed', async () => {
    await expect(loadPrivateKeyFile(file, keychainPassphraseProvider(memoryStore(), FP, null))).rejects.toMatchObject({ code: 'key-passphrase-needed' });
  });

  it('refuses to remember an empty passphrase or a non-SHA256 account', async () => {
    await expect(rememberPassphrase(memoryStore(), FP, '')).rejects.toMatchObject({ code: 'keychain-empty-passphrase' });
    await expect(rememberPassphrase(memoryStore(), 'MD5:aa', 'x')).rejects.toMatchObject({ code: 'keychain-bad-fingerprint' });
  });
});
