#!/usr/bin/env node
// Electronegativity (Doyensec's Electron security scanner) over the built app, offline.
//
//   node scripts/electronegativity.mjs [--build out] [--report report.json]
//
// Scans what electron-builder packages: out/main, out/preload, out/renderer and package.json
// (out/cli is not in the app). Prints every finding, writes them as JSON with --report, and
// exits 1 on any HIGH finding, any MEDIUM finding nobody has reviewed (REVIEWED below), or
// any file the tool could not parse. test/integration/packaging/electronegativity.test.ts
// runs it in `npm test`.
//
// Why a wrapper and not the `electronegativity` CLI: the 1.10.3 CLI requires `commander`
// without declaring it and gets our commander 14, whose API it does not speak ("version is
// not a function"); its documented programmatic API works. Its CSV writer races two async
// writes and its SARIF output drops the severity, so the report is written here from the
// API's result. Its only network uses are a translations download (stubbed: the bundled
// en-US strings are used) and AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK (excluded below).
import { cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** Checks not run (by class name, as `electronegativity -x` takes them), each with the reason. Everything else runs. */
export const EXCLUDED = {
  AvailableSecurityFixesGlobalCheck:
    'downloads the Electron release list at scan time (no network in CI, and the verdict would change by date); keeping Electron current is a dependency-update job',
  AuxclickJSCheck:
    "wants disableBlinkFeatures: 'Auxclick', a Blink flag Chromium no longer has (electron/electron#10315); since Electron 12 middle- and shift-clicks go through setWindowOpenHandler (electron/electron#28498), which hardenContents() in main/app/security.ts denies",
};

/**
 * The text a finding points at: its line, or for a minified bundle (one line of thousands of
 * characters) the 240 characters around its column, so a review accepts that one call and not
 * every finding on the line.
 */
function flaggedText(line, column) {
  const text = line.length > 1000 ? line.slice(Math.max(0, column - 120), column + 120) : line;
  return text.trim();
}

/**
 * Findings that were reviewed and accepted at one place in the code (matched by check and the
 * flagged line of the build): the check keeps running everywhere else, and a change to the
 * reviewed line asks for a new review. A HIGH finding cannot be accepted here.
 */
export const REVIEWED = [
  {
    id: 'DANGEROUS_FUNCTIONS_JS_CHECK',
    severity: 'MEDIUM',
    sample: /function \w+\(\w+\)\{var \w+,\w+=function\(\)\{clearTimeout\(\w+\),\w+&&cancelAnimationFrame\(\w+\),setTimeout\(\w+\)\},\w+=setTimeout\(\w+,35\)/,
    reason: "preact/hooks' afterPaint (the window's built runtime, preact/compat): setTimeout of its own callback function after the next frame, never of a string or of page content",
  },
  {
    id: 'PRELOAD_JS_CHECK',
    severity: 'MEDIUM',
    sample: /^preload: options\.preloadPath,?$/,
    reason: 'main/app/preload.ts exposes only invoke/on limited to the IPC contract and webUtils.getPathForFile; ipcRenderer never reaches the page',
  },
  {
    id: 'OPEN_EXTERNAL_JS_CHECK',
    severity: 'MEDIUM',
    sample: /^if \(allowed\) await shell\.openExternal\(allowed\);$/,
    reason:
      'openExternalSafely() in main/app/security.ts opens only what allowedExternalUrl() (main/app/external-pages.ts) returns: a parsed https URL without credentials whose host is on the list made from the publish endpoint table and the configured servers',
  },
  {
    id: 'PROTOCOL_HANDLER_JS_CHECK',
    severity: 'MEDIUM',
    sample: /^app\.setAsDefaultProtocolClient\("keydock"\);$/,
    reason: 'keydock:// links go through parseDeepLink() (main/app/deep-link.ts), which maps them to two fixed renderer routes or ignores them',
  },
  // LOW, so never failing, but reviewed all the same.
  {
    id: 'CSP_GLOBAL_CHECK',
    severity: 'LOW',
    description: /seems to be vulnerable/,
    sample: /^default-src 'none'; script-src 'self';/,
    reason: "the only finding in the policy is script-src 'self' (\"problematic if you host JSONP or user uploads\"): app://keydock serves only the bundled renderer",
  },
  {
    id: 'CSP_GLOBAL_CHECK',
    severity: 'LOW',
    description: /^Failed to parse CSP/,
    sample: /^$/,
    reason: 'the header CSP set in hardenSession() is a constant the tool cannot resolve; test/ui/csp.spec.ts checks it blocks an inline script',
  },
];

const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH'];

/** Copies the packaged parts of the build; .cjs/.mjs become .js, the only script names the tool reads. Lists what it will scan. */
function stage(build) {
  const dir = mkdtempSync(join(tmpdir(), 'keydock-electronegativity-'));
  for (const part of ['main', 'preload', 'renderer']) {
    if (existsSync(join(build, part))) cpSync(join(build, part), join(dir, part), { recursive: true, filter: (src) => !src.endsWith('.map') });
  }
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  const files = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    let file = join(entry.parentPath, entry.name);
    if (/\.[cm]js$/.test(file)) {
      const renamed = file.replace(/\.[cm]js$/, '.js');
      renameSync(file, renamed);
      file = renamed;
    }
    if (/\.(js|html|json)$/.test(file)) files.push(relative(dir, file));
  }
  return { dir, files: files.sort() };
}

/** Loads Electronegativity with its translations download answered "offline" (no network). */
function loadTool() {
  const toolDir = dirname(require.resolve('@doyensec/electronegativity/package.json'));
  const gotPath = createRequire(join(toolDir, 'package.json')).resolve('got');
  const offline = () => Promise.reject(new Error('offline: the bundled translations are used'));
  require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: offline };
  return { run: require(toolDir), version: require(join(toolDir, 'package.json')).version };
}

