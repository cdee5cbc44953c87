import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectKeyFile, inspectKeyFileHere, inspectWorkersAvailable, listKeyFiles } from '../../../main/keys/inspect';
import { KeyDockError } from '../../../main/util/errors';
import { hugeDsaKeyFile } from '../../integration/hostile/hostile-files';

// Inspection without a passphrase runs in worker threads (main/keys/inspect-worker.ts), so a
// key-list refresh never parses keys on the thread that serves the window and the agent. From
// source (this test) the worker loads the TypeScript through tsx; the bundled CLI and the app
// start their own built entry (checked in test/integration/hostile/cli.test.ts and by hand).

const fixtures = join(__dirname, '../../fixtures/keys/files');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keydock-inspect-worker-'));
  for (const name of ['openssh-ed25519', 'openssh-ed25519.pub', 'openssh-rsa3072', 'openssh-rsa3072-cert.pub', 'openssh-ed25519-enc', 'ppk3-dsa1024.ppk', 'pkcs8-rsa2048']) {
    cpSync(join(fixtures, name), join(dir, name));
    chmodSync(join(dir, name), 0o600);
  }
  writeFileSync(join(dir, 'id_hostile'), hugeDsaKeyFile(100 * 1024), { mode: 0o600 });
  if (process.platform !== 'win32') execFileSync('mkfifo', [join(dir, 'id_fifo')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('key inspection in worker threads', () => {
  it('starts a worker here (from source, through tsx)', async () => {
    expect(await inspectWorkersAvailable()).toBe(true);
  }, 60_000);

  it('gives what inspection on this thread gives, and asks the keychain here', async () => {
    for (const name of ['openssh-ed25519', 'openssh-rsa3072', 'openssh-ed25519-enc', 'ppk3-dsa1024.ppk', 'pkcs8-rsa2048']) {
      const asked: string[] = [];
      const remembered = async (fp: string) => {
        asked.push(fp);
        return true;
      };
      const viaWorker = await inspectKeyFile(join(dir, name), { isRemembered: remembered });
      const here = await inspectKeyFileHere(join(dir, name), { isRemembered: remembered });
      expect(viaWorker).toEqual(here);
      expect(asked.length).toBe(viaWorker.fingerprint ? 2 : 0);
    }
    expect((await inspectKeyFile(join(dir, 'openssh-rsa3072'))).certificate).not.toBeNull();
  }, 60_000);

  it('errors come back as KeyDockErrors with their code, hint and exit code', async () => {
    const e = await inspectKeyFile(join(dir, 'id_hostile')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KeyDockError);
    expect(e).toMatchObject({ code: 'key-unsupported', message: expect.stringMatching(/prime p is \d+ bits/), exitCode: 1 });
    expect((e as KeyDockError).hint).not.toBe('');
    if (process.platform !== 'win32') {
      await expect(inspectKeyFile(join(dir, 'id_fifo'))).rejects.toMatchObject({ code: 'key-file-not-a-key', exitCode: 2, message: expect.stringMatching(/FIFO/) });
    }
  }, 60_000);

  it('keeps an answer until the key, its .pub or its mode changes; asks the keychain every time', async () => {
    const path = join(dir, 'cached', 'id_cached');
    mkdirSync(join(dir, 'cached'));
    cpSync(join(fixtures, 'openssh-ed25519'), path);
    chmodSync(path, 0o600);
    let asked = 0;
    const remembered = async () => (++asked, asked % 2 === 0);
    const first = await inspectKeyFile(path, { isRemembered: remembered });
    const again = await inspectKeyFile(path, { isRemembered: remembered });
    expect(asked).toBe(2);
    expect([first.remembered, again.remembered]).toEqual([false, true]);
    expect({ ...again, remembered: false }).toEqual(first);
    if (process.platform !== 'win32') {
      chmodSync(path, 0o644);
      expect((await inspectKeyFile(path)).findings.map((f) => f.code)).toContain('file-permissions');
      chmodSync(path, 0o600);
      expect((await inspectKeyFile(path)).findings.map((f) => f.code)).not.toContain('file-permissions');
    }
    // Same size, new content: another key written over it (a new inode, as KeyDock's writes make).
    rmSync(path);
    cpSync(join(fixtures, 'pkcs8-rsa2048'), path);
    chmodSync(path, 0o600);
    const other = await inspectKeyFile(path);
    expect(other.type).toBe('ssh-rsa');
    expect(other.fingerprint).not.toBe(first.fingerprint);
    // A .pub appearing beside a key whose comment only the .pub knows changes the answer too.
    writeFileSync(`${path}.pub`, `${other.publicKey.split(' ').slice(0, 2).join(' ')} from-the-pub\n`);
    expect((await inspectKeyFile(path)).comment).toBe('from-the-pub');
  }, 60_000);

  it('lists a folder through the pool in file order, hostile files as findings', async () => {
    const list = await listKeyFiles(dir);
    expect(list.map((k) => k.path.slice(dir.length + 1))).toEqual(['id_hostile', 'openssh-ed25519', 'openssh-ed25519-enc', 'openssh-rsa3072', 'pkcs8-rsa2048', 'ppk3-dsa1024.ppk']);
    expect(list[0]).toMatchObject({ type: 'unknown', findings: [{ code: 'key-unsupported' }] });
    expect(list[1]).toMatchObject({ type: 'ssh-ed25519', fingerprint: expect.stringMatching(/^SHA256:/) });
  }, 60_000);
});
