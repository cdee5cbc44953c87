import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePublicBlob, fingerprintSha256, publicKeyLine } from '../../../main/keys/format';
import { decryptKeyFile, loadPrivateKeyFile, openKeyData } from '../../../main/keys/load';
import { WireReader } from '../../../main/keys/wire';
import type { PassphraseProvider } from '../../../main/keys/types';
import { flipOpenSshByte } from '../../support/openssh-tamper';

const dir = join(__dirname, '../../fixtures/keys/files');
const expected = JSON.parse(readFileSync(join(__dirname, '../../fixtures/keys/expected.json'), 'utf8')) as Record<string, { publicKey: string; fingerprint: string }>;
const PASS = 'correct horse';
const always = (p: string | null): PassphraseProvider => async () => p;

/** Agent fields must be `string type` + the fields of docs/agent-protocol.md §1.4 that, read back, end exactly. */
function checkAgentFields(type: string, fields: Buffer, publicBlob: Buffer): void {
  const r = new WireReader(fields);
  expect(r.text()).toBe(type);
  const base = type.replace('-cert-v01@openssh.com', '');
  if (type !== base) expect(r.string().equals(publicBlob)).toBe(true);
  const counts: Record<string, string[]> = {
    'ssh-ed25519': ['s', 's'],
    'ssh-ed448': ['s', 's'],
    'ssh-dss': ['m', 'm', 'm', 'm', 'm'],
    'ssh-rsa': type === base ? ['m', 'm', 'm', 'm', 'm', 'm'] : ['m', 'm', 'm', 'm'],
    'ecdsa-sha2-nistp256': type === base ? ['s', 's', 'm'] : ['m'],
    'ecdsa-sha2-nistp384': type === base ? ['s', 's', 'm'] : ['m'],
    'ecdsa-sha2-nistp521': type === base ? ['s', 's', 'm'] : ['m'],
  };
  for (const _ of counts[base]!) r.string();
  r.end();
}

const plainFiles = Object.keys(expected).filter((f) => f !== 'openssl-dsa.pem');

describe('loadPrivateKeyFile on files made by ssh-keygen, openssl and puttygen', () => {
  for (const name of plainFiles) {
    it(`loads ${name} with the public key the reference tool derives`, async () => {
      const prompts: number[] = [];
      const key = await loadPrivateKeyFile(join(dir, name), async (info) => {
        prompts.push(info.attempt);
        return PASS;
      }, { certificate: false });
      expect(publicKeyLine(key.publicBlob)).toBe(expected[name]!.publicKey);
      expect(fingerprintSha256(key.publicBlob)).toBe(expected[name]!.fingerprint);
      expect(key.source.encrypted).toBe(/-enc|des3|argon2/.test(name));
      expect(prompts.length).toBe(key.source.encrypted ? 1 : 0);
      expect(key.bits).toBe(describePublicBlob(key.publicBlob).bits);
      checkAgentFields(key.type, key.agentFields, key.publicBlob);
    });
  }

  it('reports formats and KDF facts before decrypting', () => {
    const h = (f: string) => openKeyData(readFileSync(join(dir, f)), f).header;
    expect(h('openssh-ed25519-enc')).toMatchObject({ format: 'openssh', encrypted: true, kdf: 'bcrypt', cipher: 'aes256-ctr', type: 'ssh-ed25519' });
    expect(h('openssh-ecdsa256-gcm-enc')).toMatchObject({ cipher: 'aes256-gcm@openssh.com', kdfRounds: 8 });
    expect(h('openssh-ed25519-chacha-enc')).toMatchObject({ cipher: 'chacha20-poly1305@openssh.com', kdf: 'bcrypt', kdfRounds: 8 });
    expect(h('pem-rsa2048-enc')).toMatchObject({ format: 'pem-pkcs1', encrypted: true, kdf: 'MD5 (legacy PEM)', cipher: 'AES-128-CBC' });
    expect(h('pem-ecdsa256')).toMatchObject({ format: 'pem-sec1', encrypted: false });
    expect(h('pkcs8-rsa2048')).toMatchObject({ format: 'pkcs8', encrypted: false });
    expect(h('pkcs8-ecdsa384-enc')).toMatchObject({ format: 'pkcs8-encrypted', encrypted: true, kdf: 'PBKDF2-HMAC-SHA256', cipher: 'AES-128-CBC', kdfRounds: 2048 });
    expect(h('openssl-rsa-des3.pem')).toMatchObject({ cipher: 'DES-EDE3-CBC' });
  });

  it('takes the comment of an OpenSSH key from inside the file, and of a PEM key from its .pub', async () => {
    expect((await loadPrivateKeyFile(join(dir, 'openssh-ecdsa521'), always(null))).comment).toBe('openssh-ecdsa521@keydock');
    expect((await loadPrivateKeyFile(join(dir, 'pem-rsa2048'), always(null))).comment).toBe('pem-rsa2048@keydock');
    expect((await loadPrivateKeyFile(join(dir, 'openssl-ed25519.pem'), always(null))).comment).toBe(join(dir, 'openssl-ed25519.pem'));
  });

  it('reads DSA keys (to replace them) with the fingerprint ssh-keygen gives', async () => {
    const key = await loadPrivateKeyFile(join(dir, 'openssl-dsa.pem'), always(null));
    expect(fingerprintSha256(key.publicBlob)).toBe(expected['openssl-dsa.pem']!.fingerprint);
    expect(key.type).toBe('ssh-dss');
  });
});

