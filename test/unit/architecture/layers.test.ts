import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { LAYERS, layerOf, layerViolation } from '../../../eslint-rules/layers.js';
import { cycles, importGraph } from '../../support/import-graph';

// The layer order of main/ (docs/architecture.md) is enforced twice: by ESLint on every import as it
// is written, and here over the whole import graph as it stands.
const eslint = new ESLint({ cwd: process.cwd() });

async function layeringErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'local/layering').map((m) => m.message);
}

describe('the ESLint layering rule', () => {
  it.each([
    ['a lower layer importing a higher one', 'main/keys/x.ts', 1, "import { AgentClient } from '../agent/client';\nexport const a = AgentClient;\n"],
    ['a type-only import upwards', 'main/secrets/x.ts', 1, "import type { PrivateKey } from '../keys/types';\nexport type P = PrivateKey;\n"],
    ['a dynamic import upwards', 'main/agent/x.ts', 1, "export const m = () => import('../connect/tester');\n"],
    ['a re-export upwards', 'main/openssh/x.ts', 1, "export { AgentManager } from '../agent/manager';\n"],
    ['peers importing each other', 'main/doctor/x.ts', 1, "import { runConnectionTest } from '../connect/tester';\nexport const r = runConnectionTest;\n"],
    ['publish importing its peer lifecycle', 'main/publish/x.ts', 1, "export const m = () => import('../lifecycle/x');\n"],
    ['anything below the context importing it', 'main/connect/x.ts', 1, "import type { AppContext } from '../context';\nexport type C = AppContext;\n"],
    ['package.json outside util/version.ts', 'main/cli/x.ts', 1, "import { version } from '../../package.json';\nexport const v = version;\n"],
    ['a folder no layer names', 'main/extras/x.ts', 1, "import { KeyDockError } from '../util/errors';\nexport const e = KeyDockError;\n"],
    ['going down', 'main/agent/x.ts', 0, "import { fingerprintSha256 } from '../keys/format';\nexport const f = fingerprintSha256;\n"],
    ['staying inside a folder', 'main/keys/x.ts', 0, "import { fingerprintSha256 } from './format';\nexport const f = fingerprintSha256;\n"],
    ['the contract in shared/', 'main/util/x.ts', 0, "import type { AppError } from '../../shared/result';\nexport type E = AppError;\n"],
    ['the top importing the context', 'main/ipc/x.ts', 0, "import type { AppContext } from '../context';\nexport type C = AppContext;\n"],
  ])('%s: %s → %i error(s)', async (_what, file, expected, code) => {
    expect(await layeringErrors(file, code)).toHaveLength(expected);
  });

  it('places every folder of main/ in a layer', () => {
    const folders = new Set(importGraph().flatMap((e) => [e.from, e.to]).filter((p) => p.startsWith('main/')).map((p) => layerOf(p)!.name));
    expect([...folders].filter((f) => f.startsWith('unplaced:'))).toEqual([]);
    expect(LAYERS.map((l) => l.name)).toEqual(['util', 'platform', 'config', 'secrets', 'keys', 'openssh', 'agent', 'connect', 'doctor', 'lifecycle', 'publish', 'context', 'ipc', 'bridge', 'cli', 'app']);
  });
});

describe('the import graph of main/', () => {
  const edges = importGraph();

  it('finds cycles when there are some (the checks below can fail)', () => {
    expect(cycles(['a', 'b', 'c', 'd'], [['a', 'b'], ['b', 'c'], ['c', 'a'], ['c', 'd']])).toEqual([['a', 'b', 'c']]);
    expect(cycles(['a', 'b'], [['a', 'b']])).toEqual([]);
    expect(edges.length).toBeGreaterThan(200);
  });

  it('has no import that runs against the layer order', () => {
    const bad = edges.map((e) => ({ ...e, why: layerViolation(e.from, e.to) })).filter((e) => e.why);
    expect(bad).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const layerEdges = edges.map((e): [string, string] => [layerOf(e.from)!.name, layerOf(e.to)?.name ?? e.to]).filter(([a, b]) => a !== b);
    expect(cycles(LAYERS.map((l) => l.name), layerEdges)).toEqual([]);
  });

  it('has no cycle of files that pass values, and type-only cycles only inside one layer', () => {
    const files = edges.flatMap((e) => [e.from, e.to]);
    const valueCycles = cycles(files, edges.filter((e) => !e.typeOnly).map((e) => [e.from, e.to]));
    expect(valueCycles).toEqual([]);
    const folderOf = (f: string) => layerOf(f)?.name ?? f;
    const crossFolder = cycles(files, edges.map((e) => [e.from, e.to])).filter((c) => new Set(c.map(folderOf)).size > 1);
    expect(crossFolder).toEqual([]);
  });
});
