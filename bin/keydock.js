#!/usr/bin/env node
// `keydock`: runs the bundled CLI (out/cli/keydock.cjs, made by `npm install` / `npm run build`)
// when it is at least as new as every source file, else the TypeScript directly through tsx,
// so an edited checkout never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
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
  // The bundle is CommonJS (scripts/cli-bundle.mjs says why): required, not imported.
  createRequire(import.meta.url)(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../main/cli/index.ts');
}