describe('certificates beside the key', () => {
  for (const name of ['openssh-ed25519', 'openssh-rsa3072', 'openssh-ecdsa256']) {
    it(`returns the certificate variant for ${name}`, async () => {
      const key = await loadPrivateKeyFile(join(dir, name), always(null));
      const certText = readFileSync(join(dir, `${name}-cert.pub`), 'utf8').split(' ');
      expect(key.type).toBe(certText[0]);
      expect(key.publicBlob.toString('base64')).toBe(certText[1]);
      expect(key.plain!.type).toBe(certText[0]!.replace('-cert-v01@openssh.com', ''));
      expect(fingerprintSha256(key.publicBlob)).toBe(expected[name]!.fingerprint);
      expect(key.certificatePath).toBe(join(dir, `${name}-cert.pub`));
      checkAgentFields(key.type, key.agentFields, key.publicBlob);
    });
  }

  it('ignores a certificate made for another key', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kd-cert-'));
    copyFileSync(join(dir, 'openssh-ecdsa521'), join(tmp, 'k'));
    copyFileSync(join(dir, 'openssh-ecdsa256-cert.pub'), join(tmp, 'k-cert.pub'));
    const key = await loadPrivateKeyFile(join(tmp, 'k'), always(null));
    expect(key.type).toBe('ecdsa-sha2-nistp521');
    expect(key.plain).toBeUndefined();
  });
});

