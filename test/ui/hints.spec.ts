import { expect, test } from '@playwright/test';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ERROR_HINTS, FINDING_FIXES, TERMINAL_COMMAND, windowFix, windowHint } from '../../renderer/lib/window-hints';

// No message in the window tells the user to type a command: every string the renderer can
// show, and every error code or finding main can send to it, mapped to the window's words.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function filesUnder(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, ext));
    else if (ext.test(name)) out.push(p);
  }
  return out;
}

/** Every string literal, template part and JSX text in a file. */
function textsOf(file: string): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return;
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) out.push(n.text);
    else if (ts.isJsxText(n) && n.text.trim()) out.push(n.text.trim());
    n.forEachChild(visit);
  };
  visit(src);
  return out;
}

// Strings the window never shows as they are: the pattern itself, and api.ts's connection
// errors, which reach the screen only through windowHint() (checked below by code).
const NOT_SHOWN_AS_IS = new Set(['renderer/lib/window-hints.ts', 'renderer/api.ts']);

test('no renderer string names a terminal command or a flag', () => {
  const offenders: string[] = [];
  for (const file of filesUnder(join(ROOT, 'renderer'), /\.tsx?$/)) {
    const rel = relative(ROOT, file).replaceAll('\\', '/');
    if (NOT_SHOWN_AS_IS.has(rel)) continue;
    for (const text of textsOf(file)) if (TERMINAL_COMMAND.test(text)) offenders.push(`${rel}: ${text}`);
  }
  expect(offenders).toEqual([]);
});

test('the pattern catches the commands main writes for the terminal', () => {
  for (const bad of ['pass --force', 'ssh-keygen -p -f FILE', 'eval "$(ssh-agent)"', 'keydock serve', 'or pass --agent PATH', 'run `keydock list`', 'chmod 600 ~/.ssh/id_ed25519', 'ssh-add ~/.ssh/id_ed25519']) {
    expect(TERMINAL_COMMAND.test(bad), bad).toBe(true);
  }
  for (const fine of ['Load the key from the Keys list.', 'git clone git@github.com:OWNER/REPO.git', 'Start KeyDock\'s agent']) expect(TERMINAL_COMMAND.test(fine), fine).toBe(false);
});

/** [code, the source text of the error] for every KeyDockError main can send to the window (the CLI's own are left out). */
function mainErrors(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  // PublishErrorCode.name → its code string.
  const publishCodes = new Map([...readFileSync(join(ROOT, 'main/publish/http.ts'), 'utf8').matchAll(/^\s+(\w+): '(publish-[a-z-]+)',$/gm)].map((m) => [m[1]!, m[2]!]));
  for (const file of filesUnder(join(ROOT, 'main'), /\.ts$/)) {
    const rel = relative(ROOT, file).replaceAll('\\', '/');
    if (rel.startsWith('main/cli/') || rel.startsWith('main/app/')) continue;
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/KeyDockError\(\s*(?:'([a-z0-9-]+)'|e\.code|PublishErrorCode\.(\w+))/g)) {
      const call = src.slice(m.index, m.index + 700);
      // The call's own text: up to the options object or the end of the statement.
      // Template literals' own backticks are code, not quoted commands.
      const text = (call.split(/\{\s*exitCode|\);\n/)[0] ?? call).replaceAll('`', "'");
      out.push([m[1] ?? (m[2] ? (publishCodes.get(m[2]) ?? `publish-${m[2]}`) : 'key-passphrase-needed'), text]);
    }
  }
  return out;
}

test('every error main can send whose hint names a command has the window\'s own words', () => {
  const errors = mainErrors();
  expect(errors.length).toBeGreaterThan(50);
  const missing: string[] = [];
  for (const [code, text] of errors) {
    // The message is the first argument after the code; only hints can name commands, but be strict: any part.
    if (!TERMINAL_COMMAND.test(text.replace(/^KeyDockError\(\s*\S+/, ''))) continue;
    if (!ERROR_HINTS[code]) missing.push(`${code}: ${text.slice(0, 200)}`);
  }
  // Whatever main's text, what the window shows for a code never names a command.
  for (const [code, text] of errors) expect(windowHint({ code, hint: text }), code).not.toMatch(TERMINAL_COMMAND);
  expect(missing).toEqual([]);
});

test('every finding and diagnosis whose fix names a command has the window\'s own words', () => {
  const missing: string[] = [];
  for (const rel of ['main/keys/health.ts', 'main/doctor/checks.ts', 'main/connect/diagnose.ts']) {
    const src = readFileSync(join(ROOT, rel), 'utf8');
    for (const m of src.matchAll(/(?:code|id): ['`]([a-z0-9-]+)[:'`][\s\S]{0,500}?fix: (`[^`]*`|'(?:[^'\\]|\\.)*'|"[^"]*"|[^,\n]+)/g)) {
      const [, code, source] = m as unknown as [string, string, string];
      // Template literals' own backticks are code, not quoted commands.
      const fix = source.replaceAll('`', "'");
      expect(windowFix(code, fix), `${rel} ${code}`).not.toMatch(TERMINAL_COMMAND);
      if (TERMINAL_COMMAND.test(fix) && !FINDING_FIXES[code]) missing.push(`${rel} ${code}: ${fix}`);
    }
  }
  expect(missing).toEqual([]);
});

test('the window\'s connection errors read as window actions', () => {
  for (const code of ['ui-no-token', 'ui-connection-lost', 'agent-unreachable']) expect(windowHint({ code, hint: 'run `keydock ui` --x' })).not.toMatch(TERMINAL_COMMAND);
});
