#!/usr/bin/env node
// `npm run screenshots`: rebuild, then run the UI specs that take screenshots with
// KEYDOCK_SCREENSHOT_DIR=docs/screenshots, so the README's pictures change only on purpose.
// A plain test run saves them under the git-ignored test-results/screenshots instead.
// Extra arguments go to Playwright, e.g. `npm run screenshots -- test/ui/tester.spec.ts`.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
const target = 'docs/screenshots';

// The specs that capture are the ones calling checkAndCapture() from test/ui/ui-helpers.ts.
// Forward slashes: Playwright reads these as patterns over the spec paths.
const uiDir = 'test/ui';
const capturing = readdirSync(join(root, uiDir))
  .filter((f) => f.endsWith('.spec.ts') && readFileSync(join(root, uiDir, f), 'utf8').includes('checkAndCapture('))
  .sort()
  .map((f) => `${uiDir}/${f}`);
const extra = process.argv.slice(2);
const specs = extra.some((a) => !a.startsWith('-')) ? extra : [...capturing, ...extra];
if (specs.length === 0) {
  console.error('screenshots: no UI spec calls checkAndCapture(); nothing to run.');
  process.exit(1);
}

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

console.log('screenshots: building the app…');
if (run(bin('electron-vite'), ['build']) !== 0) {
  console.error('screenshots: the build failed (see above).');
  process.exit(1);
}
console.log(`screenshots: running ${specs.join(', ')} into ${target}/`);
const status = run(bin('playwright'), ['test', '--project=ui', ...specs], { KEYDOCK_SCREENSHOT_DIR: target });
if (status !== 0) {
  console.error(`screenshots: Playwright failed (exit ${status}); ${target}/ may be partly refreshed.`);
  process.exit(status);
}
const changed = spawnSync('git', ['status', '--porcelain', '--', target], { cwd: root, encoding: 'utf8' });
if (changed.status === 0) console.log(changed.stdout.trim() ? `screenshots: changed files:\n${changed.stdout}` : 'screenshots: no picture changed.');
console.log(`screenshots: done; review and commit ${target}/ if the pictures are right.`);