describe('three distinct failures', () => {
  for (const name of ['openssh-ed25519-enc', 'openssh-ecdsa256-gcm-enc', 'openssh-ed25519-chacha-enc', 'pem-rsa2048-enc', 'pkcs8-ecdsa384-enc', 'openssl-rsa-des3.pem']) {
    it(`wrong passphrase on ${name} is key-wrong-passphrase after the allowed tries`, async () => {
      const attempts: number[] = [];
      await expect(
        loadPrivateKeyFile(join(dir, name), async (i) => {
          attempts.push(i.attempt);
          return 'not it';
        }),
      ).rejects.toMatchObject({ code: 'key-wrong-passphrase' });
      expect(attempts).toEqual([0, 1, 2]);
    });
  }

  it('a changed byte in an AES-GCM key with the right passphrase is key-corrupt at once, not a passphrase retry', async () => {
    const text = readFileSync(join(dir, 'openssh-ecdsa256-gcm-enc'), 'utf8');
    for (const at of [40, -1, 'tag'] as const) {
      let asked = 0;
      const provider: PassphraseProvider = async () => {
        asked++;
        return PASS;
      };
      await expect(decryptKeyFile(Buffer.from(flipOpenSshByte(text, at)), 'x', provider)).rejects.toMatchObject({ code: 'key-corrupt', message: expect.stringContaining('GCM') });
      expect(asked).toBe(1);
    }
    // The check numbers themselves cannot tell a changed file from a wrong passphrase (nor can OpenSSH).
    await expect(decryptKeyFile(Buffer.from(flipOpenSshByte(text, 0)), 'x', always(PASS))).rejects.toMatchObject({ code: 'key-wrong-passphrase' });
  });

  it('passes the fingerprint to the passphrase prompt (from the header or the .pub)', async () => {
    const seen: (string | null)[] = [];
    const rec: PassphraseProvider = async (i) => {
      seen.push(i.fingerprint);
      return PASS;
    };
    await loadPrivateKeyFile(join(dir, 'openssh-ed25519-enc'), rec);
    await loadPrivateKeyFile(join(dir, 'pem-ecdsa521-enc'), rec);
    expect(seen).toEqual([expected['openssh-ed25519-enc']!.fingerprint, expected['pem-ecdsa521-enc']!.fingerprint]);
  });

  it('a second try with the right passphrase succeeds', async () => {
    const key = await loadPrivateKeyFile(join(dir, 'openssh-rsa2048-enc'), async (i) => (i.attempt === 0 ? 'typo' : PASS));
    expect(fingerprintSha256(key.publicBlob)).toBe(expected['openssh-rsa2048-enc']!.fingerprint);
  });

  it('no passphrase available is key-passphrase-needed', async () => {
    await expect(loadPrivateKeyFile(join(dir, 'openssh-ed25519-enc'), always(null))).rejects.toMatchObject({ code: 'key-passphrase-needed' });
  });

  it('truncated and edited files are key-corrupt', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kd-bad-'));
    const text = readFileSync(join(dir, 'openssh-ed25519'), 'utf8');
    writeFileSync(join(tmp, 'cut'), text.slice(0, text.length / 2));
    await expect(loadPrivateKeyFile(join(tmp, 'cut'), always(null))).rejects.toMatchObject({ code: 'key-corrupt' });
    const lines = text.trim().split('\n');
    writeFileSync(join(tmp, 'short'), [...lines.slice(0, 3), lines.at(-1)].join('\n'));
    await expect(loadPrivateKeyFile(join(tmp, 'short'), always(null))).rejects.toMatchObject({ code: 'key-corrupt' });
    // Flip one byte inside the unencrypted private section: the check numbers or key no longer agree.
    const bin = Buffer.from(lines.slice(1, -1).join(''), 'base64');
    bin[bin.length - 40] = bin[bin.length - 40]! ^ 0x01;
    const b64 = bin.toString('base64').match(/.{1,70}/g)!.join('\n');
    writeFileSync(join(tmp, 'flip'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`);
    await expect(loadPrivateKeyFile(join(tmp, 'flip'), always(null))).rejects.toMatchObject({ code: 'key-corrupt' });
    writeFileSync(join(tmp, 'pem'), readFileSync(join(dir, 'pem-rsa2048'), 'utf8').replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA'));
    await expect(loadPrivateKeyFile(join(tmp, 'pem'), always(null))).rejects.toMatchObject({ code: 'key-corrupt' });
  });

  it('unknown ciphers and key types are key-unsupported', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kd-uns-'));
    writeFileSync(join(tmp, 'x'), '-----BEGIN SSH2 ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END SSH2 ENCRYPTED PRIVATE KEY-----\n');
    await expect(loadPrivateKeyFile(join(tmp, 'x'), always(null))).rejects.toMatchObject({ code: 'key-unsupported' });
    const text = readFileSync(join(dir, 'openssh-ed25519-enc'), 'utf8');
    const lines = text.trim().split('\n');
    const bin = Buffer.from(lines.slice(1, -1).join(''), 'base64');
    const swapped = Buffer.from(bin.toString('latin1').replace('aes256-ctr', 'aes256-xyz'), 'latin1');
    writeFileSync(join(tmp, 'y'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${swapped.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`);
    await expect(loadPrivateKeyFile(join(tmp, 'y'), always(PASS))).rejects.toMatchObject({ code: 'key-unsupported' });
  });

  it('public keys, folders and missing files get their own plain errors', async () => {
    await expect(loadPrivateKeyFile(join(dir, 'openssh-ed25519.pub'), always(null))).rejects.toMatchObject({ code: 'key-file-not-a-key', message: expect.stringContaining('public key') });
    await expect(loadPrivateKeyFile(dir, always(null))).rejects.toMatchObject({ code: 'key-file-not-a-key' });
    await expect(loadPrivateKeyFile(join(dir, 'nope'), always(null))).rejects.toMatchObject({ code: 'key-file-not-found' });
  });
});
