// The corpus: every key type, file format, KDF and cipher ssh-keygen and PuTTYgen write, with odd
// whitespace and line endings, generated here in a temporary folder. For each file,
// `keydock fingerprint` (in-process) must print what `ssh-keygen -lf` (or `puttygen -l`, for what
// ssh-keygen cannot read) prints for the key; encrypted files are also opened with the passphrase.
// Base keys are shared across cases and Argon2 runs with small memory so the whole run stays short.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../main/cli/program';
import type { CliIo } from '../../../main/cli/io';
import { fingerprintSha256 } from '../../../main/keys/format';
import { decryptKeyFile } from '../../../main/keys/load';
import { publicBlob } from '../../../main/keys/material';
import { run } from '../../support/processes';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

const PASS = 'corpus pass';
let dir: string;
let passFile: string;
let home: TmpHome;

interface Case {
  name: string;
  file: string;
  /** The key's fingerprint as the reference tool prints it. */
  fingerprint: string;
  encrypted: boolean;
  /** `keydock fingerprint` cannot know the key without its passphrase (PEM, PKCS#8 encrypted). */
  needsPassphrase?: boolean;
  /** Public-only file (no decryption step). */
  isPublic?: boolean;
  /** KeyDock refuses this format on purpose (SSH.com private keys): the error code expected. */
  refused?: string;
}
const cases: Case[] = [];
const skipped: string[] = [];

