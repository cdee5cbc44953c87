// How the `keydock` CLI is bundled: the one set of rolldown options, used by scripts/build-cli.mjs
// (out/cli/, what bin/keydock.cjs starts) and by the tests that start the CLI as a process from a
// bundle of their own (docs/architecture.md §3).
//
// CommonJS chunks, not ES modules: Node 20 loads a CommonJS file several times faster than an ES
// module (no asynchronous resolve/link per file, no ESM loader to start), and a read-only command
// loads 15–25 chunks. rolldown is the bundler that splits CommonJS output into lazily required
// chunks (esbuild splits ES modules only), so `keydock list` still loads neither commander nor zod.
import { rolldown } from 'rolldown';
import { readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The file a CLI bundle starts from, in its output folder. */
export const CLI_ENTRY = 'keydock.cjs';

// Dependencies load from node_modules as usual (native addons, wasm), except the pure-ESM ones
// every start would otherwise resolve file by file (zod alone is ~100 files, its locales
// included): bundled, they are tree-shaken into the chunks that use them.
const BUNDLED = new Set(['zod', '@noble/ciphers', 'commander']);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const EXTERNAL = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.devDependencies }).filter((name) => !BUNDLED.has(name));
const isExternal = (id) => id.startsWith('node:') || EXTERNAL.some((name) => id === name || id.startsWith(`${name}/`));

/**
 * zod re-exports every locale (`export * as locales`), which no tree-shaking can drop: ~500 KB of
 * messages in 40 languages that KeyDock never shows. Only English, the one zod sets itself, is kept.
 */
const ZOD_LOCALES = '\0zod-locales:';
const zodEnglishOnly = {
  name: 'zod-english-only',
  resolveId(source, importer) {
    if (source === '../locales/index.js' && importer?.includes(`${sep}node_modules${sep}zod${sep}`)) return ZOD_LOCALES + join(dirname(importer), '..', 'locales');
    return null;
  },
  load(id) {
    if (!id.startsWith(ZOD_LOCALES)) return null;
    return `export { default as en } from ${JSON.stringify(join(id.slice(ZOD_LOCALES.length), 'en.js'))};\n`;
  },
};

const ENTRY = join(ROOT, 'main/cli/index.ts');
const READ_ONLY = join(ROOT, 'main/cli/commands/read-only.ts');
/** What a read-only command imports only in rare cases (a key file without a public half): a chunk of its own. */
const RARELY_NEEDED = [join(ROOT, 'main/keys/inspect.ts')];

/**
 * Two chunks by hand, the rest as rolldown splits it:
 * - **cli**: what the entry (main/cli/index.ts) imports: the fast path's reader, the output
 *   helpers, the Runtime. In a chunk of its own, not in keydock.cjs: a chunk that needs one of
 *   them then requires that chunk, never keydock.cjs, whose code runs the CLI (a test's child
 *   entry bundled beside it would start the CLI).
 * - **read-only**: `list`, `agents`, `which` and `fingerprint` (main/cli/commands/read-only.ts)
 *   import their services when they run; split per module, that is ~25 files to find and load
 *   before `which` answers. Their modules are one chunk instead: read-only.ts, what it imports
 *   (but the rarely needed), and everything those import, less what is in **cli**.
 * Both sets are read from the module graph once it is built (buildEnd), so they follow the code.
 */
function handMadeChunks() {
  const cli = new Set();
  const readOnly = new Set();
  const plugin = {
    name: 'cli-chunks',
    buildEnd() {
      const closure = (roots) => {
        const seen = new Set();
        const stack = [...roots];
        while (stack.length) {
          const id = stack.pop();
          if (seen.has(id)) continue;
          seen.add(id);
          stack.push(...(this.getModuleInfo(id)?.importedIds ?? []));
        }
        return [...seen].filter((id) => !id.startsWith('\0'));
      };
      for (const id of closure([ENTRY])) if (id !== ENTRY) cli.add(id);
      const info = this.getModuleInfo(READ_ONLY);
      if (!info) return;
      const roots = [READ_ONLY, ...info.importedIds, ...info.dynamicallyImportedIds.filter((id) => !RARELY_NEEDED.includes(id))];
      for (const id of closure(roots)) if (!cli.has(id) && id !== ENTRY) readOnly.add(id);
    },
  };
  const group = (name, members) => ({ name, test: (id) => members.has(id), includeDependenciesRecursively: false });
  return { plugin, groups: [group('cli', cli), group('read-only', readOnly)] };
}

/**
 * The rolldown options of a CLI bundle in OUTDIR ({ input, output }); EXTRA adds entries (name →
 * source file) beside keydock and the inspection worker.
 */
export function cliOptions(outdir, extra = {}) {
  const chunks = handMadeChunks();
  return {
    input: {
      // The key-inspection worker is its own entry (inspect-worker.cjs): main/keys/inspect.ts starts it by file.
      input: { keydock: ENTRY, 'inspect-worker': join(ROOT, 'main/keys/inspect-worker.ts'), ...extra },
      platform: 'node',
      external: isExternal,
      plugins: [zodEnglishOnly, chunks.plugin],
      logLevel: 'warn',
      // A module imported both statically and dynamically stays where the static import puts it: expected here.
      checks: { ineffectiveDynamicImport: false },
      // What a group may leave out of a chunk (includeDependenciesRecursively: false) needs this;
      // nothing imports the entries' exports.
      preserveEntrySignatures: 'allow-extension',
    },
    output: {
      dir: outdir,
      format: 'cjs',
      entryFileNames: '[name].cjs',
      chunkFileNames: 'chunks/[name]-[hash].cjs',
      // `await import('hash-wasm')` becomes a require: every dependency KeyDock leaves external is
      // CommonJS, and a require never starts Node's ES module loader.
      dynamicImportInCjs: false,
      codeSplitting: { groups: chunks.groups },
    },
  };
}

/** Builds the CLI's module graph for OUTDIR and hands it to USE (generate or write), closing it after. */
async function withCliBundle(outdir, extra, use) {
  const { input, output } = cliOptions(outdir, extra);
  const bundle = await rolldown(input);
  try {
    return await use(bundle, output);
  } finally {
    await bundle.close();
  }
}

/**
 * The chunks of a CLI bundle without writing them (rolldown's OutputChunk list: fileName, name,
 * moduleIds, imports, dynamicImports, facadeModuleId), for tests that check what loads when.
 */
export async function cliChunks(extra = {}) {
  const { output } = await withCliBundle(join(ROOT, 'out', 'cli'), extra, (bundle, options) => bundle.generate(options));
  return output.filter((o) => o.type === 'chunk');
}

/**
 * Bundles the CLI into OUTDIR (inside the repository, so the external packages resolve from
 * node_modules); resolves to the path of its keydock.cjs.
 */
export async function buildCli(outdir, extra = {}) {
  await withCliBundle(outdir, extra, (bundle, options) => bundle.write(options));
  return join(outdir, CLI_ENTRY);
}
