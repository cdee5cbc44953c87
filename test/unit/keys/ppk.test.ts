import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintSha256 } from '../../../main/keys/format';
import { decryptKeyFile, loadPrivateKeyFile, openKeyData } from '../../../main/keys/load';
import { publicBlob } from '../../../main/keys/material';
import { writePpk } from '../../../main/keys/ppk';
import type { PassphraseProvider } from '../../../main/keys/types';

const dir = join(__dirname, '../../fixtures/keys/files');
const PASS = 'correct horse';
const read = (f: string) => readFileSync(join(dir, f), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'kd-ppk-'));
const once = (p: string | null): PassphraseProvider => async () => p;

async function loadText(text: string, pass: string | null = PASS) {
  const file = join(tmp, `k${Math.random().toString(36).slice(2)}.ppk`);
  writeFileSync(file, text);
  return loadPrivateKeyFile(file, once(pass), { maxAttempts: 1 });
}

describe('PPK header facts', () => {
  it('shows version, Argon2 flavour and costs without the passphrase', () => {
    const h = openKeyData(Buffer.from(read('ppk3-ed25519-argon2id.ppk')), null).header;
    expect(h).toMatchObject({ format: 'ppk3', encrypted: true, kdf: 'Argon2id', kdfCost: '2048 KiB, 5 passes, 3 lanes', kdfRounds: 5, comment: 'ppk3-ed25519-argon2id@keydock' });
    expect(openKeyData(Buffer.from(read('ppk2-ed25519-enc.ppk')), null).header).toMatchObject({ format: 'ppk2', kdf: 'SHA-1 (PPK v2)' });
    expect(openKeyData(Buffer.from(read('ppk3-rsa2048.ppk')), null).header).toMatchObject({ encrypted: false, kdf: null });
  });

  it('accepts CRLF line endings (files saved on Windows)', async () => {
    const key = await loadText(read('ppk3-ecdsa256-enc.ppk').replace(/\n/g, '\r\n'));
    expect(key.type).toBe('ecdsa-sha2-nistp256');
  });

  it('marks DSA as deprecated', async () => {
    const r = await decryptKeyFile(Buffer.from(read('ppk3-dsa1024.ppk')), null, null);
    expect(r.parsed.warnings?.[0]).toMatch(/deprecated/);
  });
});

describe('PPK bad inputs', () => {
  it('wrong passphrase (v3 Argon2 and v2 SHA-1) is key-wrong-passphrase', async () => {
    await expect(loadText(read('ppk3-ed25519-argon2i.ppk'), 'nope')).rejects.toMatchObject({ code: 'key-wrong-passphrase' });
    await expect(loadText(read('ppk2-ecdsa521-enc.ppk'), 'nope')).rejects.toMatchObject({ code: 'key-wrong-passphrase' });
    await expect(loadText(read('ppk3-ed25519-enc.ppk'), null)).rejects.toMatchObject({ code: 'key-passphrase-needed' });
  });

  it('a tampered MAC is refused: wrong passphrase when encrypted, corrupt when plain', async () => {
    const flip = (t: string) => t.replace(/Private-MAC: (.)/, (_m, c: string) => `Private-MAC: ${c === '0' ? '1' : '0'}`);
    await expect(loadText(flip(read('ppk3-rsa2048.ppk')))).rejects.toMatchObject({ code: 'key-corrupt', message: expect.stringContaining('Private-MAC') });
    await expect(loadText(flip(read('ppk3-ecdsa256-enc.ppk')))).rejects.toMatchObject({ code: 'key-wrong-passphrase' });
    await expect(loadText(flip(read('ppk2-rsa2048.ppk')))).rejects.toMatchObject({ code: 'key-corrupt' });
  });

  it('a swapped public key or comment is caught by the MAC before anything is trusted', async () => {
    const other = read('ppk3-ed25519-enc.ppk').split('\n').slice(3, 6);
    const victim = read('ppk3-ed25519.ppk').split('\n');
    victim.splice(3, 3, ...other);
    await expect(loadText(victim.join('\n'))).rejects.toMatchObject({ code: 'key-corrupt' });
    await expect(loadText(read('ppk3-ed25519.ppk').replace('Comment: ppk3-ed25519@keydock', 'Comment: evil'))).rejects.toMatchObject({ code: 'key-corrupt' });
  });

  it('truncated files are key-corrupt', async () => {
    const t = read('ppk3-rsa2048-enc.ppk');
    for (const cut of [20, t.indexOf('Private-Lines'), t.indexOf('Private-MAC'), t.length - 10]) {
      await expect(loadText(t.slice(0, cut))).rejects.toMatchObject({ code: 'key-corrupt' });
    }
  });

  it('unknown PPK versions and key types are key-unsupported', async () => {
    await expect(loadText(read('ppk3-ed25519.ppk').replace('PuTTY-User-Key-File-3', 'PuTTY-User-Key-File-4'))).rejects.toMatchObject({ code: 'key-unsupported', message: expect.stringContaining('version 4') });
    await expect(loadText(read('ppk3-ed25519.ppk').replace('PuTTY-User-Key-File-3', 'PuTTY-User-Key-File-1'))).rejects.toMatchObject({ code: 'key-unsupported' });
    await expect(loadText(read('ppk3-ed25519.ppk').replace('Encryption: none', 'Encryption: aes128-ctr'))).rejects.toMatchObject({ code: 'key-unsupported' });
  });

  it('absurd Argon2 costs are refused instead of exhausting memory', async () => {
    const t = read('ppk3-ed25519-enc.ppk');
    await expect(loadText(t.replace(/Argon2-Memory: \d+/, 'Argon2-Memory: 4194304'))).rejects.toMatchObject({ code: 'key-unsupported', message: expect.stringContaining('Argon2 cost') });
    await expect(loadText(t.replace(/Argon2-Passes: \d+/, 'Argon2-Passes: 1000000'))).rejects.toMatchObject({ code: 'key-unsupported' });
    await expect(loadText(t.replace(/Argon2-Parallelism: \d+/, 'Argon2-Parallelism: 100000'))).rejects.toMatchObject({ code: 'key-unsupported' });
  });
});

describe('PPK writer', () => {
  const sources = ['openssh-ed25519', 'openssh-ecdsa521', 'openssh-rsa3072', 'ppk3-ed448-enc.ppk'];
  for (const src of sources) {
    for (const version of [2, 3] as const) {
      for (const passphrase of ['', 'pw 2']) {
        it(`writes ${src} as PPK v${version}${passphrase ? ' encrypted' : ''} and reads it back`, async () => {
          const { parsed } = await decryptKeyFile(Buffer.from(read(src)), null, once(PASS));
          const text = await writePpk(parsed.material, 'round trip', { version, passphrase, passes: 2, memoryKiB: 1024 });
          expect(text.startsWith(`PuTTY-User-Key-File-${version}: `)).toBe(true);
          const key = await loadText(text, passphrase);
          expect(key.publicBlob.equals(publicBlob(parsed.material))).toBe(true);
          expect(key.comment).toBe('round trip');
          expect(fingerprintSha256(key.publicBlob)).toBe(fingerprintSha256(publicBlob(parsed.material)));
        });
      }
    }
  }
});