async function tool(cmd: string, args: string[], allowFail = false): Promise<boolean> {
  const r = await run(cmd, args, { timeoutMs: 120_000 });
  if (r.code !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.code === 0;
}
async function sshKeygenFp(file: string): Promise<string> {
  const r = await run('ssh-keygen', ['-lf', file]);
  if (r.code !== 0) throw new Error(`ssh-keygen -lf ${file}: ${r.stderr}`);
  return r.stdout.split(' ')[1] as string;
}
async function puttygenFp(file: string): Promise<string> {
  const r = await run('puttygen', ['-l', file]);
  if (r.code !== 0) throw new Error(`puttygen -l ${file}: ${r.stderr}`);
  return r.stdout.trim().split(' ')[2] as string;
}

async function fingerprintCli(file: string): Promise<{ code: number; json: { ok: boolean; fingerprint?: string; error?: { code: string } } }> {
  const stdout = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = '';
  stdout.on('data', (c) => (out += String(c)));
  const io: CliIo = { stdin, stdout, stderr: new PassThrough(), env: { ...home.env, SSH_AUTH_SOCK: '' } };
  const code = await runCli(['fingerprint', file, '--json'], io);
  return { code, json: JSON.parse(out) as { ok: boolean; fingerprint?: string } };
}

type Variant = [suffix: string, transform: (text: string) => string];
const WHITESPACE: Variant[] = [
  ['crlf', (t) => t.replace(/\n/g, '\r\n')],
  ['trailing-spaces', (t) => t.replace(/\n/g, '  \n')],
  ['no-final-newline', (t) => t.replace(/\n+$/, '')],
  ['bom', (t) => `\uFEFF${t}`],
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-corpus-'));
  home = await makeTmpHome('keydock-corpus-');
  passFile = join(dir, 'pass');
  await writeFile(passFile, PASS);
  const add = (c: Case) => cases.push(c);

  // ---- ssh-keygen: base keys (unencrypted OpenSSH) and their formats ----
  const sshTypes: [string, string[]][] = [
    ['rsa2048', ['-t', 'rsa', '-b', '2048']],
    ['rsa3072', ['-t', 'rsa', '-b', '3072']],
    ['rsa4096', ['-t', 'rsa', '-b', '4096']],
    ['ecdsa256', ['-t', 'ecdsa', '-b', '256']],
    ['ecdsa384', ['-t', 'ecdsa', '-b', '384']],
    ['ecdsa521', ['-t', 'ecdsa', '-b', '521']],
    ['ed25519', ['-t', 'ed25519']],
    ['dsa', ['-t', 'dsa']],
  ];
  const bases: { name: string; file: string; fp: string; pem: boolean }[] = [];
  await Promise.all(
    sshTypes.map(async ([name, args]) => {
      const file = join(dir, `${name}-openssh`);
      if (!(await tool('ssh-keygen', ['-q', ...args, '-N', '', '-C', name, '-f', file], true))) {
        skipped.push(`ssh-keygen ${args.join(' ')}`);
        return;
      }
      const fp = await sshKeygenFp(`${file}.pub`);
      bases.push({ name, file, fp, pem: name !== 'ed25519' });
    }),
  );
  for (const b of bases) {
    add({ name: `${b.name} openssh`, file: b.file, fingerprint: b.fp, encrypted: false });
    add({ name: `${b.name} .pub`, file: `${b.file}.pub`, fingerprint: b.fp, encrypted: false, isPublic: true });
    // ssh-keygen -e (RFC 4716 public) and -i back to a .pub line.
    const rfc = join(dir, `${b.name}.rfc4716.pub`);
    const e = await run('ssh-keygen', ['-e', '-f', `${b.file}.pub`]);
    if (e.code === 0) {
      await writeFile(rfc, e.stdout);
      add({ name: `${b.name} ssh-keygen -e (RFC 4716)`, file: rfc, fingerprint: b.fp, encrypted: false, isPublic: true });
      const i = await run('ssh-keygen', ['-i', '-f', rfc]);
      if (i.code === 0) {
        await writeFile(join(dir, `${b.name}.imported.pub`), i.stdout);
        add({ name: `${b.name} ssh-keygen -i`, file: join(dir, `${b.name}.imported.pub`), fingerprint: b.fp, encrypted: false, isPublic: true });
      }
    } else skipped.push(`ssh-keygen -e ${b.name}`);
    // -m PEM / PKCS8, plain and encrypted (ssh-keygen -p rewrites in place).
    const formats = b.pem ? ['PEM', 'PKCS8'] : [];
    for (const m of formats) {
      for (const enc of [false, true]) {
        const f = join(dir, `${b.name}-${m}${enc ? '-enc' : ''}`);
        await copyFile(b.file, f);
        if (!(await tool('ssh-keygen', ['-q', '-p', '-m', m, '-P', '', '-N', enc ? PASS : '', '-f', f], true))) {
          skipped.push(`ssh-keygen -m ${m} ${b.name}`);
          continue;
        }
        add({ name: `${b.name} -m ${m}${enc ? ' encrypted' : ''}`, file: f, fingerprint: b.fp, encrypted: enc, needsPassphrase: enc });
      }
    }
  }
  // Ciphers and bcrypt rounds on one key type (the KDF is the same for every type).
  const ed = bases.find((b) => b.name === 'ed25519')!;
  for (const [cipher, rounds] of [['aes256-ctr', 16], ['aes256-gcm@openssh.com', 8], ['chacha20-poly1305@openssh.com', 4], ['aes128-cbc', 2]] as const) {
    const f = join(dir, `ed25519-${cipher.replace(/\W+/g, '-')}`);
    await copyFile(ed.file, f);
    await tool('ssh-keygen', ['-q', '-p', '-Z', cipher, '-a', String(rounds), '-P', '', '-N', PASS, '-f', f]);
    add({ name: `ed25519 -Z ${cipher} -a ${rounds}`, file: f, fingerprint: ed.fp, encrypted: true });
  }
  const rsaEnc = join(dir, 'rsa2048-openssh-enc');
  await copyFile(bases.find((b) => b.name === 'rsa2048')!.file, rsaEnc);
  await tool('ssh-keygen', ['-q', '-p', '-a', '4', '-P', '', '-N', PASS, '-f', rsaEnc]);
  add({ name: 'rsa2048 openssh encrypted', file: rsaEnc, fingerprint: bases.find((b) => b.name === 'rsa2048')!.fp, encrypted: true });

  // ---- puttygen: every base key as PPK, and every export ----
  const ed448 = join(dir, 'ed448.ppk');
  await tool('puttygen', ['-t', 'ed448', '-q', '-C', 'ed448', '-o', ed448, '--new-passphrase', '/dev/null']);
  const ppkBases: { name: string; ppk: string; fp: string; sshKeygenReads: boolean }[] = [{ name: 'ed448', ppk: ed448, fp: await puttygenFp(ed448), sshKeygenReads: false }];
  for (const b of bases) {
    const ppk = join(dir, `${b.name}.ppk`);
    if (await tool('puttygen', [b.file, '-o', ppk, '--new-passphrase', '/dev/null'], true)) ppkBases.push({ name: b.name, ppk, fp: b.fp, sshKeygenReads: true });
    else skipped.push(`puttygen import ${b.name}`);
  }
  const ppkParams: [string, string][] = [
    ['v3 argon2id', 'kdf=argon2id,memory=1024,passes=1'],
    ['v3 argon2i', 'kdf=argon2i,memory=1024,passes=2,parallelism=2'],
    ['v3 argon2d', 'kdf=argon2d,memory=2048,passes=1'],
    ['v2', 'version=2'],
  ];
  for (const p of ppkBases) {
    add({ name: `${p.name} ppk v3`, file: p.ppk, fingerprint: p.fp, encrypted: false });
    const v2 = join(dir, `${p.name}-v2.ppk`);
    await tool('puttygen', [p.ppk, '-o', v2, '-C', p.name, '--ppk-param', 'version=2', '--new-passphrase', '/dev/null']);
    add({ name: `${p.name} ppk v2`, file: v2, fingerprint: p.fp, encrypted: false });
    // Encrypted PPKs: every KDF on two key types, v2 on all.
    const params = ['ed25519', 'ecdsa384', 'ed448'].includes(p.name) ? ppkParams : ppkParams.slice(3);
    for (const [label, param] of params) {
      const f = join(dir, `${p.name}-${label.replace(/\W+/g, '-')}-enc.ppk`);
      await tool('puttygen', [p.ppk, '-P', '-o', f, '--ppk-param', param, '--new-passphrase', passFile]);
      add({ name: `${p.name} ppk ${label} encrypted`, file: f, fingerprint: p.fp, encrypted: true });
    }
    for (const out of ['private-openssh', 'private-openssh-new', 'private-sshcom', 'public', 'public-openssh']) {
      const f = join(dir, `${p.name}-putty-${out}`);
      if (!(await tool('puttygen', [p.ppk, '-O', out, '-o', f], true))) {
        skipped.push(`puttygen ${p.name} -O ${out}`);
        continue;
      }
      const isPublic = out.startsWith('public');
      if (out === 'private-sshcom') add({ name: `${p.name} puttygen -O ${out}`, file: f, fingerprint: p.fp, encrypted: false, refused: 'key-unsupported' });
      else add({ name: `${p.name} puttygen -O ${out}`, file: f, fingerprint: p.fp, encrypted: false, isPublic });
      // What the reference says about the export, where it can read it, must be the same key.
      if (p.sshKeygenReads && out !== 'private-sshcom' && out !== 'public') expect(await sshKeygenFp(f)).toBe(p.fp);
    }
    // An encrypted OpenSSH export (puttygen --old-passphrase / --new-passphrase files).
    const encSrc = join(dir, `${p.name}-v2-enc.ppk`);
    const encOut = join(dir, `${p.name}-putty-openssh-new-enc`);
    if (await tool('puttygen', [encSrc, '--old-passphrase', passFile, '-O', 'private-openssh-new', '-o', encOut, '--new-passphrase', passFile], true)) {
      add({ name: `${p.name} puttygen -O private-openssh-new encrypted`, file: encOut, fingerprint: p.fp, encrypted: true });
    } else skipped.push(`puttygen ${p.name} encrypted openssh-new`);
  }

  // ---- odd whitespace and line endings on each armour ----
  const wsSources = cases.filter((c) => ['ed25519 openssh', 'ecdsa256 -m PEM', 'rsa2048 -m PKCS8', 'ecdsa384 ppk v3', 'ed25519 ppk v3 argon2id encrypted', 'ed25519 -Z aes256-ctr -a 16', 'ed25519 ssh-keygen -e (RFC 4716)', 'rsa2048 -m PEM encrypted'].includes(c.name));
  for (const c of wsSources) {
    const text = await readFile(c.file, 'utf8');
    for (const [suffix, transform] of WHITESPACE) {
      const f = `${c.file}-${suffix}`;
      await writeFile(f, transform(text), { mode: 0o600 });
      add({ ...c, name: `${c.name} (${suffix})`, file: f });
    }
  }
}, 600_000);

