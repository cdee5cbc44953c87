import { useMemo, useState } from 'react';
import type { ActivityEntry } from '../../../shared/contract/server';
import { useAppState } from '../../app-state';
import { Badge, Button, EmptyState, ErrorNotice, Field, Loading, Notice, PageHeader } from '../../components/ui';
import { clockTime, shortFingerprint } from '../../lib/format';
import { useChannel, useEvent } from '../../lib/hooks';

const OUTCOME_TONE = { allowed: 'success', denied: 'warning', failed: 'danger' } as const;
const MAX_ROWS = 500;

/** A live log of what programs asked KeyDock's own agent to do, filterable by key. */
export function ActivityView() {
  const { navigate } = useAppState();
  const status = useChannel('server:get-status', {});
  const log = useChannel('server:list-activity', {});
  const keys = useChannel('agent:list-identities', {});
  const [filter, setFilter] = useState('');

  useEvent('server:activity', (entry) => {
    log.update((cur) => (cur.some((e) => e.id === entry.id) ? cur : [...cur, entry].slice(-MAX_ROWS)));
  });

  const names = useMemo(() => {
    const m = new Map<string, string>();
    for (const id of keys.data?.identities ?? []) m.set(id.fingerprint, id.comment || shortFingerprint(id.fingerprint));
    return m;
  }, [keys.data]);
  const fingerprints = useMemo(() => {
    const s = new Set<string>();
    for (const e of log.data ?? []) if (e.fingerprint) s.add(e.fingerprint);
    for (const k of names.keys()) s.add(k);
    return [...s];
  }, [log.data, names]);

  const rows: ActivityEntry[] = [...(log.data ?? [])].filter((e) => !filter || e.fingerprint === filter).reverse();

  return (
    <section className="view" aria-labelledby="view-title">
      <PageHeader title="Activity" lead="Every request programs made to KeyDock's own agent: who asked, for which key and where to." />
      {status.data && !status.data.running && (
        <Notice kind="info" title="KeyDock's own agent is not running, so there is nothing to record.">
          <p>Activity is recorded only when programs use KeyDock's own agent.</p>
          <Button onClick={() => navigate('settings')}>Open settings</Button>
        </Notice>
      )}
      {status.status === 'error' && <ErrorNotice error={status.error} title="Could not ask for the agent's status" onRetry={() => void status.reload()} />}
      <div className="toolbar">
        <Field label="Show key">
          {(p) => (
            <select {...p} value={filter} onChange={(e) => setFilter(e.target.value)}>
              <option value="">All keys</option>
              {fingerprints.map((fp) => (
                <option key={fp} value={fp}>
                  {names.get(fp) ?? shortFingerprint(fp)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {log.status === 'loading' && !log.data && <Loading label="Loading activity…" />}
      {log.status === 'error' && <ErrorNotice error={log.error} title="Could not load the activity" onRetry={() => void log.reload()} />}
      {log.data && rows.length === 0 && <EmptyState title={filter ? 'No requests for this key yet.' : 'No requests yet.'}>{<p>New requests appear here as they happen.</p>}</EmptyState>}
      {rows.length > 0 && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Activity log">
          <table className="activity">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">What happened</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <td>{clockTime(e.at)}</td>
                  <td style={{ whiteSpace: 'normal', overflowWrap: 'anywhere' }}>
                    {e.summary ?? `${e.client} ${e.operation}${e.destination ? ` for ${e.destination}` : ''}`}
                    {e.fingerprint && (
                      <span className="muted">
                        {' '}
                        ({names.get(e.fingerprint) ?? <code>{shortFingerprint(e.fingerprint)}</code>})
                      </span>
                    )}
                  </td>
                  <td>
                    <Badge tone={OUTCOME_TONE[e.outcome]}>{e.outcome}</Badge>
                    {e.detail && <span className="muted"> {e.detail}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
