#!/usr/bin/env node
// Bundles the `keydock` CLI into out/cli/keydock.mjs. Starting from the bundle takes a fraction
// of what compiling the TypeScript through tsx on every run takes; bin/keydock.js uses the
// bundle only while no source under main/ or shared/ is newer than it.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(root, 'main/cli/index.ts')],
  outfile: join(root, 'out/cli/keydock.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies load from node_modules as usual (native addons, wasm, CommonJS).
  packages: 'external',
  logLevel: 'warning',
});
