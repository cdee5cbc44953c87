import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The runtime borders and layer rules (docs/architecture.md §1–§2) are enforced by ESLint; these cases prove the rules bite.
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').length;
}

describe('import boundaries', () => {
  it.each([
    ['main/agent/x.ts', "import { app } from 'electron';\nexport const a = app;\n", 1],
    ['main/app/x.ts', "import { app } from 'electron';\nexport const a = app;\n", 0],
    ['renderer/x.ts', "import { readFile } from 'node:fs/promises';\nexport const r = readFile;\n", 1],
    ['renderer/x.ts', "import { readFile } from 'fs';\nexport const r = readFile;\n", 1],
    ['renderer/x.ts', "import { KeyDockError } from '../main/errors';\nexport const e = KeyDockError;\n", 1],
    ['renderer/x.ts', "import { contract } from '../shared/ipc-contract';\nexport const c = contract;\n", 0],
    ['shared/x.ts', "import { z } from 'zod';\nexport const s = z.string();\n", 0],
    ['shared/x.ts', "import { readFile } from 'node:fs';\nexport const r = readFile;\n", 1],
    ['shared/x.ts', "import React from 'react';\nexport const r = React;\n", 1],
    ['shared/x.ts', "import { KeyDockError } from '../main/errors';\nexport const e = KeyDockError;\n", 1],
  ])('%s: %s → %i violation(s)', async (file, code, expected) => {
    expect(await restrictedImports(file, code)).toBe(expected);
  });
});