afterAll(async () => {
  await home?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('corpus of real ssh-keygen and puttygen files', () => {
  it('has every type, format, KDF and cipher', () => {
    process.stderr.write(`corpus: ${cases.length} files (${cases.filter((c) => c.encrypted).length} encrypted); skipped: ${skipped.join(', ') || 'none'}\n`);
    expect(cases.length).toBeGreaterThan(150);
    // Only what the tools themselves cannot write is skipped (e.g. puttygen has no SSH.com export for EdDSA).
    expect(skipped.filter((s) => !/sshcom|-e dsa|ssh-keygen -t dsa/.test(s))).toEqual([]);
  });

  it('keydock fingerprint agrees with ssh-keygen -lf / puttygen -l on every file', async () => {
    const wrong: string[] = [];
    for (const c of cases) {
      if (c.needsPassphrase) continue;
      const r = await fingerprintCli(c.file);
      if (c.refused) {
        if (r.code !== 1 || r.json.error?.code !== c.refused) wrong.push(`${c.name}: expected refusal ${c.refused}, got ${JSON.stringify(r.json)}`);
      } else if (r.code !== 0 || r.json.fingerprint !== c.fingerprint) wrong.push(`${c.name}: ${JSON.stringify(r.json)} (want ${c.fingerprint})`);
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it('every private file opens (encrypted ones with the passphrase) to the same key', async () => {
    const wrong: string[] = [];
    for (const c of cases) {
      if (c.isPublic || c.refused) continue;
      try {
        const { parsed } = await decryptKeyFile(await readFile(c.file), c.file, async () => PASS);
        const fp = fingerprintSha256(publicBlob(parsed.material));
        if (fp !== c.fingerprint) wrong.push(`${c.name}: ${fp} (want ${c.fingerprint})`);
      } catch (e) {
        wrong.push(`${c.name}: ${(e as Error).message}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);
});
