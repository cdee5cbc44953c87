import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprintSha256 } from '../../../main/keys/format';
import { loadPrivateKeyFile, openKeyData } from '../../../main/keys/load';
import { flipOpenSshByte } from '../../support/openssh-tamper';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// Keys that ssh-keygen -Z chacha20-poly1305@openssh.com writes, made fresh in each run.
const PASS = 'PASS phrase 1';
const CIPHER = 'chacha20-poly1305@openssh.com';
let home: TmpHome;

beforeAll(async () => {
  home = await makeTmpHome('kd-chacha-');
});
afterAll(async () => {
  await home.cleanup();
});

async function sshKeygen(name: string, type: 'ed25519' | 'ecdsa' | 'rsa'): Promise<string> {
  const file = join(home.sshDir, name);
  const r = await run('ssh-keygen', ['-q', '-t', type, '-Z', CIPHER, '-N', PASS, '-a', '4', '-C', `${name}@kd`, '-f', file], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return file;
}

/** What OpenSSH says the key's fingerprint is. */
async function referenceFingerprint(file: string): Promise<string> {
  const r = await run('ssh-keygen', ['-lf', `${file}.pub`, '-E', 'sha256']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split(' ')[1] as string;
}

describe('chacha20-poly1305@openssh.com keys from ssh-keygen', () => {
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    it(`${type}: loads with the fingerprint ssh-keygen gives; wrong passphrase and a changed byte are told apart`, async () => {
      const file = await sshKeygen(`id_${type}_chacha`, type);
      const text = await readFile(file, 'utf8');
      expect(openKeyData(Buffer.from(text), file).header).toMatchObject({ format: 'openssh', encrypted: true, cipher: CIPHER, kdf: 'bcrypt', kdfRounds: 4 });

      const key = await loadPrivateKeyFile(file, async () => PASS, { certificate: false });
      expect(fingerprintSha256(key.publicBlob)).toBe(await referenceFingerprint(file));
      expect(key.comment).toBe(`id_${type}_chacha@kd`);

      await expect(loadPrivateKeyFile(file, async () => 'not it')).rejects.toMatchObject({ code: 'key-wrong-passphrase' });

      // One bit flipped in the middle of the ciphertext: OpenSSH refuses it too (its tag check fails).
      const bad = join(home.dir, `bad-${type}`);
      await writeFile(bad, flipOpenSshByte(text, 40), { mode: 0o600 });
      expect((await run('ssh-keygen', ['-y', '-P', PASS, '-f', bad])).code).not.toBe(0);
      let asked = 0;
      const load = loadPrivateKeyFile(bad, async () => {
        asked++;
        return PASS;
      });
      await expect(load).rejects.toMatchObject({ code: 'key-corrupt' });
      expect(asked).toBe(1);
    }, 60_000);
  }
});

describe('keydock add with such a key', () => {
  let agent: RealAgent;
  beforeAll(async () => {
    agent = await startOpenSshAgent();
  });
  afterAll(async () => {
    await agent.stop();
  });

  it('puts it in a real ssh-agent, where ssh-add lists it and can sign with it', async () => {
    const file = await sshKeygen('id_add_chacha', 'ed25519');
    const env = { ...home.env, SSH_AUTH_SOCK: agent.socket };
    const r = await run(process.execPath, ['bin/keydock.cjs', '--json', 'add', '--passphrase-stdin', file], { env, input: `${PASS}\n`, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const fp = await referenceFingerprint(file);
    const list = await agent.sshAdd(['-l', '-E', 'sha256']);
    expect(list.stdout).toContain(`${fp} id_add_chacha@kd`);
    // ssh-add -T signs with the agent's copy and verifies against the .pub.
    const t = await agent.sshAdd(['-T', `${file}.pub`]);
    expect(t.code, t.stderr).toBe(0);
  }, 60_000);
});
