#!/usr/bin/env node
// Bundles the `keydock` CLI into out/cli/keydock.mjs. Starting from the bundle takes a fraction
// of what compiling the TypeScript through tsx on every run takes; bin/keydock.js uses the
// bundle only while no source under main/ or shared/ is newer than it.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const outdir = join(root, 'out/cli');
rmSync(outdir, { recursive: true, force: true });
await build({
  // The key-inspection worker is its own entry (out/cli/inspect-worker.mjs): main/keys/inspect.ts starts it by file.
  entryPoints: { keydock: join(root, 'main/cli/index.ts'), 'inspect-worker': join(root, 'main/keys/inspect-worker.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  // Commands import their services when they run; split chunks keep those imports lazy, so
  // `keydock list` never loads ssh2 and `keydock test` never loads the keychain or WebAssembly.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies load from node_modules as usual (native addons, wasm, CommonJS).
  packages: 'external',
  logLevel: 'warning',
});
