#!/usr/bin/env node
// `npm test`: typecheck, lint, unit + integration (vitest), build, UI + e2e (Playwright),
// then one closing line "N passed, N failed, N skipped" over everything that ran.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const tmp = join(root, '.tmp');
mkdirSync(tmp, { recursive: true });

const failures = [];
function step(name, cmd, args, env = {}) {
  const t0 = Date.now();
  console.log(`\n=== ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  console.log(`=== ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  if (!ok) failures.push(name);
  return ok;
}

const only = process.argv.slice(2);
const want = (s) => only.length === 0 || only.includes(s);

if (want('typecheck')) {
  step('typecheck (main, shared, tests)', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']);
  step('typecheck (renderer)', bin('tsc'), ['-p', 'tsconfig.web.json', '--noEmit']);
  step('typecheck (browser tests)', bin('tsc'), ['-p', 'tsconfig.playwright.json', '--noEmit']);
}
if (want('lint')) step('lint', bin('eslint'), ['.']);
// The build comes first: the packaging test and the UI tests use its output.
const built = want('vitest') || want('ui') ? step('build', 'npm', ['run', '--silent', 'build']) : false;
const vitestJson = join(tmp, 'vitest.json');
if (want('vitest')) step('unit + integration (vitest)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
const pwJson = join(tmp, 'playwright.json');
if (want('ui') && built) {
  // The UI tests save their screenshots under the git-ignored test-results/; only
  // `npm run screenshots` may write docs/screenshots. Compare the folder before and after (names,
  // sizes, times and contents), so this holds in a git checkout or not, dirty tree or clean.
  const guarded = !process.env.KEYDOCK_SCREENSHOT_DIR;
  const before = guarded ? folderState(join(root, 'docs', 'screenshots')) : '';
  step('UI + e2e (Playwright)', bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson });
  if (!guarded) {
    console.log('\n=== docs/screenshots check skipped: KEYDOCK_SCREENSHOT_DIR is set');
  } else if (folderState(join(root, 'docs', 'screenshots')) !== before) {
    console.log('\n=== docs/screenshots: FAILED, the tests wrote to it (use `npm run screenshots` to refresh it on purpose)');
    failures.push('docs/screenshots untouched by the tests');
  } else {
    console.log('\n=== docs/screenshots: untouched by the tests');
  }
}

/** One string that changes when any file under dir is added, removed or rewritten. */
function folderState(dir) {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((name) => {
      const file = join(dir, name);
      const st = statSync(file);
      if (!st.isFile()) return name;
      return `${name} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
    })
    .join('\n');
}

let passed = 0;
let failed = 0;
let skipped = 0;
if (want('vitest') && existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += v.numPassedTests ?? 0;
  failed += v.numFailedTests ?? 0;
  skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
}
if (want('ui') && existsSync(pwJson)) {
  const p = JSON.parse(readFileSync(pwJson, 'utf8'));
  passed += (p.stats?.expected ?? 0) + (p.stats?.flaky ?? 0);
  failed += p.stats?.unexpected ?? 0;
  skipped += p.stats?.skipped ?? 0;
}
if (failures.length) console.log(`\nfailed steps: ${failures.join(', ')}`);
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failures.length || failed ? 1 : 0);
