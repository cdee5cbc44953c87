import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { describe, expect, it } from 'vitest';
import { fingerprintSha256 } from '../../../main/keys/format';
import { decryptKeyFile, openKeyData } from '../../../main/keys/load';
import { publicBlob } from '../../../main/keys/material';
import { writeOpenSsh } from '../../../main/keys/openssh';
import type { PassphraseProvider } from '../../../main/keys/types';
import { flipOpenSshByte } from '../../support/openssh-tamper';

// chacha20-poly1305@openssh.com key files (ssh-keygen -Z). Fresh ssh-keygen output, ssh-agent and
// the CLI are in test/integration/keys/openssh-chacha.test.ts; this file uses the committed fixture.
const FIXTURE = join(__dirname, '../../fixtures/keys/files/openssh-ed25519-chacha-enc');
const expected = JSON.parse(readFileSync(join(__dirname, '../../fixtures/keys/expected.json'), 'utf8')) as Record<string, { fingerprint: string }>;
const PASS = 'correct horse';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function counting(pass: string): { provider: PassphraseProvider; asked: () => number } {
  let n = 0;
  return {
    provider: async () => {
      n++;
      return pass;
    },
    asked: () => n,
  };
}

describe('the primitives under chacha20-poly1305@openssh.com', () => {
  it('ChaCha20 (original, 8-byte nonce) and Poly1305 give the published test vectors', () => {
    // ChaCha20, all-zero key and nonce, block 0 (draft-strombergson-chacha-test-vectors TC1 / RFC 8439 A.1 #1).
    expect(hex(chacha20orig(new Uint8Array(32), new Uint8Array(8), new Uint8Array(64)))).toBe(
      '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586',
    );
    // Poly1305, RFC 8439 §2.5.2.
    const key = Buffer.from('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', 'hex');
    expect(hex(poly1305(Buffer.from('Cryptographic Forum Research Group'), key))).toBe('a8061dc1305136c6c22b8baf0c0127a9');
  });

  it("OpenSSH's layout (64-bit LE counter, then 64-bit nonce) is Node's 16-byte chacha20 IV while the counter fits 32 bits", () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const nonce = Buffer.from('0001020304050607', 'hex');
    const data = Buffer.alloc(300, 0xa5);
    for (const counter of [0, 1, 7]) {
      const iv = Buffer.alloc(16);
      iv.writeBigUInt64LE(BigInt(counter), 0);
      nonce.copy(iv, 8);
      const node = createCipheriv('chacha20', key, iv).update(data);
      expect(hex(chacha20orig(key, nonce, data, undefined, counter))).toBe(node.toString('hex'));
    }
  });
});

describe('the committed chacha20-poly1305 fixture (made by ssh-keygen)', () => {
  const text = readFileSync(FIXTURE, 'utf8');

  it('opens with the right passphrase, with the fingerprint ssh-keygen gives', async () => {
    const { parsed } = await decryptKeyFile(Buffer.from(text), FIXTURE, async () => PASS);
    expect(fingerprintSha256(publicBlob(parsed.material))).toBe(expected['openssh-ed25519-chacha-enc']!.fingerprint);
    expect(parsed.comment).toBe('openssh-ed25519-chacha-enc@keydock');
  });

  it('a changed byte in the ciphertext or the tag is key-corrupt at once, not a passphrase retry', async () => {
    for (const at of [40, -1, 'tag'] as const) {
      const p = counting(PASS);
      await expect(decryptKeyFile(Buffer.from(flipOpenSshByte(text, at)), 'x', p.provider)).rejects.toMatchObject({ code: 'key-corrupt', message: expect.stringContaining('Poly1305') });
      expect(p.asked()).toBe(1);
    }
  });

  it('a changed check number reads as a wrong passphrase, as in OpenSSH: nothing can tell them apart', async () => {
    await expect(decryptKeyFile(Buffer.from(flipOpenSshByte(text, 0)), 'x', async () => PASS)).rejects.toMatchObject({ code: 'key-wrong-passphrase' });
  });

  it('KeyDock still writes aes256-ctr (the OpenSSH default) when it re-encrypts such a key', async () => {
    const { parsed } = await decryptKeyFile(Buffer.from(text), FIXTURE, async () => PASS);
    const out = await writeOpenSsh(parsed.material, 'again', { passphrase: 'other', rounds: 2 });
    expect(openKeyData(Buffer.from(out), null).header).toMatchObject({ cipher: 'aes256-ctr', kdf: 'bcrypt', kdfRounds: 2 });
    const back = await decryptKeyFile(Buffer.from(out), null, async () => 'other');
    expect(publicBlob(back.parsed.material).equals(publicBlob(parsed.material))).toBe(true);
  });
});
