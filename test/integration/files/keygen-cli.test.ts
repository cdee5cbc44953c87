import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../main/cli/io';
import { runCli } from '../../../main/cli/program';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

let home: TmpHome;
beforeEach(async () => (home = await makeTmpHome('keydock-keygen-')));
afterEach(async () => home.cleanup());

async function keydock(argv: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.resume();
  const stdin = new PassThrough();
  stdin.end();
  const io: CliIo = { stdin, stdout: out, stderr: err, env: home.env };
  const code = await runCli(['--json', ...argv], io);
  return { code, json: JSON.parse(o) as Record<string, unknown> };
}

describe('keydock keygen writes key files safely', () => {
  it('--force keeps the old pair as NAME.keydock-old-<UTC time> and says so', async () => {
    const file = join(home.sshDir, 'id_a');
    const first = await keydock(['keygen', '--file', file, '--no-passphrase']);
    expect(first.code).toBe(0);
    const oldPriv = await readFile(file, 'utf8');
    const refused = await keydock(['keygen', '--file', file, '--no-passphrase']);
    expect(refused.code).toBe(2);
    expect(refused.json).toMatchObject({ ok: false, error: { code: 'key-file-exists' } });
    const forced = await keydock(['keygen', '--file', file, '--no-passphrase', '--force']);
    expect(forced.code).toBe(0);
    const previous = forced.json.previous as { privatePath: string; publicPath: string };
    expect(previous.privatePath).toMatch(/id_a\.keydock-old-\d{8}T\d{6}Z$/);
    expect(await readFile(previous.privatePath, 'utf8')).toBe(oldPriv);
    expect(await readFile(previous.publicPath, 'utf8')).toBe(`${first.json.publicKey as string}\n`);
    expect((await stat(previous.privatePath)).mode & 0o777).toBe(0o600);
  });

  it('--force still refuses a FIFO, a folder or a device as the key file', async () => {
    execFileSync('mkfifo', [join(home.sshDir, 'id_fifo')]);
    await mkdir(join(home.sshDir, 'id_dir'));
    await symlink('/dev/null', join(home.sshDir, 'id_null'));
    for (const name of ['id_fifo', 'id_dir', 'id_null']) {
      const r = await keydock(['keygen', '--file', join(home.sshDir, name), '--no-passphrase', '--force']);
      expect(r.code, name).toBe(2);
      expect(r.json, name).toMatchObject({ ok: false, error: { code: 'not-a-regular-file' } });
    }
    expect((await stat('/dev/null')).isCharacterDevice()).toBe(true);
    expect((await readdir(home.sshDir)).sort()).toEqual(['id_dir', 'id_fifo', 'id_null']);
  });

  it('a missing folder is an error naming it; --parents creates it (0700)', async () => {
    const file = join(home.dir, 'keys', 'deploy', 'id_deploy');
    const r = await keydock(['keygen', '--file', file, '--no-passphrase']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'folder-missing', message: expect.stringContaining(join(home.dir, 'keys', 'deploy')), hint: expect.stringContaining('--parents') } });
    const p = await keydock(['keygen', '--file', file, '--no-passphrase', '--parents']);
    expect(p.code).toBe(0);
    expect((await stat(join(home.dir, 'keys'))).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('a lone .pub without its private key does not block a new key', async () => {
    const file = join(home.sshDir, 'id_lone');
    await writeFile(`${file}.pub`, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl left-over\n');
    const r = await keydock(['keygen', '--file', file, '--no-passphrase']);
    expect(r.code).toBe(0);
    expect(await readFile(`${file}.pub`, 'utf8')).toBe(`${r.json.publicKey as string}\n`);
  });
});
