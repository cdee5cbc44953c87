import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { KEYDOCK_BIN, keygen, scratch, startServe, writeAskpass, type ServeProcess } from './serve-process';

// Encrypted until first use (Pageant parity): PuTTY's own `pageant -a --encrypted` hands a PPK to
// KeyDock's agent still encrypted; the first signature asks $SSH_ASKPASS for the passphrase, the
// next ones do not; `pageant -r` forgets the decrypted key and the next use asks again.
const PASSPHRASE = 'correct horse battery staple';
let home: TmpHome;
let sc: Awaited<ReturnType<typeof scratch>>;
let sshd: Sshd;
let serve: ServeProcess;
let ppk: string;
let pub: string;
let askpass: Awaited<ReturnType<typeof writeAskpass>>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  home = await makeTmpHome('kd-enc-');
  sc = await scratch();
  sshd = await startSshd({ greeting: 'gitlab' });
  ppk = join(sc.dir, 'putty.ppk');
  pub = join(sc.dir, 'putty.pub');
  const passFile = join(sc.dir, 'pass');
  await writeFile(passFile, PASSPHRASE + '\n');
  const gen = await run('puttygen', ['-t', 'ed25519', '-C', 'putty-key', '--new-passphrase', passFile, '-o', ppk]);
  expect(gen.code, gen.stderr).toBe(0);
  const exp = await run('puttygen', [ppk, '-L', '-o', pub]);
  expect(exp.code, exp.stderr).toBe(0);
  await sshd.addKey(pub, 'putty-user');
  askpass = await writeAskpass(sc.dir);
  await askpass.answer(PASSPHRASE);
  serve = await startServe(['-d'], { ...home.env, SSH_ASKPASS: askpass.path, SSH_ASKPASS_REQUIRE: 'force' });
  env = { ...home.env, SSH_AUTH_SOCK: serve.socket };
}, 180_000);

afterAll(async () => {
  await serve?.stop();
  await sshd?.stop();
  await sc?.cleanup();
  await home?.cleanup();
});

function ssh() {
  return run(
    'ssh',
    ['-F', '/dev/null', '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-p', String(sshd.port), `${sshd.user}@127.0.0.1`, 'true'],
    { env },
  );
}

async function passphrasePrompts(): Promise<number> {
  const log = await readFile(join(sc.dir, 'askpass.log'), 'utf8').catch(() => '');
  return log.split('\n').filter((l) => l.includes('Enter passphrase to decrypt key putty-key')).length;
}

describe('keys encrypted until first use', () => {
  it('takes an encrypted PPK from pageant -a --encrypted and lists its public half without asking', async () => {
    const add = await run('pageant', ['-a', '--encrypted', ppk], { env });
    expect(add.code, add.stderr + add.stdout).toBe(0);
    const list = await run('ssh-add', ['-L'], { env });
    expect(list.stdout).toContain((await readFile(pub, 'utf8')).split(' ')[1]);
    const pl = await run('pageant', ['-l'], { env });
    expect(pl.code, pl.stderr).toBe(0);
    expect(pl.stdout).toMatch(/putty-key/);
    expect(pl.stdout).toMatch(/encrypted/i);
    expect(await passphrasePrompts()).toBe(0);
  }, 60_000);

  it('asks once on first use, signs, and not again for the second login', async () => {
    const first = await ssh();
    expect(first.stdout + first.stderr).toContain('Welcome to GitLab, @putty-user!');
    const second = await ssh();
    expect(second.stdout + second.stderr).toContain('Welcome to GitLab, @putty-user!');
    expect(await passphrasePrompts()).toBe(1);
  }, 60_000);

  it('pageant -r re-encrypts: the next use asks again; a refused prompt fails only that login', async () => {
    const r = await run('pageant', ['-r', pub], { env });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    await askpass.answer('deny');
    const refused = await ssh();
    expect(refused.code).not.toBe(0);
    expect(await passphrasePrompts()).toBe(2);
    await askpass.answer(PASSPHRASE);
    const again = await ssh();
    expect(again.stdout + again.stderr).toContain('Welcome to GitLab, @putty-user!');
    expect(await passphrasePrompts()).toBe(3);
    const all = await run('pageant', ['-R'], { env });
    expect(all.code, all.stderr + all.stdout).toBe(0);
  }, 90_000);

  it('keydock add --encrypted keeps an encrypted OpenSSH key encrypted until first use', async () => {
    const key = await keygen(sc.dir, 'osh', 'ed25519');
    const pw = await run('ssh-keygen', ['-p', '-P', '', '-N', PASSPHRASE, '-f', key]);
    expect(pw.code, pw.stderr).toBe(0);
    const add = await run(process.execPath, [KEYDOCK_BIN, 'add', '--encrypted', key], { env });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('encrypted until first use');
    const sig = await run('ssh-keygen', ['-Y', 'sign', '-n', 'file', '-f', `${key}.pub`], { env, input: 'hello' });
    expect(sig.code, sig.stderr).toBe(0);
    const log = await readFile(join(sc.dir, 'askpass.log'), 'utf8');
    const fp = /(SHA256:\S+)/.exec((await run('ssh-keygen', ['-l', '-f', `${key}.pub`])).stdout)?.[1] as string;
    // The comment of an OpenSSH key file is inside its encrypted part: the prompt names the fingerprint.
    expect(log).toContain(`Enter passphrase to decrypt key ${fp} for its first use:`);
  }, 60_000);
});
