import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addRememberedKey, listRememberedKeys, rememberedFile, removeRememberedKey } from '../../../main/secrets/remembered';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = join(REPO, 'test', 'integration', 'files', 'children', 'remember-many.ts');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-remembered-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts a writer process and resolves once it has loaded and waits for "go" on stdin. */
async function startWriter(configDir: string, prefix: string, count: number): Promise<{ child: ChildProcess; done: Promise<{ code: number | null; out: string }> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, configDir, prefix, String(count)], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`writer ${prefix} exited (${code}) before it was ready: ${err}`)));
  });
  const done = once(child, 'close').then(([code]) => ({ code: code as number | null, out: out + err }));
  await ready;
  return { child, done };
}

describe('the remembered-keys list', () => {
  it('two processes and this one adding 50 entries each at the same time lose none', async () => {
    const configDir = join(dir, 'keydock');
    const t0 = Date.now();
    const writers = await Promise.all([startWriter(configDir, 'cli', 50), startWriter(configDir, 'app', 50)]);
    const t1 = Date.now();
    for (const w of writers) w.child.stdin?.write('go\n');
    // The test process is a third writer, like the app's main process next to two CLI runs.
    for (let i = 0; i < 50; i++) await addRememberedKey(configDir, { fingerprint: `SHA256:here-${i}`, path: `/keys/here-${i}`, comment: '' });
    for (const w of writers) {
      const r = await w.done;
      expect(r.code, r.out).toBe(0);
    }
    if (process.env.KEYDOCK_TEST_VERBOSE) console.log(`writers started in ${t1 - t0} ms, wrote in ${Date.now() - t1} ms`);
    const keys = await listRememberedKeys(configDir);
    expect(keys).toHaveLength(150);
    expect(new Set(keys.map((k) => k.fingerprint)).size).toBe(150);
    for (const p of ['cli', 'app', 'here']) for (let i = 0; i < 50; i++) expect(keys.some((k) => k.fingerprint === `SHA256:${p}-${i}`)).toBe(true);
    expect((await stat(rememberedFile(configDir))).mode & 0o777).toBe(0o600);
    expect((await readdir(configDir)).sort()).toEqual(['remembered-keys.json']);
  }, 60_000);

  it('a missing file is an empty list; adding creates the folder 0700 and the file 0600; removing reports what it did', async () => {
    const configDir = join(dir, 'a', 'keydock');
    expect(await listRememberedKeys(configDir)).toEqual([]);
    await addRememberedKey(configDir, { fingerprint: 'SHA256:x', path: '/k/x', comment: 'x' });
    await addRememberedKey(configDir, { fingerprint: 'SHA256:x', path: '/k/x2', comment: 'x' });
    expect(await listRememberedKeys(configDir)).toEqual([{ fingerprint: 'SHA256:x', path: '/k/x2', comment: 'x' }]);
    expect((await stat(configDir)).mode & 0o777).toBe(0o700);
    expect(await removeRememberedKey(configDir, 'SHA256:nope')).toBe(false);
    expect(await removeRememberedKey(configDir, 'SHA256:x')).toBe(true);
    expect(await listRememberedKeys(configDir)).toEqual([]);
  });

  it('a damaged file is an error, never an empty list that the next save writes over', async () => {
    const configDir = join(dir, 'keydock');
    await mkdir(configDir);
    const damaged = '{"version": 1, "keys": [{"fingerprint": "SHA256:keep", "path": "/k/keep"';
    await writeFile(rememberedFile(configDir), damaged);
    await expect(listRememberedKeys(configDir)).rejects.toMatchObject({ code: 'remembered-corrupt', message: expect.stringContaining(rememberedFile(configDir)) });
    await expect(addRememberedKey(configDir, { fingerprint: 'SHA256:new', path: '/k/new', comment: '' })).rejects.toMatchObject({ code: 'remembered-corrupt' });
    await expect(removeRememberedKey(configDir, 'SHA256:keep')).rejects.toMatchObject({ code: 'remembered-corrupt' });
    expect(await readFile(rememberedFile(configDir), 'utf8')).toBe(damaged);
    // Valid JSON of the wrong shape is damaged too.
    await writeFile(rememberedFile(configDir), '{"version": 2, "keys": []}');
    await expect(listRememberedKeys(configDir)).rejects.toMatchObject({ code: 'remembered-corrupt' });
    // Only whitespace holds nothing to lose: an empty list.
    await writeFile(rememberedFile(configDir), '\n');
    expect(await listRememberedKeys(configDir)).toEqual([]);
  });

  it('an unreadable file (here: a folder in its place) is an error naming it', async () => {
    const configDir = join(dir, 'keydock');
    await mkdir(rememberedFile(configDir), { recursive: true });
    const e = await listRememberedKeys(configDir).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'remembered-unreadable', message: expect.stringContaining(rememberedFile(configDir)) });
    await expect(addRememberedKey(configDir, { fingerprint: 'SHA256:n', path: '/k/n', comment: '' })).rejects.toMatchObject({ code: 'remembered-unreadable' });
    expect((await stat(rememberedFile(configDir))).isDirectory()).toBe(true);
  });
});
