import { mkdir, mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockPathFor, withFileLock } from '../../../main/util/file-lock';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withFileLock', () => {
  it('locks a file that does not exist yet, beside it, and removes the lock afterwards', async () => {
    const file = join(dir, 'remembered-keys.json');
    const seen = await withFileLock(file, async () => (await stat(lockPathFor(file))).isDirectory());
    expect(seen).toBe(true);
    expect(lockPathFor(file)).toBe(`${file}.lock`);
    await expect(stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('runs holders of the same lock one after another, never overlapping', async () => {
    const file = join(dir, 'settings.json');
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        withFileLock(file, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await sleep(30);
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3]);
  });

  it('releases the lock when the function throws', async () => {
    const file = join(dir, 'config');
    await expect(
      withFileLock(file, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await withFileLock(file, async () => 42)).toBe(42);
  });

  it('takes over a lock left by a killed process once it is stale (older than 10 s)', async () => {
    const file = join(dir, 'known_hosts');
    await mkdir(`${file}.lock`);
    const past = new Date(Date.now() - 20_000);
    await utimes(`${file}.lock`, past, past);
    const started = Date.now();
    expect(await withFileLock(file, async () => 'mine')).toBe('mine');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a missing folder is an error naming it, unless createParents', async () => {
    const file = join(dir, 'nope', 'settings.json');
    await expect(withFileLock(file, async () => 1)).rejects.toMatchObject({ code: 'folder-missing', message: expect.stringContaining(join(dir, 'nope')) });
    expect(await withFileLock(file, async () => 2, { createParents: true })).toBe(2);
    expect((await stat(join(dir, 'nope'))).mode & 0o777).toBe(0o700);
  });
});
