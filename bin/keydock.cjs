#!/usr/bin/env node
// `keydock`: runs the bundled CLI (out/cli/keydock.cjs, made by `npm install` / `npm run build`)
// when it is at least as new as every source file, else the TypeScript directly through tsx,
// so an edited checkout never runs stale code. CommonJS, like the bundle: a launcher that is an
// ES module would start Node's ES module loader before every command (docs/architecture.md §4.1).
'use strict';
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundle = join(root, 'out', 'cli', 'keydock.cjs');

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

// A walk of its own: Node 20's readdirSync(…, { recursive: true }) takes several times as long,
// and this runs before every command.
function newestSource(dir = null) {
  let newest = 0;
  for (const top of dir === null ? ['main', 'shared'].map((d) => join(root, d)) : [dir]) {
    for (const entry of readdirSync(top, { withFileTypes: true })) {
      if (entry.isDirectory()) newest = Math.max(newest, newestSource(join(top, entry.name)));
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, mtime(join(top, entry.name)));
    }
  }
  return newest;
}

if (mtime(bundle) >= newestSource()) {
  require(bundle);
} else {
  import('tsx/esm/api')
    .then(({ register }) => {
      register();
      return import('../main/cli/index.ts');
    })
    .catch((e) => {
      process.stderr.write(`keydock: could not start from the TypeScript sources (${e instanceof Error ? e.message : String(e)}); run npm install.\n`);
      process.exitCode = 1;
    });
}
