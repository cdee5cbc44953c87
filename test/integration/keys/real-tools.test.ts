import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertMaterial } from '../../../main/keys/convert';
import { fingerprintSha256, publicKeyLine } from '../../../main/keys/format';
import { decryptKeyFile, loadPrivateKeyFile } from '../../../main/keys/load';
import { publicBlob } from '../../../main/keys/material';
import { run } from '../../support/processes';
import { startSshd, type Sshd } from '../../support/sshd';

const PASS = 'correct horse';
let dir: string;
let passFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-tools-'));
  passFile = join(dir, 'pass');
  await writeFile(passFile, PASS);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the reference tools say the public key of a puttygen file is (via puttygen's OpenSSH export + ssh-keygen -lf). */
async function referenceFingerprint(ppk: string, encrypted: boolean): Promise<{ line: string; fingerprint: string }> {
  const out = join(dir, `${Math.random().toString(36).slice(2)}.pub`);
  const r = await run('puttygen', [ppk, '-O', 'public-openssh', '-o', out, ...(encrypted ? ['--old-passphrase', passFile] : [])]);
  expect(r.code, r.stderr).toBe(0);
  const fp = await run('ssh-keygen', ['-lf', out]);
  return { line: (await readFile(out, 'utf8')).trim(), fingerprint: fp.stdout.split(' ')[1] as string };
}

describe('keys made by puttygen load in KeyDock with the fingerprint ssh-keygen gives', () => {
  const cases: { name: string; args: string[]; encrypted: boolean }[] = [
    { name: 'ed25519 v3 argon2id default', args: ['-t', 'ed25519'], encrypted: true },
    { name: 'ed25519 v3 argon2i custom', args: ['-t', 'ed25519', '--ppk-param', 'kdf=argon2i,memory=2048,passes=4,parallelism=2'], encrypted: true },
    { name: 'ecdsa-384 v3 argon2d custom', args: ['-t', 'ecdsa', '-b', '384', '--ppk-param', 'kdf=argon2d,memory=16384,passes=1'], encrypted: true },
    { name: 'ecdsa-256 v3 plain', args: ['-t', 'ecdsa', '-b', '256'], encrypted: false },
    { name: 'ecdsa-521 v2 encrypted', args: ['-t', 'ecdsa', '-b', '521', '--ppk-param', 'version=2'], encrypted: true },
    { name: 'rsa-2048 v3 encrypted', args: ['-t', 'rsa', '-b', '2048'], encrypted: true },
    { name: 'rsa-2048 v2 plain', args: ['-t', 'rsa', '-b', '2048', '--ppk-param', 'version=2'], encrypted: false },
    { name: 'dsa-2048 v3 plain', args: ['-t', 'dsa', '-b', '2048'], encrypted: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const file = join(dir, `${c.name.replace(/\W+/g, '-')}.ppk`);
      const gen = await run('puttygen', [...c.args, '-q', '-C', c.name, '-o', file, '--new-passphrase', c.encrypted ? passFile : '/dev/null'], { timeoutMs: 120_000 });
      expect(gen.code, gen.stderr).toBe(0);
      const ref = await referenceFingerprint(file, c.encrypted);
      const key = await loadPrivateKeyFile(file, async () => PASS);
      expect(fingerprintSha256(key.publicBlob)).toBe(ref.fingerprint);
      expect(publicKeyLine(key.publicBlob, key.comment)).toBe(ref.line);
      expect(key.source.encrypted).toBe(c.encrypted);
    }, 120_000);
  }
});

