// How the `keydock` CLI is bundled: the one set of esbuild options, used by scripts/build-cli.mjs
// (out/cli/, what bin/keydock.js starts) and by the tests that start the CLI as a process from a
// bundle of their own (docs/architecture.md §3).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// Dependencies load from node_modules as usual (native addons, wasm, CommonJS), except the
// pure-ESM ones every start would otherwise resolve file by file (zod alone is ~100 files, its
// locales included): bundled, they are tree-shaken into the chunks that use them.
const BUNDLED = new Set(['zod', '@noble/ciphers', 'commander']);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const EXTERNAL = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.devDependencies })
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

/**
 * zod re-exports every locale (`export * as locales`), which no tree-shaking can drop: ~500 KB of
 * messages in 40 languages that KeyDock never shows. Only English, the one zod sets itself, is kept.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (args.importer.includes(`${sep}node_modules${sep}zod${sep}`) ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: 'export { default as en } from "./en.js";\n', resolveDir: dirname(args.path), loader: 'js' }));
  },
};

/** The esbuild options of a CLI bundle in OUTDIR; EXTRA adds entries (name → source file) beside keydock and the inspection worker. */
export function cliBuildOptions(outdir, extra = {}) {
  return {
    // The key-inspection worker is its own entry (inspect-worker.mjs): main/keys/inspect.ts starts it by file.
    entryPoints: { keydock: join(ROOT, 'main/cli/index.ts'), 'inspect-worker': join(ROOT, 'main/keys/inspect-worker.ts'), ...extra },
    outdir,
    outExtension: { '.js': '.mjs' },
    // The entry holds the fast path's argument reader (main/cli/fast.ts); commands import their
    // services when they run, and split chunks keep those imports lazy, so `keydock list` loads
    // neither commander nor zod, and `keydock test` never the keychain or WebAssembly.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    plugins: [zodEnglishOnly],
    // commander is CommonJS: its bundled require('node:events') needs a require in each ES chunk.
    banner: { js: "import { createRequire as __keydockCreateRequire } from 'node:module'; const require = __keydockCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  };
}

/**
 * Bundles the CLI into OUTDIR (inside the repository, so the external packages resolve from
 * node_modules); resolves to the path of its keydock.mjs.
 */
export async function buildCli(outdir, extra = {}, overrides = {}) {
  await build({ ...cliBuildOptions(outdir, extra), ...overrides });
  return join(outdir, 'keydock.mjs');
}
