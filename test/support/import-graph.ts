import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

/** One import of a file under main/: where it points and whether only types cross it. */
export interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

const root = join(__dirname, '..', '..');
const rel = (p: string) => relative(root, p).split(sep).join('/');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []));
}

function resolveSpec(fromAbs: string, spec: string): string | null {
  const base = join(dirname(fromAbs), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) if (existsSync(c) && !c.endsWith(sep) && /\.(ts|tsx|json)$/.test(c)) return c;
  return null;
}

/** Every relative import (static, re-export, import()) of the files under `dir`, resolved to files. */
export function importGraph(dir = 'main'): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const abs of walk(join(root, dir))) {
    const sf = ts.createSourceFile(abs, readFileSync(abs, 'utf8'), ts.ScriptTarget.Latest, true);
    const add = (spec: ts.Expression | undefined, typeOnly: boolean) => {
      if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) return;
      const target = resolveSpec(abs, spec.text);
      if (target) edges.push({ from: rel(abs), to: rel(target), typeOnly });
    };
    const visit = (n: ts.Node) => {
      if (ts.isImportDeclaration(n)) {
        const c = n.importClause;
        // `import type {…}` or `import { type a, type b }` carries no value.
        const onlyTypes = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
        add(n.moduleSpecifier, onlyTypes);
      } else if (ts.isExportDeclaration(n)) {
        add(n.moduleSpecifier, n.isTypeOnly);
      } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
        add(n.arguments[0], false);
      } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
        add(n.argument.literal, true);
      }
      n.forEachChild(visit);
    };
    visit(sf);
  }
  return edges;
}

/** Strongly connected components with more than one member (Tarjan). */
export function cycles(nodes: Iterable<string>, edges: Array<[string, string]>): string[][] {
  const adj = new Map<string, string[]>();
  for (const n of nodes) adj.set(n, []);
  for (const [a, b] of edges) {
    if (!adj.has(a)) adj.set(a, []);
    if (!adj.has(b)) adj.set(b, []);
    adj.get(a)!.push(b);
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of adj.get(v)!) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of adj.keys()) if (!idx.has(v)) strong(v);
  return out;
}