describe("KeyDock's PPK output is read by puttygen", () => {
  for (const src of ['openssh-ed25519', 'openssh-ecdsa384-enc', 'openssh-rsa3072', 'pem-ecdsa521-enc']) {
    for (const version of [3, 2] as const) {
      for (const encrypted of [false, true]) {
        it(`${src} as PPK v${version}${encrypted ? ' encrypted' : ''}`, async () => {
          const { parsed } = await decryptKeyFile(await readFile(join(__dirname, '../../fixtures/keys/files', src)), null, async () => PASS);
          const text = await convertMaterial(parsed.material, 'from keydock', version === 3 ? 'ppk' : 'ppk2', { passphrase: encrypted ? PASS : undefined });
          const file = join(dir, `out-${src}-${version}-${encrypted}.ppk`);
          await writeFile(file, text, { mode: 0o600 });
          const ref = await referenceFingerprint(file, encrypted);
          expect(ref.line).toBe(publicKeyLine(publicBlob(parsed.material), 'from keydock'));
          // Exporting the private key makes puttygen decrypt and check the MAC, not just read the public lines.
          const exported = join(dir, `out-${src}-${version}-${encrypted}.openssh`);
          const ok = await run('puttygen', [file, '-O', 'private-openssh', '-o', exported, '--old-passphrase', encrypted ? passFile : '/dev/null', '--new-passphrase', '/dev/null']);
          expect(ok.code, ok.stderr).toBe(0);
          const y = await run('ssh-keygen', ['-y', '-P', '', '-f', exported]);
          expect(y.stdout.trim().split(' ').slice(0, 2).join(' ')).toBe(ref.line.split(' ').slice(0, 2).join(' '));
          if (encrypted) {
            const wrong = join(dir, 'wrong');
            await writeFile(wrong, 'not it');
            const r = await run('puttygen', [file, '-O', 'private-openssh', '-o', join(dir, 'x'), '--old-passphrase', wrong, '--new-passphrase', '/dev/null']);
            expect(r.code).not.toBe(0);
          }
        });
      }
    }
  }
});

describe('keys KeyDock writes are accepted by OpenSSH', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd({ greeting: 'github' });
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
  });

  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    it(`keydock keygen --type ${type} with a passphrase: ssh-keygen -y derives the same public key`, async () => {
      const file = join(dir, `gen-${type}`);
      const r = await run('node', ['bin/keydock.cjs', 'keygen', '--type', type, '--file', file, '--comment', `${type}@kd`, '--passphrase-stdin', '--json'], { input: `${PASS}\n`, env: { ...process.env, HOME: dir }, timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { fingerprint: string; publicKey: string };
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const y = await run('ssh-keygen', ['-y', '-P', PASS, '-f', file]);
      expect(y.code, y.stderr).toBe(0);
      expect(y.stdout.trim().split(' ').slice(0, 2).join(' ')).toBe(out.publicKey.split(' ').slice(0, 2).join(' '));
      const wrong = await run('ssh-keygen', ['-y', '-P', 'wrong', '-f', file]);
      expect(wrong.code).not.toBe(0);
      const lf = await run('ssh-keygen', ['-lf', `${file}.pub`]);
      expect(lf.stdout.split(' ')[1]).toBe(out.fingerprint);
    }, 120_000);
  }

  it('a generated Ed25519 key logs in to a real sshd', async () => {
    const file = join(dir, 'login-ed25519');
    const r = await run('node', ['bin/keydock.cjs', 'keygen', '--file', file, '--no-passphrase'], { env: { ...process.env, HOME: dir } });
    expect(r.code, r.stderr).toBe(0);
    await sshd.addKey(`${file}.pub`, 'kduser');
    const ssh = await run('ssh', ['-F', sshd.sshConfigFile, '-i', file, '-o', 'IdentityAgent=none', 'sandbox']);
    expect(`${ssh.stdout}${ssh.stderr}`).toContain('Hi kduser!');
  }, 60_000);

  it('converted PEM and OpenSSH files are read by ssh-keygen -y', async () => {
    const src = join(__dirname, '../../fixtures/keys/files/ppk3-ecdsa256-enc.ppk');
    for (const to of ['pem', 'openssh']) {
      const outFile = join(dir, `conv.${to}`);
      const r = await run('node', ['bin/keydock.cjs', 'convert', src, '--to', to, '--out', outFile, '--passphrase-stdin', '--json'], { input: `${PASS}\n`, env: { ...process.env, HOME: dir } });
      expect(r.code, r.stderr).toBe(0);
      expect((await stat(outFile)).mode & 0o777).toBe(0o600);
      const y = await run('ssh-keygen', ['-y', '-P', PASS, '-f', outFile]);
      expect(y.code, y.stderr).toBe(0);
      expect(y.stdout.trim().split(' ')[1]).toBe((await referenceFingerprint(src, true)).line.split(' ')[1]);
    }
  }, 60_000);
});
