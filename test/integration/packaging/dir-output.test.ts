import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';

// `electron-builder --dir` with the real config, checked at the asar level. No Electron build
// can be downloaded here, so a stand-in executable takes the place of Electron's binary
// (fuses, which need the real binary, are switched off for this run only); everything
// electron-builder decides about our files is the real thing.
const require = createRequire(import.meta.url);
const built = existsSync('out/renderer/index.html') && existsSync('out/main/index.js') && existsSync('out/preload/index.cjs');
const work: string[] = [];

afterAll(async () => {
  for (const d of work) await rm(d, { recursive: true, force: true });
});

describe.skipIf(!built)('packaged app (--dir); run `npm run build` first', () => {
  it('puts main, preload and renderer in app.asar, and no tests, sources or source maps', { timeout: 240_000 }, async () => {
    const { load, dump } = require('js-yaml') as { load(text: string): Record<string, unknown>; dump(v: unknown): string };
    const asar = require('@electron/asar') as { listPackage(p: string, o: { isPack: boolean }): string[] };

    const dist = await mkdtemp(join(tmpdir(), 'keydock-electron-dist-'));
    const output = await mkdtemp(join(tmpdir(), 'keydock-dir-'));
    work.push(dist, output);
    await copyFile('/bin/true', join(dist, 'electron'));
    await writeFile(join(dist, 'version'), '45.4.1');
    await mkdir(join(dist, 'resources'));
    for (const f of ['LICENSE', 'LICENSES.chromium.html']) await writeFile(join(dist, f), '');

    const config = load(await readFile('electron-builder.yml', 'utf8'));
    const configFile = join(output, 'electron-builder.test.yml');
    await writeFile(configFile, dump({ ...config, electronFuses: null, electronDist: dist, electronVersion: '45.4.1', directories: { output: join(output, 'dist'), buildResources: 'build' } }));
    const r = await run(process.execPath, [require.resolve('electron-builder/cli.js'), '--linux', 'dir', '--config', configFile], { timeoutMs: 200_000 });
    expect(r.code, r.stderr + r.stdout).toBe(0);

    const resources = join(output, 'dist', 'linux-unpacked', 'resources');
    const files = asar.listPackage(join(resources, 'app.asar'), { isPack: false }).map((f) => f.replaceAll('\\', '/'));
    const ours = files.filter((f) => !f.includes('/node_modules/'));
    expect(ours).toEqual(expect.arrayContaining(['/out/main/index.js', '/out/preload/index.cjs', '/out/renderer/index.html', '/package.json']));
    expect(ours.filter((f) => /\.map$|\.ts$|\.tsx$/.test(f))).toEqual([]);
    expect(ours.filter((f) => /^\/(test|main|renderer|shared|bench|scripts)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /\/node_modules\/(vitest|@playwright|electron-builder|typescript|eslint|tsx|esbuild|@esbuild)\//.test(f))).toEqual([]);
    // Only what the app runs: nothing from the checkout besides out/ (not the CLI bundle), and
    // koffi's binaries for this CPU only, without its C++ sources.
    expect(ours.filter((f) => /^\/(docs|\.tmp|out\/cli)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('/koffi.node')).sort()).toEqual(['darwin', 'linux', 'win32'].map((os) => `/node_modules/koffi/build/koffi/${os}_${process.arch}/koffi.node`));
    expect(files.filter((f) => /\/node_modules\/koffi\/(src|vendor|doc)\//.test(f))).toEqual([]);
    expect(existsSync(join(resources, 'tray.png'))).toBe(true);
  });
});
