import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';

// Electronegativity (Doyensec's Electron security scanner) over the built app, through
// scripts/electronegativity.mjs (offline; why it wraps the tool is written there). The
// security review asks for zero HIGH findings; MEDIUM ones must have been reviewed there.
// `npm test` builds before vitest runs, as for dir-output.test.ts.

interface Finding {
  id: string;
  severity: 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH';
  file: string;
  line: number;
  sample: string;
  reviewed?: string;
}
interface Report {
  scanned: string[];
  findings: Finding[];
  failures: string[];
}

const built = existsSync('out/renderer/index.html') && existsSync('out/main/index.js') && existsSync('out/preload/index.cjs');
const work: string[] = [];

afterAll(async () => {
  for (const d of work) await rm(d, { recursive: true, force: true });
});

async function scan(build: string): Promise<{ code: number | null; output: string; report: Report }> {
  const dir = await mkdtemp(join(tmpdir(), 'keydock-eneg-report-'));
  work.push(dir);
  const reportFile = join(dir, 'report.json');
  const r = await run(process.execPath, ['scripts/electronegativity.mjs', '--build', build, '--report', reportFile], { timeoutMs: 120_000 });
  const output = r.stdout + r.stderr;
  expect(existsSync(reportFile), output).toBe(true);
  return { code: r.code, output, report: JSON.parse(await readFile(reportFile, 'utf8')) as Report };
}

describe.skipIf(!built)('Electronegativity over the built app; run `npm run build` first', () => {
  it.concurrent('reports no HIGH finding, no unreviewed MEDIUM one, and parses every file', { timeout: 150_000 }, async () => {
    const { code, output, report } = await scan('out');
    console.log(output);
    expect(report.scanned).toEqual(expect.arrayContaining(['main/index.js', 'preload/index.js', 'renderer/index.html', 'package.json']));
    expect(report.findings.filter((f) => f.severity === 'HIGH')).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(code, output).toBe(0);
  });

  // The scan only proves something if the tool still sees the window settings in our bundle
  // (a minifier, a tool upgrade or a different bundle shape could blind it): the same build
  // with isolation switched off must fail.
  it.concurrent('fails the build that turns contextIsolation off', { timeout: 150_000 }, async () => {
    const main = await readFile('out/main/index.js', 'utf8');
    expect(main.match(/contextIsolation: true/g)).toHaveLength(1);
    const broken = await mkdtemp(join(tmpdir(), 'keydock-eneg-broken-'));
    work.push(broken);
    await mkdir(join(broken, 'main'));
    await writeFile(join(broken, 'main', 'index.js'), main.replace('contextIsolation: true', 'contextIsolation: false'));
    const { code, report } = await scan(broken);
    expect(report.findings.filter((f) => f.severity === 'HIGH').map((f) => [f.id, f.sample])).toEqual([['CONTEXT_ISOLATION_JS_CHECK', 'contextIsolation: false,']]);
    expect(code).toBe(1);
  });
});
