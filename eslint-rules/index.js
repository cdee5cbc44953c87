// KeyDock's local ESLint rules, in the manner of VS Code's .eslint-plugin-local: the architecture
// written down once and checked on every import.
import { dirname, relative, resolve, sep } from 'node:path';
import { layerViolation } from './layers.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const rel = (p) => relative(root, p).split(sep).join('/');

/** One-way-down imports inside main/ (static imports, re-exports and import() alike). */
const layering = {
  meta: { type: 'problem', docs: { description: 'Imports inside main/ only go down the layer order' }, schema: [] },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const from = rel(file);
    if (!from.startsWith('main/')) return {};
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const to = rel(resolve(dirname(file), source.value));
      const why = layerViolation(from, to);
      if (why) context.report({ node: source, message: `Import of '${source.value}' breaks the layers: ${why}.` });
    };
    return {
      ImportDeclaration: (n) => check(n, n.source),
      ExportNamedDeclaration: (n) => check(n, n.source),
      ExportAllDeclaration: (n) => check(n, n.source),
      ImportExpression: (n) => check(n, n.source),
    };
  },
};

export default { meta: { name: 'keydock-local' }, rules: { layering } };
