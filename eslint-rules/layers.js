// The layer order of main/, lowest first (docs/architecture.md draws it). A file may import its own
// layer and any layer listed before it; never one after it, and never a sibling of the same rank.
// Rank ties (connect and doctor; lifecycle and publish) are peers that stay out of each other's way.
export const LAYERS = [
  { name: 'util', rank: 0, dirs: ['util'] },
  { name: 'platform', rank: 1, dirs: ['platform'] },
  { name: 'config', rank: 2, dirs: ['config'] },
  { name: 'secrets', rank: 3, dirs: ['secrets'] },
  { name: 'keys', rank: 4, dirs: ['keys'] },
  { name: 'openssh', rank: 5, dirs: ['openssh'] },
  { name: 'agent', rank: 6, dirs: ['agent'] },
  { name: 'connect', rank: 7, dirs: ['connect'] },
  { name: 'doctor', rank: 7, dirs: ['doctor'] },
  { name: 'lifecycle', rank: 8, dirs: ['lifecycle'] },
  { name: 'publish', rank: 8, dirs: ['publish'] },
  { name: 'context', rank: 9, dirs: ['context'] },
  { name: 'ipc', rank: 10, dirs: ['ipc'] },
  { name: 'bridge', rank: 11, dirs: ['bridge'] },
  { name: 'cli', rank: 12, dirs: ['cli'] },
  { name: 'app', rank: 13, dirs: ['app'] },
];

/** The layer a repository-relative path (forward slashes) belongs to, or null outside main/. */
export function layerOf(relPath) {
  const m = /^main\/([^/.]+)/.exec(relPath);
  if (!m) return null;
  return LAYERS.find((l) => l.dirs.includes(m[1])) ?? { name: `unplaced:${m[1]}`, rank: -1, dirs: [m[1]] };
}

/** Why `from` may not import `to`, or null when the import goes down (or stays inside) the layers. */
export function layerViolation(fromRel, toRel) {
  const a = layerOf(fromRel);
  if (!a) return null;
  if (toRel.startsWith('shared/')) return null;
  // The version is read in one place; bundlers inline that one field.
  if (toRel === 'package.json') return fromRel === 'main/util/version.ts' ? null : 'only main/util/version.ts reads package.json';
  const b = layerOf(toRel);
  if (!b) return `main/ imports only main/ and shared/, not ${toRel}`;
  if (a.rank < 0) return `main/${a.dirs[0]} is in no layer: add it to eslint-rules/layers.js and docs/architecture.md`;
  if (b.rank < 0) return `main/${b.dirs[0]} is in no layer: add it to eslint-rules/layers.js and docs/architecture.md`;
  if (a.name === b.name) return null;
  if (b.rank < a.rank) return null;
  if (b.rank === a.rank) return `${a.name} and ${b.name} are peers in the layer order and may not import each other`;
  return `${a.name} sits below ${b.name} in the layer order (docs/architecture.md): a lower layer never imports a higher one`;
}
