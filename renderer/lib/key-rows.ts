import type { HealthFinding, KeyFileInfo } from '../../shared/contract/keys';
import type { Identity } from '../../shared/models';
import { baseName, keyTypeLabel } from './format';
import { compareNames } from './text-order';

// One row per key, whether the agent holds it, a file in ~/.ssh holds it, or both: the keys
// view's model. Rows are merged by SHA256 fingerprint (a certificate lists its plain key's).

export type KeyState = 'loaded' | 'not-loaded' | 'locked';

export interface KeyRowModel {
  fingerprint: string;
  name: string;
  type: string;
  bits: number;
  typeLabel: string;
  publicKey: string;
  /** What the agent holds for this key (the plain key and, when present, its certificate). */
  identities: Identity[];
  file: KeyFileInfo | null;
  state: KeyState;
  certificate: boolean;
  expiresAt: number | null;
  confirm: boolean;
  destinations: string[];
  remembered: boolean;
  problems: HealthFinding[];
}

export type KeyFilter = 'all' | 'loaded' | 'on-disk' | 'problems';
export type SortKey = 'name' | 'type' | 'state' | 'fingerprint';

export function mergeKeys(identities: Identity[], files: KeyFileInfo[], locked: boolean): KeyRowModel[] {
  const rows = new Map<string, KeyRowModel>();
  for (const id of identities) {
    const row = rows.get(id.fingerprint);
    if (row) {
      row.identities.push(id);
      continue;
    }
    rows.set(id.fingerprint, {
      fingerprint: id.fingerprint,
      name: id.comment || (id.sourceFile ? baseName(id.sourceFile) : '(no comment)'),
      type: id.type.replace(/-cert-v01@openssh\.com$/, ''),
      bits: id.bits,
      typeLabel: keyTypeLabel(id.type.replace(/-cert-v01@openssh\.com$/, ''), id.bits),
      publicKey: id.publicKey,
      identities: [id],
      file: null,
      state: 'loaded',
      certificate: false,
      expiresAt: null,
      confirm: false,
      destinations: [],
      remembered: false,
      problems: [],
    });
  }
  for (const f of files) {
    const row = rows.get(f.fingerprint);
    if (row) {
      if (!row.file) row.file = f;
      continue;
    }
    rows.set(f.fingerprint, {
      fingerprint: f.fingerprint,
      name: f.comment || baseName(f.path),
      type: f.type,
      bits: f.bits,
      typeLabel: keyTypeLabel(f.type, f.bits),
      publicKey: f.publicKey,
      identities: [],
      file: f,
      state: locked ? 'locked' : 'not-loaded',
      certificate: false,
      expiresAt: null,
      confirm: false,
      destinations: [],
      remembered: false,
      problems: [],
    });
  }
  for (const row of rows.values()) {
    const plain = row.identities.find((i) => !i.isCertificate);
    if (plain) row.publicKey = plain.publicKey;
    row.certificate = row.identities.some((i) => i.isCertificate);
    for (const id of row.identities) {
      const c = id.constraints ?? {};
      if (typeof c.expiresAt === 'number') row.expiresAt = row.expiresAt === null ? c.expiresAt : Math.min(row.expiresAt, c.expiresAt);
      if (c.confirm) row.confirm = true;
      for (const d of c.destinations ?? []) if (!row.destinations.includes(d)) row.destinations.push(d);
    }
    row.remembered = row.file?.remembered ?? false;
    row.problems = (row.file?.findings ?? []).filter((p) => p.severity !== 'info');
  }
  return [...rows.values()];
}

export function matchesFilter(row: KeyRowModel, filter: KeyFilter, text: string): boolean {
  if (filter === 'loaded' && row.state !== 'loaded') return false;
  if (filter === 'on-disk' && !row.file) return false;
  if (filter === 'problems' && row.problems.length === 0) return false;
  const q = text.trim().toLowerCase();
  if (!q) return true;
  const hay = [row.name, row.typeLabel, row.fingerprint, row.file?.path ?? '', ...row.identities.map((i) => i.sourceFile ?? '')].join(' ').toLowerCase();
  return q.split(/\s+/).every((word) => hay.includes(word));
}

const STATE_ORDER: Record<KeyState, number> = { loaded: 0, locked: 1, 'not-loaded': 2 };

/** Names, types and fingerprints in the user's locale's order (compareNames: the same as localeCompare, without ICU's start-up cost for ASCII). */
export function sortRows(rows: KeyRowModel[], key: SortKey, dir: 'ascending' | 'descending'): KeyRowModel[] {
  const sign = dir === 'ascending' ? 1 : -1;
  const text = (r: KeyRowModel) => (key === 'name' ? r.name : key === 'type' ? r.typeLabel : r.fingerprint).toLowerCase();
  return [...rows].sort((a, b) => {
    const primary = key === 'state' ? STATE_ORDER[a.state] - STATE_ORDER[b.state] : compareNames(text(a), text(b));
    return sign * (primary || compareNames(a.name, b.name) || compareNames(a.fingerprint, b.fingerprint));
  });
}

export function stateLabel(state: KeyState): string {
  return state === 'loaded' ? 'Loaded' : state === 'locked' ? 'Agent locked' : 'Not loaded';
}
