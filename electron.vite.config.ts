import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

/**
 * The built page runs on Preact's React-compatible runtime (preact/compat) instead of React and
 * react-dom: a third of the JavaScript to parse and run before the keys show (bench/ui.ts,
 * docs/architecture.md §6.3). The code is written, typed and linted against React's API; `npm run
 * dev` keeps React (its fast refresh needs it), and the UI tests drive the built page.
 */
function preactInBuild(): Plugin {
  return {
    name: 'keydock:preact-in-build',
    apply: 'build',
    config: () => ({
      resolve: {
        alias: [
          { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
          { find: /^react-dom$/, replacement: 'preact/compat' },
          { find: /^react\/jsx-(dev-)?runtime$/, replacement: 'preact/compat/jsx-runtime' },
          { find: /^react$/, replacement: 'preact/compat' },
        ],
      },
    }),
  };
}

// One config for the three Electron bundles. The renderer bundle is also what the
// loopback bridge serves in the browser, so it must never rely on Node or Electron.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        // The key-inspection worker is its own entry (out/main/inspect-worker.js): main/keys/inspect.ts starts it by file.
        input: { index: resolve('main/app/index.ts'), 'inspect-worker': resolve('main/keys/inspect-worker.ts') },
        onwarn(warning, warn) {
          // Services import some modules lazily so the `keydock` CLI starts fast; the app's main
          // process loads them all at start anyway, so "ineffective" is expected here.
          if (warning.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
          warn(warning);
        },
      },
      externalizeDeps: true,
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('main/app/preload.ts') },
        // Sandboxed preloads must be CommonJS and self-contained.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
      externalizeDeps: false,
    },
  },
  renderer: {
    root: resolve('renderer'),
    base: './',
    plugins: [react(), preactInBuild()],
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir: resolve('out/renderer'),
      emptyOutDir: true,
      sourcemap: false,
      // A small, fast page: minified, with React's production build.
      minify: true,
      // No inline scripts or styles: the CSP forbids them.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
