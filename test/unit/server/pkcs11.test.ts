import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePublicBlob } from '../../../main/keys/public-blob';
import { CKR, Pkcs11CallError, Pkcs11Module, pkcs11Error, tokenGone } from '../../../main/platform/pkcs11';
import { defaultPkcs11Allowlist, publicFromAttributes } from '../../../main/agent/server/pkcs11-keys';
import { commonPkcs11Providers, smartcardProviderOf } from '../../../main/agent/server/pkcs11-paths';
import { DEFAULT_PROVIDER_ALLOWLIST, matchPatternList } from '../../../main/agent/server/provider-allowlist';

// The pure parts of PKCS#11 support: token attributes → SSH public keys, card keys told apart by
// their comment, allow-lists, and CK_RV → KeyDockError. (The token itself: test/integration/agent/pkcs11.test.ts.)

/** A CK_ULONG attribute value as a module writes it: 8 bytes on 64-bit Unix, 4 on Windows. */
function ulong(n: number, size: 4 | 8): Buffer {
  const b = Buffer.alloc(size);
  if (size === 8) b.writeBigUInt64LE(BigInt(n));
  else b.writeUInt32LE(n);
  return b;
}

describe('token attributes → SSH public keys', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(ec.x as string, 'base64url'), Buffer.from(ec.y as string, 'base64url')]);
  const P384 = Buffer.from('06052b81040022', 'hex');

  it('ECDSA P-384 from a DER-wrapped CKA_EC_POINT and from a bare one, either CK_ULONG size', () => {
    const der = Buffer.concat([Buffer.from([0x04, point.length]), point]);
    const a = publicFromAttributes(ulong(3, 8), null, null, P384, der);
    const b = publicFromAttributes(ulong(3, 4), null, null, P384, point);
    expect(a?.type).toBe('ecdsa-sha2-nistp384');
    expect(a?.publicBlob.equals(b!.publicBlob)).toBe(true);
    const parsed = parsePublicBlob(a!.publicBlob);
    expect(parsed.key).toMatchObject({ kind: 'ecdsa', curve: 'nistp384' });
    expect((parsed.key as { q: Buffer }).q.equals(point)).toBe(true);
    expect(a?.bits).toBe(384);
  });

  it('RSA from CKA_MODULUS and CKA_PUBLIC_EXPONENT', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    const r = publicFromAttributes(ulong(0, 8), Buffer.from(rsa.n as string, 'base64url'), Buffer.from(rsa.e as string, 'base64url'), null, null);
    expect(r?.type).toBe('ssh-rsa');
    expect(r?.bits).toBe(2048);
    expect(parsePublicBlob(r!.publicBlob).bits).toBe(2048);
  });

  it('other key types and curves are skipped (null)', () => {
    expect(publicFromAttributes(ulong(0x40, 8), null, null, null, null)).toBeNull(); // CKK_EC_EDWARDS
    expect(publicFromAttributes(ulong(3, 8), null, null, Buffer.from('06052b8104000a', 'hex'), point)).toBeNull(); // secp256k1
    expect(publicFromAttributes(null, null, null, null, null)).toBeNull();
  });
});

describe('card keys by comment', () => {
  it('a provider library path is a smartcard key; other comments are not', () => {
    for (const p of ['/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so', '/usr/local/lib/libykcs11.so.2', '/opt/homebrew/lib/libykcs11.dylib', 'C:\\Windows\\System32\\opensc-pkcs11.dll']) expect(smartcardProviderOf(p)).toBe(p);
    for (const c of ['01', 'PIV AUTH pubkey', 'me@laptop', 'opensc-pkcs11.so', '/home/me/.ssh/id_ed25519', '']) expect(smartcardProviderOf(c)).toBeNull();
  });

  it('every usual provider path of every OS reads as a card key', () => {
    for (const os of ['linux', 'darwin', 'win32'] as const) for (const p of commonPkcs11Providers(os)) expect(smartcardProviderOf(p.path), p.path).toBe(p.path);
  });
});

describe('allow-lists', () => {
  it('Linux uses ssh-agent’s default; macOS and Windows add their middleware folders', () => {
    expect(defaultPkcs11Allowlist('linux')).toBe(DEFAULT_PROVIDER_ALLOWLIST);
    expect(matchPatternList('/Library/OpenSC/lib/opensc-pkcs11.so', defaultPkcs11Allowlist('darwin'))).toBe(true);
    expect(matchPatternList('/Users/me/evil.dylib', defaultPkcs11Allowlist('darwin'))).toBe(false);
    expect(matchPatternList('C:\\Windows\\System32\\opensc-pkcs11.dll', defaultPkcs11Allowlist('win32'))).toBe(true);
    expect(matchPatternList('C:\\Users\\me\\evil.dll', defaultPkcs11Allowlist('win32'))).toBe(false);
  });
});

describe('PKCS#11 failures in words', () => {
  it('maps the return values a person can act on', () => {
    expect(pkcs11Error(new Pkcs11CallError('C_Login', CKR.PIN_INCORRECT), 'p').code).toBe('pkcs11-pin-incorrect');
    expect(pkcs11Error(new Pkcs11CallError('C_Login', CKR.PIN_LOCKED), 'p').code).toBe('pkcs11-pin-locked');
    expect(pkcs11Error(new Pkcs11CallError('C_Sign', CKR.DEVICE_REMOVED), 'p').code).toBe('pkcs11-token-missing');
    expect(pkcs11Error(new Pkcs11CallError('C_Sign', CKR.GENERAL_ERROR), 'p').code).toBe('pkcs11-failed');
    expect(tokenGone(CKR.SESSION_HANDLE_INVALID)).toBe(true);
    expect(tokenGone(CKR.PIN_INCORRECT)).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')('a file that is no library, and a library that is no PKCS#11 module, are told apart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-p11-'));
    const notLib = join(dir, 'not-a-library.so');
    writeFileSync(notLib, 'plain text\n');
    expect(() => Pkcs11Module.open(notLib)).toThrow(expect.objectContaining({ code: 'pkcs11-library-missing' }));
    rmSync(dir, { recursive: true, force: true });
    expect(() => Pkcs11Module.open('libc.so.6')).toThrow(expect.objectContaining({ code: 'pkcs11-not-a-module' }));
  });
});
