import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertMaterial, CONVERT_TARGETS } from '../../../main/keys/convert';
import { fingerprintSha256, parsePublicKeyLine } from '../../../main/keys/format';
import { generateKeyFiles } from '../../../main/keys/generate';
import { keyHealth } from '../../../main/keys/health';
import { inspectKeyFile, listKeyFiles } from '../../../main/keys/inspect';
import { decryptKeyFile, loadPrivateKeyFile } from '../../../main/keys/load';
import { publicBlob } from '../../../main/keys/material';

const fixtures = join(__dirname, '../../fixtures/keys/files');
const PASS = 'correct horse';
const give = (p: string | null) => async () => p;
const codes = (f: { code: string }[]) => f.map((x) => x.code).sort();

describe('generateKeyFiles', () => {
  for (const [type, bits] of [['ed25519', undefined], ['ecdsa', 384], ['rsa', 3072]] as const) {
    it(`makes a ${type} key: private 0600, .pub beside, loads back with the same fingerprint`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kd-gen-'));
      const path = join(dir, 'sub', `id_${type}`);
      const g = await generateKeyFiles({ path, type, bits, comment: 'me@host', passphrase: type === 'rsa' ? 'pw' : undefined, rounds: 4 });
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
      expect(readFileSync(`${path}.pub`, 'utf8').trim()).toBe(g.publicKey);
      expect(g.publicKey.endsWith(' me@host')).toBe(true);
      const key = await loadPrivateKeyFile(path, give('pw'));
      expect(fingerprintSha256(key.publicBlob)).toBe(g.fingerprint);
      expect(key.comment).toBe('me@host');
      expect(key.source.encrypted).toBe(type === 'rsa');
    });
  }

  it('never overwrites an existing key unless forced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-gen-'));
    const path = join(dir, 'id');
    const first = await generateKeyFiles({ path });
    await expect(generateKeyFiles({ path })).rejects.toMatchObject({ code: 'key-file-exists' });
    expect(readFileSync(`${path}.pub`, 'utf8').trim()).toBe(first.publicKey);
    const second = await generateKeyFiles({ path, force: true });
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses weak or impossible sizes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kd-gen-')), 'id');
    await expect(generateKeyFiles({ path, type: 'rsa', bits: 2048 })).rejects.toMatchObject({ code: 'keygen-bad-options' });
    await expect(generateKeyFiles({ path, type: 'ecdsa', bits: 300 })).rejects.toMatchObject({ code: 'keygen-bad-options' });
    await expect(generateKeyFiles({ path, type: 'ed25519', bits: 512 })).rejects.toMatchObject({ code: 'keygen-bad-options' });
  });
});

describe('convertMaterial', () => {
  for (const src of ['openssh-ed25519', 'pem-ecdsa521-enc', 'ppk3-rsa2048-enc.ppk']) {
    for (const to of CONVERT_TARGETS) {
      it(`${src} → ${to} keeps the key`, async () => {
        const { parsed } = await decryptKeyFile(readFileSync(join(fixtures, src)), null, give(PASS));
        const out = await convertMaterial(parsed.material, 'converted', to, { passphrase: to === 'ppk' ? 'new pw' : undefined, ppk: { passes: 1, memoryKiB: 1024 } });
        const fp = fingerprintSha256(publicBlob(parsed.material));
        if (to === 'pub' || to === 'rfc4716') {
          expect(fingerprintSha256(parsePublicKeyLine(out).blob)).toBe(fp);
          return;
        }
        const { parsed: back } = await decryptKeyFile(Buffer.from(out), null, give('new pw'));
        expect(fingerprintSha256(publicBlob(back.material))).toBe(fp);
      });
    }
  }
});

