#!/usr/bin/env node
// Bundles the `keydock` CLI into out/cli/keydock.mjs. Starting from the bundle takes a fraction
// of what compiling the TypeScript through tsx on every run takes; bin/keydock.js uses the
// bundle only while no source under main/ or shared/ is newer than it.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const outdir = join(root, 'out/cli');
const BUNDLED = new Set(['zod', '@noble/ciphers', 'commander']);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const EXTERNAL = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.devDependencies })
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);
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
  // Dependencies load from node_modules as usual (native addons, wasm, CommonJS), except the
  // pure-ESM ones every start would otherwise resolve file by file (zod alone is ~100 files,
  // its locales included): bundled, they are tree-shaken into the chunks that use them.
  external: EXTERNAL,
  // commander is CommonJS: its bundled require('node:events') needs a require in each ES chunk.
  banner: { js: "import { createRequire as __keydockCreateRequire } from 'node:module'; const require = __keydockCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
