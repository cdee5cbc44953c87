import { Badge, Button } from '../../components/ui';
import { baseName, timeLeft, toMs } from '../../lib/format';
import { stateLabel, type KeyRowModel, type KeyState, type SortKey } from '../../lib/key-rows';

const COLUMNS: Array<{ key: SortKey | null; label: string; className?: string }> = [
  { key: 'name', label: 'Name' },
  { key: 'type', label: 'Type' },
  { key: 'fingerprint', label: 'Fingerprint (SHA256)', className: 'col-fp' },
  { key: 'state', label: 'State' },
  { key: null, label: 'Details', className: 'col-details' },
];

const STATE_TONE: Record<KeyState, 'success' | 'warning' | 'neutral'> = { loaded: 'success', locked: 'warning', 'not-loaded': 'neutral' };

/** The state of a key as one pill, the same everywhere. */
export function StatePill({ state }: { state: KeyState }) {
  return (
    <Badge tone={STATE_TONE[state]} className={`pill pill-${state}`}>
      {stateLabel(state)}
    </Badge>
  );
}

/** One dense, sortable table of every key, one Load / Unload button per row. */
export function KeyTable({
  rows,
  now,
  sort,
  onSort,
  selected,
  onSelect,
  canLoad,
  busyRow,
  onLoad,
  onUnload,
}: {
  rows: KeyRowModel[];
  now: number;
  sort: { key: SortKey; dir: 'ascending' | 'descending' };
  onSort: (key: SortKey) => void;
  selected: string | null;
  onSelect: (fingerprint: string) => void;
  canLoad: boolean;
  busyRow: string | null;
  onLoad: (row: KeyRowModel) => void;
  onUnload: (row: KeyRowModel) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="key-table" aria-label="Keys">
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c.label} scope="col" className={c.className} aria-sort={c.key && sort.key === c.key ? sort.dir : undefined}>
                {c.key ? (
                  <button type="button" className="th-sort" onClick={() => onSort(c.key as SortKey)}>
                    {c.label}
                    <span aria-hidden="true" className="sort-mark">
                      {sort.key === c.key ? (sort.dir === 'ascending' ? '▲' : '▼') : ''}
                    </span>
                  </button>
                ) : (
                  c.label
                )}
              </th>
            ))}
            <th scope="col">
              <span className="sr-only">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const isSelected = row.fingerprint === selected;
            const file = row.file ? baseName(row.file.path) : row.identities.find((i) => i.sourceFile)?.sourceFile;
            return (
              <tr key={row.fingerprint} data-fingerprint={row.fingerprint} data-state={row.state} className={isSelected ? 'row-selected' : undefined}>
                <td className="col-name">
                  <button type="button" className="row-select" aria-pressed={isSelected} aria-controls={isSelected ? 'key-detail' : undefined} onClick={() => onSelect(row.fingerprint)}>
                    {row.name}
                  </button>
                  {file && <span className="row-sub">{baseName(file)}</span>}
                </td>
                <td className="col-type">{row.typeLabel}</td>
                <td className="col-fp">
                  <code className="fp" title={row.fingerprint}>
                    {row.fingerprint}
                  </code>
                </td>
                <td className="col-state">
                  <StatePill state={row.state} />
                </td>
                <td className="col-details">
                  <RowBadges row={row} now={now} />
                </td>
                <td className="col-action">
                  {row.state === 'loaded' ? (
                    <Button variant="secondary" className="btn-small" busy={busyRow === row.fingerprint} onClick={() => onUnload(row)} aria-label={`Unload ${row.name}`}>
                      Unload
                    </Button>
                  ) : row.file && canLoad ? (
                    <Button variant="primary" className="btn-small" busy={busyRow === row.fingerprint} onClick={() => onLoad(row)} aria-label={`Load ${row.name}`}>
                      Load
                    </Button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The restrictions and facts of a row, as small badges. */
export function RowBadges({ row, now }: { row: KeyRowModel; now: number }) {
  return (
    <span className="badges">
      {row.expiresAt !== null && <Badge tone="warning">{`${timeLeft(toMs(row.expiresAt), now)} left`}</Badge>}
      {row.confirm && <Badge tone="warning">Asks before use</Badge>}
      {row.destinations.length > 0 && <Badge tone="neutral" title={row.destinations.join(', ')}>{`Only for ${row.destinations.length === 1 ? row.destinations[0] : `${row.destinations.length} hosts`}`}</Badge>}
      {row.remembered && <Badge tone="neutral">Passphrase in keychain</Badge>}
      {row.certificate && <Badge tone="accent">Certificate</Badge>}
      {row.identities.some((i) => i.smartcard) && <Badge tone="accent" title={`On a smartcard, through ${row.identities.find((i) => i.smartcard)?.smartcard?.provider ?? ''}`}>Smartcard</Badge>}
      {row.problems.length > 0 && (
        <Badge tone="danger" title={row.problems.map((p) => p.message).join(' ')}>
          {row.problems.length === 1 ? '1 problem' : `${row.problems.length} problems`}
        </Badge>
      )}
    </span>
  );
}
