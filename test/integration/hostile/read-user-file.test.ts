import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKnownHosts } from '../../../main/openssh/known-hosts';
import { resolveSshConfig } from '../../../main/openssh/ssh-config';
import { readKeyFile } from '../../../main/keys/load';
import { inspectKeyFile, inspectWorkersAvailable, looksLikePrivateKey } from '../../../main/keys/inspect';
import { readUserFile, readUserFileHead, readUserFileIfExists } from '../../../main/util/read-file';

// readUserFile looks before it reads: a FIFO (which blocks a reader until someone writes), a
// device (/dev/zero never ends) or a folder fails at once with a message saying what it is.

const posix = process.platform !== 'win32';
const FAST_MS = 3000;

async function failsFast(work: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  const start = performance.now();
  try {
    await work();
  } catch (e) {
    expect(performance.now() - start).toBeLessThan(FAST_MS);
    return e as { code?: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe.runIf(posix)('readUserFile refuses what is not a regular file', () => {
  let dir: string;
  let fifo: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keydock-read-'));
    fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // Inspection runs in a worker thread; start it now so its start-up is not timed below.
    await inspectWorkersAvailable();
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names a FIFO, a folder and a character device, with exit code 2', async () => {
    for (const [path, kind] of [
      [fifo, /is a FIFO \(named pipe\), not a file/],
      [dir, /is a folder, not a file/],
      ['/dev/zero', /is a character device, not a file/],
    ] as const) {
      const e = await failsFast(() => readUserFile(path, { maxBytes: 1024 }));
      expect(e).toMatchObject({ code: 'file-not-regular', exitCode: 2 });
      expect(e.message).toMatch(kind);
    }
  });

  it('follows a symlink to what it names', async () => {
    const link = join(dir, 'link-to-fifo');
    await symlink(fifo, link);
    expect((await failsFast(() => readUserFile(link, { maxBytes: 1024 }))).message).toMatch(/FIFO/);
    const real = join(dir, 'real');
    await writeFile(real, 'hello');
    const okLink = join(dir, 'link-to-real');
    await symlink(real, okLink);
    expect((await readUserFile(okLink, { maxBytes: 1024 })).toString()).toBe('hello');
  });

  it('reads /dev/null as empty (ssh -F /dev/null), a missing file as null only when asked', async () => {
    expect((await readUserFile('/dev/null', { maxBytes: 10 })).length).toBe(0);
    expect(await readUserFileIfExists(join(dir, 'missing'), { maxBytes: 10 })).toBeNull();
    await expect(readUserFile(join(dir, 'missing'), { maxBytes: 10 })).rejects.toMatchObject({ code: 'file-not-found' });
    await expect(readUserFileIfExists(fifo, { maxBytes: 10 })).rejects.toMatchObject({ code: 'file-not-regular' });
  });

  it('refuses a file over the limit without reading it, and reads one exactly at the limit', async () => {
    const f = join(dir, 'sized');
    await writeFile(f, Buffer.alloc(100, 1));
    expect((await readUserFile(f, { maxBytes: 100 })).length).toBe(100);
    await expect(readUserFile(f, { maxBytes: 99, what: 'key file' })).rejects.toMatchObject({ code: 'file-too-large', message: expect.stringMatching(/100 bytes, more than the 99 bytes KeyDock reads from a key file/) });
    expect((await readUserFileHead(f, 10)).length).toBe(10);
    await expect(readUserFileHead(fifo, 10)).rejects.toMatchObject({ code: 'file-not-regular' });
  });

  it('key files: the key reader, inspect and the ~/.ssh scan refuse a FIFO at once', async () => {
    expect(await failsFast(() => readKeyFile(fifo))).toMatchObject({ code: 'key-file-not-a-key', message: expect.stringMatching(/is a FIFO \(named pipe\), not a key file/) });
    expect(await failsFast(() => readKeyFile('/dev/zero'))).toMatchObject({ code: 'key-file-not-a-key', message: expect.stringMatching(/character device/) });
    expect(await failsFast(() => inspectKeyFile(fifo))).toMatchObject({ code: 'key-file-not-a-key' });
    expect(await looksLikePrivateKey(fifo)).toBe(false);
  });

  it('a FIFO named like the .pub beside a key is skipped, not waited on', async () => {
    const keyDir = join(dir, 'keys');
    await mkdir(keyDir);
    const key = join(keyDir, 'id_test');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'side', '-f', key]);
    await rm(`${key}.pub`);
    execFileSync('mkfifo', [`${key}.pub`, `${key}-cert.pub`]);
    const start = performance.now();
    const info = await inspectKeyFile(key);
    expect(performance.now() - start).toBeLessThan(FAST_MS);
    expect(info).toMatchObject({ type: 'ssh-ed25519', comment: 'side', certificate: null });
  });

  it('ssh_config: -F naming a FIFO is an error; an Include of one too; /dev/null is an empty config', async () => {
    const home = join(dir, 'home');
    await mkdir(join(home, '.ssh'), { recursive: true });
    const e = await failsFast(() => resolveSshConfig('example.com', { home, env: {}, configFile: fifo }));
    expect(e).toMatchObject({ code: 'ssh-config-unreadable', message: expect.stringMatching(/is a FIFO \(named pipe\), not an SSH config file/) });
    const withInclude = join(dir, 'with-include');
    await writeFile(withInclude, `Include ${fifo}\nHost *\n  User alice\n`);
    expect(await failsFast(() => resolveSshConfig('example.com', { home, env: {}, configFile: withInclude }))).toMatchObject({ code: 'ssh-config-unreadable' });
    const resolved = await resolveSshConfig('example.com', { home, env: {}, configFile: '/dev/null' });
    expect(resolved).toBeTruthy();
  });

  it('known_hosts: a FIFO in its place is an error, a missing file an empty one', async () => {
    expect(await failsFast(() => readKnownHosts(fifo))).toMatchObject({ code: 'known-hosts-unreadable', message: expect.stringMatching(/FIFO/) });
    expect(await readKnownHosts(join(dir, 'no-known-hosts'))).toMatchObject({ exists: false });
  });
});