export async function scan(build) {
  const electronVersion = require('electron/package.json').version;
  const staged = stage(build);
  process.env.LANG = 'en-US';
  const { run, version } = loadTool();
  const log = console.log;
  console.log = () => undefined; // "Could not retrieve updated translations…"
  let result;
  try {
    result = await run({
      input: staged.dir,
      electronVersionOverride: electronVersion,
      excludeFromScan: Object.keys(EXCLUDED),
      isRelative: true,
    });
  } finally {
    console.log = log;
    rmSync(staged.dir, { recursive: true, force: true });
  }
  const findings = result.issues.map((i) => {
    const column = i.location?.column ?? 0;
    const finding = {
      id: i.id,
      severity: i.severity.name,
      confidence: i.confidence.name,
      file: i.file,
      line: i.location?.line ?? 0,
      column,
      sample: flaggedText(i.sample ?? '', column),
      description: i.description,
      manualReview: Boolean(i.manualReview),
      url: `https://github.com/doyensec/electronegativity/wiki/${i.id}`,
    };
    const reviewed = REVIEWED.find(
      (r) => r.id === finding.id && r.severity === finding.severity && r.sample.test(finding.sample) && (!r.description || r.description.test(finding.description)),
    );
    return reviewed ? { ...finding, reviewed: reviewed.reason } : finding;
  });
  findings.sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || a.id.localeCompare(b.id));
  const failures = [
    ...findings.filter((f) => f.severity === 'HIGH').map((f) => `HIGH ${f.id} at ${f.file}:${f.line}: ${f.description}`),
    ...findings.filter((f) => f.severity === 'MEDIUM' && !f.reviewed).map((f) => `unreviewed MEDIUM ${f.id} at ${f.file}:${f.line}: ${f.description} (fix it, or review it and add it to REVIEWED in scripts/electronegativity.mjs)`),
    ...result.errors.filter((e) => !e.tolerable).map((e) => `could not parse ${relative(staged.dir, e.file)}: ${e.message}`),
  ];
  return {
    tool: { name: '@doyensec/electronegativity', version },
    electronVersion,
    scanned: staged.files,
    checks: { global: result.globalChecks, atomic: result.atomicChecks },
    excluded: EXCLUDED,
    parseWarnings: result.errors.filter((e) => e.tolerable).map((e) => ({ file: relative(staged.dir, e.file), message: e.message })),
    findings,
    failures,
  };
}

export function format(report) {
  const lines = [
    `electronegativity ${report.tool.version}, Electron ${report.electronVersion}: ${report.checks.global + report.checks.atomic} checks over ${report.scanned.length} files (${report.scanned.join(', ')})`,
    `excluded: ${Object.keys(report.excluded).join(', ')}`,
    `findings: ${SEVERITIES.slice().reverse().map((s) => `${report.findings.filter((f) => f.severity === s).length} ${s}`).join(', ')}`,
  ];
  for (const f of report.findings) {
    lines.push(`  ${f.severity.padEnd(13)} ${f.confidence.padEnd(9)} ${f.id} ${f.file}:${f.line}:${f.column}  ${f.sample.slice(0, 100)}`);
    lines.push(`  ${''.padEnd(23)} ${f.description}${f.reviewed ? ` | reviewed: ${f.reviewed}` : ''}`);
  }
  for (const w of report.parseWarnings) lines.push(`  parse warning in ${w.file}: ${w.message}`);
  lines.push(report.failures.length ? `FAILED:\n${report.failures.map((f) => `  ${f}`).join('\n')}` : 'ok: no HIGH, no unreviewed MEDIUM, every file parsed');
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { build: { type: 'string' }, report: { type: 'string' } } });
  const build = values.build ? resolve(values.build) : join(root, 'out');
  if (!existsSync(join(build, 'main'))) {
    console.error(`electronegativity: no build in ${build}; run \`npm run build\` first`);
    process.exit(2);
  }
  const report = await scan(build);
  if (values.report) writeFileSync(values.report, JSON.stringify(report, null, 2));
  console.log(format(report));
  process.exit(report.failures.length ? 1 : 0);
}