describe('health findings', () => {
  const base = { path: '/k', type: 'ssh-ed25519', bits: 256, format: 'openssh', encrypted: true, kdf: 'bcrypt', kdfRounds: 24, mode: 0o600 };
  it('a well-kept key has none', () => expect(keyHealth(base)).toEqual([]));
  it('flags each problem with a fix', () => {
    expect(codes(keyHealth({ ...base, type: 'ssh-rsa', bits: 1024 }))).toEqual(['weak-rsa']);
    expect(codes(keyHealth({ ...base, type: 'ssh-rsa', bits: 2048 }))).toEqual([]);
    expect(codes(keyHealth({ ...base, type: 'ssh-dss', bits: 1024 }))).toEqual(['weak-dsa']);
    expect(codes(keyHealth({ ...base, mode: 0o644 }))).toEqual(['file-permissions']);
    expect(codes(keyHealth({ ...base, mode: null }))).toEqual([]);
    expect(codes(keyHealth({ ...base, encrypted: false, kdf: null, kdfRounds: null }))).toEqual(['unencrypted']);
    expect(codes(keyHealth({ ...base, type: 'ecdsa-sha2-nistp521', format: 'ppk3', kdf: 'Argon2id' }))).toEqual(['putty-p521-cve-2024-31497']);
    expect(codes(keyHealth({ ...base, type: 'ecdsa-sha2-nistp521' }))).toEqual([]);
    expect(codes(keyHealth({ ...base, format: 'pem-pkcs1', kdf: 'MD5 (legacy PEM)' }))).toEqual(['legacy-pem-encryption']);
    expect(codes(keyHealth({ ...base, kdfRounds: 8 }))).toEqual(['weak-bcrypt-rounds']);
    expect(codes(keyHealth({ ...base, certificateValidBefore: 1000 }))).toEqual(['certificate-expired']);
    for (const f of keyHealth({ ...base, type: 'ssh-dss', encrypted: false, mode: 0o644 })) expect(f.fix.length).toBeGreaterThan(10);
  });
});

describe('inspectKeyFile and listKeyFiles', () => {
  it('reports type, protection, permissions and findings from real files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-insp-'));
    for (const f of ['ppk3-ecdsa521-enc.ppk', 'pem-rsa2048-enc', 'pem-rsa2048-enc.pub', 'openssh-ecdsa256-gcm-enc', 'openssh-ed25519', 'openssh-ed25519-cert.pub', 'openssl-dsa.pem']) {
      copyFileSync(join(fixtures, f), join(dir, f));
      // A fresh clone's fixtures are 0644 (git keeps no modes): set what the test means.
      chmodSync(join(dir, f), f.endsWith('.pub') ? 0o644 : 0o600);
    }
    chmodSync(join(dir, 'openssh-ed25519'), 0o644);
    writeFileSync(join(dir, 'config'), 'Host x\n');
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const ppk = await inspectKeyFile(join(dir, 'ppk3-ecdsa521-enc.ppk'));
    expect(ppk).toMatchObject({ format: 'ppk3', type: 'ecdsa-sha2-nistp521', bits: 521, encrypted: true, kdf: 'Argon2id', comment: 'ppk3-ecdsa521-enc@keydock' });
    expect(codes(ppk.findings)).toEqual(['putty-p521-cve-2024-31497']);
    const pem = await inspectKeyFile(join(dir, 'pem-rsa2048-enc'));
    expect(pem).toMatchObject({ type: 'ssh-rsa', bits: 2048, comment: 'pem-rsa2048-enc@keydock' });
    expect(codes(pem.findings)).toEqual(['legacy-pem-encryption']);
    expect(codes((await inspectKeyFile(join(dir, 'openssh-ecdsa256-gcm-enc'))).findings)).toEqual(['weak-bcrypt-rounds']);
    const plain = await inspectKeyFile(join(dir, 'openssh-ed25519'));
    expect(plain.mode).toBe('0644');
    expect(codes(plain.findings)).toEqual(['file-permissions', 'unencrypted']);
    expect(plain.certificate).toMatchObject({ keyId: 'fixture-cert', principals: ['git', 'alice'] });
    expect(codes((await inspectKeyFile(join(dir, 'openssl-dsa.pem'))).findings)).toEqual(['unencrypted', 'weak-dsa']);

    const list = await listKeyFiles(dir, { isRemembered: async (fp) => fp === plain.fingerprint });
    expect(list.map((k) => k.path.split('/').pop())).toEqual(['openssh-ecdsa256-gcm-enc', 'openssh-ed25519', 'openssl-dsa.pem', 'pem-rsa2048-enc', 'ppk3-ecdsa521-enc.ppk']);
    expect(list.find((k) => k.path.endsWith('openssh-ed25519'))!.remembered).toBe(true);
    expect(await listKeyFiles(join(dir, 'missing'))).toEqual([]);
  });
});
