import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsStore } from '../../../main/config/settings-store';
import { KeyDockError } from '../../../main/util/errors';

// A real full disk: a 64 KiB tmpfs filled to the brim. Mounting needs root (CI runs as root).
const isRoot = process.getuid?.() === 0;
let dir = '';
let mounted = false;

beforeAll(async () => {
  if (!isRoot) return;
  dir = await mkdtemp(join(tmpdir(), 'keydock-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]);
  mounted = true;
});

afterAll(async () => {
  if (mounted) execFileSync('umount', [dir]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('saving settings on a full disk (needs root to mount a tmpfs)', () => {
  it('fails with disk-full, keeps the old file and leaves no temp file behind', async () => {
    const file = join(dir, 'settings.json');
    const store = new SettingsStore(file);
    await store.update({ theme: 'light', defaultLifetimeMinutes: 5 });
    const before = await readFile(file, 'utf8');
    // Fill what is left of the disk.
    await writeFile(join(dir, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined);
    const err = await store.update({ theme: 'dark' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyDockError);
    expect((err as KeyDockError).code).toBe('disk-full');
    expect((err as KeyDockError).hint).toMatch(/Free some disk space/);
    expect(await readFile(file, 'utf8')).toBe(before);
    // Neither a temp file (.settings.json.<pid>-<random>.keydock-tmp) nor the lock is left behind.
    expect((await readdir(dir)).filter((f) => f.endsWith('.keydock-tmp') || f.endsWith('.lock'))).toEqual([]);
    expect((await store.get()).theme).toBe('light');
  });
});
