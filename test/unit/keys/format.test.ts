import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePublicBlob, fingerprintMd5, fingerprintSha256, parsePublicKeyLine, publicKeyLine, rfc4716 } from '../../../main/keys/format';

const dir = join(__dirname, '../../fixtures/keys/pub');
const read = (f: string) => readFileSync(join(dir, f), 'utf8');

// Expected values printed by `ssh-keygen -lf` / `ssh-keygen -E md5 -lf` on these files.
const cases = [
  { file: 'ed25519.pub', type: 'ssh-ed25519', bits: 256, sha: 'SHA256:044gLIpu16oOGIzNFlH9tExcgWoz9pabIEUJ15HcoDQ', md5: 'MD5:c3:c9:2a:59:50:bb:9d:d9:58:0b:d3:54:f8:61:ab:d9' },
  { file: 'ecdsa384.pub', type: 'ecdsa-sha2-nistp384', bits: 384, sha: 'SHA256:b4VvMbXiHT+6x+GMH4VFVcAfTa8G+HiZZ3fIcF/0rz4', md5: 'MD5:10:f3:7c:7b:68:c8:06:67:75:9c:5d:42:cf:4d:c6:c2' },
  { file: 'rsa2048.pub', type: 'ssh-rsa', bits: 2048, sha: 'SHA256:MvNQ1fCAu1nN/l4+vsB/KW8pRfh8Vk85O20lPbjxEMA', md5: 'MD5:9e:cb:dc:ef:6c:40:29:33:4f:a0:65:53:7f:82:7b:84' },
];

describe('fingerprints and public key lines', () => {
  for (const c of cases) {
    it(`matches ssh-keygen for ${c.file}`, () => {
      const text = read(c.file);
      const parsed = parsePublicKeyLine(text);
      expect(parsed.type).toBe(c.type);
      expect(fingerprintSha256(parsed.blob)).toBe(c.sha);
      expect(fingerprintMd5(parsed.blob)).toBe(c.md5);
      expect(describePublicBlob(parsed.blob)).toMatchObject({ type: c.type, bits: c.bits, isCertificate: false });
      expect(publicKeyLine(parsed.blob, parsed.comment)).toBe(text.trim());
    });
  }

  it('fingerprints a certificate as its certified key and reads its fields', () => {
    const cert = parsePublicKeyLine(read('ecdsa384-cert.pub'));
    const info = describePublicBlob(cert.blob);
    expect(info.type).toBe('ecdsa-sha2-nistp384-cert-v01@openssh.com');
    expect(info.isCertificate).toBe(true);
    expect(info.bits).toBe(384);
    expect(info.certificate).toMatchObject({ keyId: 'myid', principals: ['alice', 'bob'], role: 'user' });
    expect(info.certifiedKeyBlob!.equals(parsePublicKeyLine(read('ecdsa384.pub')).blob)).toBe(true);
    expect(fingerprintSha256(cert.blob)).toBe(cases[1]!.sha);
    expect(describePublicBlob(info.certificate!.caKeyBlob).type).toBe('ssh-ed25519');
  });

  it('reads RFC 4716 files as ssh-keygen -e writes them and writes them back', () => {
    const parsed = parsePublicKeyLine(read('rsa2048.rfc4716'));
    expect(fingerprintSha256(parsed.blob)).toBe(cases[2]!.sha);
    const again = parsePublicKeyLine(rfc4716(parsed.blob, 'a "quoted" comment that is quite long, long enough to need a continuation line'));
    expect(again.blob.equals(parsed.blob)).toBe(true);
    expect(again.comment).toBe('a "quoted" comment that is quite long, long enough to need a continuation line');
  });

  it('accepts authorized_keys options before the key', () => {
    const line = `no-pty,command="echo a b" ${read('ed25519.pub').trim()}`;
    expect(fingerprintSha256(parsePublicKeyLine(line).blob)).toBe(cases[0]!.sha);
  });

  it('rejects damaged and mismatched keys with key-corrupt', () => {
    const [type, b64] = read('ed25519.pub').split(' ') as [string, string];
    const blob = Buffer.from(b64, 'base64');
    expect(() => describePublicBlob(blob.subarray(0, blob.length - 1))).toThrow(expect.objectContaining({ code: 'key-corrupt' }));
    expect(() => parsePublicKeyLine(`ssh-rsa ${b64}`)).toThrow(expect.objectContaining({ code: 'key-corrupt' }));
    expect(() => parsePublicKeyLine('hello world')).toThrow(expect.objectContaining({ code: 'key-corrupt' }));
    expect(type).toBe('ssh-ed25519');
  });

  it('says unsupported for unknown key types', () => {
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-xyz')]);
    expect(() => describePublicBlob(blob)).toThrow(expect.objectContaining({ code: 'key-unsupported' }));
  });
});
