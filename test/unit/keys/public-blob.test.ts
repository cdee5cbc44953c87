import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedSignatureAlgorithm } from '../../../main/agent/client';
import { hostCertificateProblem, parsePublicKey, verifySshSignature } from '../../../main/agent/server/public-key';
import { KeyDockError } from '../../../main/util/errors';
import { describePublicBlob, fingerprintSha256 } from '../../../main/keys/format';
import { UnsupportedKeyTypeError, parsePublicBlob, plainTypeOf, type PublicBlob } from '../../../main/keys/public-blob';
import { WireError, WireReader, sshString } from '../../../main/keys/wire';

// Everything here is checked against what ssh-keygen itself wrote and prints, so the parser is
// held to OpenSSH's layout rather than to our own encoder.

const FOREVER = 0xffffffffffffffffn;
let dir = '';

const path = (name: string) => join(dir, name);
const keygen = (...args: string[]) => execFileSync('ssh-keygen', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const blobOf = (file: string) => Buffer.from(readFileSync(path(file), 'utf8').split(' ')[1] as string, 'base64');
const newKey = (name: string, ...typeArgs: string[]) => keygen('-q', '-N', '', '-C', name, '-f', path(name), ...typeArgs);
/** Signs `<name>.pub` with CA `ca` and returns the certificate blob ssh-keygen wrote. */
const certify = (ca: string, name: string, ...args: string[]) => {
  keygen('-q', '-s', path(ca), ...args, path(`${name}.pub`));
  return blobOf(`${name}-cert.pub`);
};
/** `<bits> SHA256:… comment (TYPE)` as `ssh-keygen -lf` prints it. */
const keygenList = (file: string) => {
  const [bits, fingerprint] = keygen('-lf', path(file)).split(' ') as [string, string];
  return { bits: Number(bits), fingerprint };
};
/** Name/data pairs of critical options or extensions, data unwrapped from its inner string when present. */
const namedPairs = (raw: Buffer) => {
  const r = new WireReader(raw);
  const out: [string, string][] = [];
  while (r.remaining > 0) {
    const name = r.text();
    const data = r.string();
    out.push([name, data.length ? new WireReader(data).text() : '']);
  }
  return out;
};
/** A security-key public key line built by hand (PROTOCOL.u2f) around a real key's public half. */
const writeSkPublicKey = (name: string, plainType: string, fields: Buffer[]) => {
  const blob = Buffer.concat([sshString(plainType), ...fields, sshString('ssh:')]);
  writeFileSync(path(`${name}.pub`), `${plainType} ${blob.toString('base64')} ${name}\n`);
  return blob;
};

const certs: Record<string, Buffer> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kd-blob-'));
  newKey('ca', '-t', 'ed25519');
  newKey('ecca', '-t', 'ecdsa', '-b', '256');
  newKey('rsaca', '-t', 'rsa', '-b', '3072');
  newKey('ed', '-t', 'ed25519');
  newKey('ec256', '-t', 'ecdsa', '-b', '256');
  newKey('ec384', '-t', 'ecdsa', '-b', '384');
  newKey('ec521', '-t', 'ecdsa', '-b', '521');
  newKey('rsa', '-t', 'rsa', '-b', '2048');
  newKey('dsa', '-t', 'dsa');

  const ed = new WireReader(blobOf('ed.pub'));
  ed.string();
  writeSkPublicKey('sked', 'sk-ssh-ed25519@openssh.com', [sshString(ed.string())]);
  const ec = new WireReader(blobOf('ec256.pub'));
  ec.string();
  writeSkPublicKey('skec', 'sk-ecdsa-sha2-nistp256@openssh.com', [sshString(ec.string()), sshString(ec.string())]);

  certs.ec384User = certify('ca', 'ec384', '-I', 'ecdsa id', '-n', 'alice,bob', '-z', '18446744073709551615', '-V', '20200101000000Z:20991231235959Z', '-O', 'force-command=/bin/true', '-O', 'source-address=10.0.0.0/8', '-O', 'no-pty');
  certs.rsaHost = certify('rsaca', 'rsa', '-h', '-I', 'host', '-n', 'host.example,alt.example', '-z', '42');
  certs.edUser = certify('ecca', 'ed', '-I', 'ed', '-n', 'carol', '-V', '20240101000000Z:20250101000000Z');
  certs.ec256Host = certify('ca', 'ec256', '-h', '-I', 'h256', '-n', 'h.example', '-V', '20240101000000Z:20250101000000Z');
  certs.skEd = certify('ca', 'sked', '-I', 'sk id', '-n', 'alice', '-z', '7');
  certs.skEc = certify('rsaca', 'skec', '-I', 'sk ecdsa', '-n', 'dave', '-O', 'no-touch-required');
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectCaSigned(p: PublicBlob, blob: Buffer, ca: string): void {
  const c = p.cert!;
  expect(c.signatureKey.equals(blobOf(`${ca}.pub`))).toBe(true);
  expect(Buffer.concat([c.signedPart, sshString(c.signature)]).equals(blob)).toBe(true);
  expect(verifySshSignature(c.signatureKey, c.signature, c.signedPart)).toBe(true);
  const tampered = Buffer.from(c.signedPart);
  tampered[tampered.length - 1]! ^= 1;
  expect(verifySshSignature(c.signatureKey, c.signature, tampered)).toBe(false);
}

describe('parsePublicBlob on ssh-keygen plain keys', () => {
  it.each([
    ['ed.pub', 'ssh-ed25519', 'ed25519'],
    ['ec256.pub', 'ecdsa-sha2-nistp256', 'ecdsa'],
    ['ec384.pub', 'ecdsa-sha2-nistp384', 'ecdsa'],
    ['ec521.pub', 'ecdsa-sha2-nistp521', 'ecdsa'],
    ['rsa.pub', 'ssh-rsa', 'rsa'],
    ['dsa.pub', 'ssh-dss', 'dsa'],
    ['sked.pub', 'sk-ssh-ed25519@openssh.com', 'sk-ed25519'],
    ['skec.pub', 'sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa'],
  ])('%s: type, bits and fingerprint as ssh-keygen -l prints them', (file, type, kind) => {
    const blob = blobOf(file);
    const p = parsePublicBlob(blob);
    const listed = keygenList(file);
    expect(p).toMatchObject({ type, plainType: type, bits: listed.bits, cert: null });
    expect(p.key.kind).toBe(kind);
    expect(p.plainBlob.equals(blob)).toBe(true);
    expect(fingerprintSha256(blob)).toBe(listed.fingerprint);
    // Security keys also carry their FIDO application (`ssh:` for keys ssh-keygen made by default).
    expect(describePublicBlob(blob)).toEqual({ type, keyType: type, bits: listed.bits, isCertificate: false, ...(kind.startsWith('sk-') ? { application: 'ssh:' } : {}) });
  });

  it('hands out the public numbers in the blob', () => {
    const p = parsePublicBlob(blobOf('skec.pub'));
    expect(p.key).toMatchObject({ kind: 'sk-ecdsa', curve: 'nistp256', application: 'ssh:' });
    const rsa = parsePublicBlob(blobOf('rsa.pub')).key;
    expect(rsa.kind === 'rsa' && rsa.e.toString('hex')).toBe('010001');
  });
});

describe('parsePublicBlob on ssh-keygen certificates', () => {
  it('reads an ECDSA user certificate with critical options, the largest serial and explicit validity', () => {
    const blob = certs.ec384User!;
    const p = parsePublicBlob(blob);
    expect(p).toMatchObject({ type: 'ecdsa-sha2-nistp384-cert-v01@openssh.com', plainType: 'ecdsa-sha2-nistp384', bits: 384 });
    expect(p.key).toMatchObject({ kind: 'ecdsa', curve: 'nistp384' });
    expect(p.plainBlob.equals(blobOf('ec384.pub'))).toBe(true);
    expect(fingerprintSha256(blob)).toBe(keygenList('ec384-cert.pub').fingerprint);
    const c = p.cert!;
    expect(c.nonce).toHaveLength(32);
    expect(c).toMatchObject({ serial: 18446744073709551615n, role: 1, keyId: 'ecdsa id', principals: ['alice', 'bob'], validAfter: 1577836800n, validBefore: 4102444799n });
    expect(namedPairs(c.criticalOptions)).toEqual([
      ['force-command', '/bin/true'],
      ['source-address', '10.0.0.0/8'],
    ]);
    expect(namedPairs(c.extensions).map(([n]) => n)).toEqual(['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-user-rc']);
    expectCaSigned(p, blob, 'ca');
    expect(describePublicBlob(blob)).toEqual({
      type: p.type,
      keyType: 'ecdsa-sha2-nistp384',
      bits: 384,
      isCertificate: true,
      certifiedKeyBlob: p.plainBlob,
      certificate: { serial: '18446744073709551615', role: 'user', keyId: 'ecdsa id', principals: ['alice', 'bob'], validAfter: 1577836800, validBefore: 4102444799, caKeyBlob: c.signatureKey },
    });
  });

  it('reads an RSA host certificate signed by an RSA CA, valid forever, and the agent accepts it for its principals', () => {
    const blob = certs.rsaHost!;
    const p = parsePublicBlob(blob);
    expect(p).toMatchObject({ type: 'ssh-rsa-cert-v01@openssh.com', plainType: 'ssh-rsa', bits: 2048 });
    expect(p.plainBlob.equals(blobOf('rsa.pub'))).toBe(true);
    expect(p.cert).toMatchObject({ serial: 42n, role: 2, keyId: 'host', principals: ['host.example', 'alt.example'], validAfter: 0n, validBefore: FOREVER });
    expect(p.cert!.criticalOptions).toHaveLength(0);
    expect(p.cert!.extensions).toHaveLength(0);
    expect(new WireReader(p.cert!.signature).text()).toBe('rsa-sha2-512');
    expectCaSigned(p, blob, 'rsaca');
    expect(describePublicBlob(blob).certificate).toMatchObject({ role: 'host', validAfter: 0, validBefore: Number.POSITIVE_INFINITY });
    const now = BigInt(Math.floor(Date.now() / 1000));
    expect(hostCertificateProblem(parsePublicKey(blob), 'alt.example', now)).toBeNull();
    expect(hostCertificateProblem(parsePublicKey(blob), 'other.example', now)).toBe('other.example is not a principal of the certificate');
  });

  it('reads an Ed25519 user certificate signed by an ECDSA CA, which the agent refuses as a host certificate', () => {
    const blob = certs.edUser!;
    const p = parsePublicKey(blob);
    expect(p).toMatchObject({ plainType: 'ssh-ed25519', bits: 256, cert: { role: 1, validAfter: 1704067200n, validBefore: 1735689600n } });
    expect(p.plainBlob.equals(blobOf('ed.pub'))).toBe(true);
    expectCaSigned(p, blob, 'ecca');
    expect(hostCertificateProblem(p, null, 1710000000n)).toBe('not a host certificate');
  });

  it('gives the agent validity times exact to the second', () => {
    const host = parsePublicKey(certs.ec256Host!);
    expect(host.cert).toMatchObject({ role: 2, validAfter: 1704067200n, validBefore: 1735689600n });
    expect(hostCertificateProblem(host, 'h.example', 1704067199n)).toBe('certificate not yet valid');
    expect(hostCertificateProblem(host, 'h.example', 1704067200n)).toBeNull();
    expect(hostCertificateProblem(host, 'h.example', 1735689599n)).toBeNull();
    expect(hostCertificateProblem(host, 'h.example', 1735689600n)).toBe('certificate expired');
  });

  it.each([
    ['skEd', 'sk-ssh-ed25519-cert-v01@openssh.com', 'sk-ssh-ed25519@openssh.com', 'sked', 'ca'],
    ['skEc', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com', 'skec', 'rsaca'],
  ])('reads the security-key certificate %s with the plain type OpenSSH uses', (name, type, plainType, file, ca) => {
    const blob = certs[name]!;
    const p = parsePublicBlob(blob);
    expect(p).toMatchObject({ type, plainType, bits: 256 });
    expect(p.key).toMatchObject({ application: 'ssh:' });
    expect(p.plainBlob.equals(blobOf(`${file}.pub`))).toBe(true);
    expect(fingerprintSha256(blob)).toBe(keygenList(`${file}-cert.pub`).fingerprint);
    expectCaSigned(p, blob, ca);
    expect(parsePublicKey(blob).plainType).toBe(plainType);
    expect(describePublicBlob(blob)).toMatchObject({ type, keyType: plainType, bits: 256, isCertificate: true });
    expect(describePublicBlob(blob).certifiedKeyBlob!.equals(blobOf(`${file}.pub`))).toBe(true);
  });

  it('reads the no-touch-required extension of a security-key certificate', () => {
    expect(namedPairs(parsePublicBlob(certs.skEc!).cert!.extensions).map(([n]) => n)).toContain('no-touch-required');
  });
});

describe('plainTypeOf', () => {
  it.each([
    ['ssh-ed25519', 'ssh-ed25519'],
    ['ssh-ed25519-cert-v01@openssh.com', 'ssh-ed25519'],
    ['ecdsa-sha2-nistp521-cert-v01@openssh.com', 'ecdsa-sha2-nistp521'],
    ['sk-ssh-ed25519-cert-v01@openssh.com', 'sk-ssh-ed25519@openssh.com'],
    ['sk-ecdsa-sha2-nistp256-cert-v01@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'],
    ['sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519@openssh.com'],
  ])('%s → %s', (type, plain) => {
    expect(plainTypeOf(type)).toBe(plain);
  });

  it('gives agents the security-key signature algorithm for security-key certificates', () => {
    expect(expectedSignatureAlgorithm('sk-ssh-ed25519-cert-v01@openssh.com', 0)).toBe('sk-ssh-ed25519@openssh.com');
    expect(expectedSignatureAlgorithm('ssh-rsa-cert-v01@openssh.com', 2)).toBe('rsa-sha2-256');
  });
});

describe('malformed blobs', () => {
  /** Every reader of blobs must refuse these with its own error, never with a TypeError or RangeError. */
  function expectRefused(blob: Buffer, what: string): void {
    expect(() => parsePublicBlob(blob), what).toThrow(WireError);
    expect(() => parsePublicKey(blob), what).toThrow(WireError);
    let err: unknown = null;
    try {
      describePublicBlob(blob);
    } catch (e) {
      err = e;
    }
    expect(err, what).toBeInstanceOf(KeyDockError);
    expect((err as KeyDockError).code, what).toMatch(/^key-(corrupt|unsupported)$/);
  }

  it('refuses every certificate and key cut short at any offset', () => {
    const all = { ...certs, ed: blobOf('ed.pub'), rsa: blobOf('rsa.pub'), ec521: blobOf('ec521.pub'), sked: blobOf('sked.pub'), skec: blobOf('skec.pub') };
    for (const [name, blob] of Object.entries(all)) {
      for (let n = 0; n < blob.length; n++) expectRefused(blob.subarray(0, n), `${name} cut at ${n}`);
    }
  });

  it('refuses a trailing byte after a key or a certificate', () => {
    for (const blob of [...Object.values(certs), blobOf('ed.pub'), blobOf('skec.pub')]) {
      expectRefused(Buffer.concat([blob, Buffer.from([0])]), 'trailing byte');
    }
    expect(() => parsePublicBlob(Buffer.concat([certs.ec384User!, Buffer.from([0])]))).toThrow(/trailing/);
  });

  it('never throws anything but WireError when any single byte of a certificate is changed', () => {
    const blob = certs.skEc!;
    for (let i = 0; i < blob.length; i++) {
      for (const v of [0x00, 0x7f, 0xff]) {
        const bad = Buffer.from(blob);
        bad[i] = v;
        try {
          parsePublicBlob(bad);
        } catch (e) {
          expect(e, `byte ${i} = ${v}`).toBeInstanceOf(WireError);
        }
      }
    }
  });

  const ecPoint = (bytes: number) => Buffer.concat([Buffer.from([4]), randomBytes(2 * bytes)]);
  it.each([
    ['a curve that is not the type', [sshString('ecdsa-sha2-nistp256'), sshString('nistp384'), sshString(ecPoint(32))]],
    ['a compressed EC point', [sshString('ecdsa-sha2-nistp256'), sshString('nistp256'), sshString(Buffer.concat([Buffer.from([2]), randomBytes(32)]))]],
    ['an EC point of the wrong size', [sshString('ecdsa-sha2-nistp384'), sshString('nistp384'), sshString(ecPoint(32))]],
    ['an Ed25519 key of 31 bytes', [sshString('ssh-ed25519'), sshString(randomBytes(31))]],
    ['an Ed25519 key of 33 bytes', [sshString('ssh-ed25519'), sshString(randomBytes(33))]],
    ['a security-key Ed25519 key of 31 bytes', [sshString('sk-ssh-ed25519@openssh.com'), sshString(randomBytes(31)), sshString('ssh:')]],
    ['a security-key ECDSA key on P-384', [sshString('sk-ecdsa-sha2-nistp256@openssh.com'), sshString('nistp384'), sshString(ecPoint(48)), sshString('ssh:')]],
    ['a security-key ECDSA key with a bad point', [sshString('sk-ecdsa-sha2-nistp256@openssh.com'), sshString('nistp256'), sshString(ecPoint(31)), sshString('ssh:')]],
    ['a negative RSA modulus', [sshString('ssh-rsa'), sshString(Buffer.from([1, 0, 1])), sshString(Buffer.from([0x80, 1]))]],
  ])('refuses %s', (_what, parts) => {
    expectRefused(Buffer.concat(parts), _what);
  });

  it('refuses a certificate whose certified key is malformed', () => {
    // The ssh-keygen certificate with its 32-byte Ed25519 key swapped for 31 bytes.
    const p = parsePublicBlob(certs.edUser!);
    const keyStart = 4 + p.type.length + 4 + p.cert!.nonce.length;
    const rest = certs.edUser!.subarray(keyStart + 4 + 32);
    expectRefused(Buffer.concat([certs.edUser!.subarray(0, keyStart), sshString(randomBytes(31)), rest]), 'short certified key');
  });

  it('says unsupported, not damaged, for key types it does not know', () => {
    for (const [type, plain] of [
      ['ssh-xyz', 'ssh-xyz'],
      ['ssh-xyz-cert-v01@openssh.com', 'ssh-xyz'],
      ['ssh-ed25519-cert-v01@openssh.com-cert-v01@openssh.com', 'ssh-ed25519-cert-v01@openssh.com'],
    ] as const) {
      const blob = Buffer.concat([sshString(type), sshString(randomBytes(32))]);
      expect(() => parsePublicBlob(blob)).toThrow(UnsupportedKeyTypeError);
      expect(() => describePublicBlob(blob)).toThrow(expect.objectContaining({ code: 'key-unsupported', message: `KeyDock does not support "${plain}" keys.` }));
    }
  });

  it('reads Ed448 keys for display, but the agent refuses them as OpenSSH would', () => {
    const blob = Buffer.concat([sshString('ssh-ed448'), sshString(randomBytes(57))]);
    expect(parsePublicBlob(blob)).toMatchObject({ plainType: 'ssh-ed448', bits: 448 });
    expect(() => parsePublicKey(blob)).toThrow(WireError);
  });
});
