import { useCallback, useRef, useState } from 'react';
import type { WhichReport } from '../../../shared/contract/connect';
import type { AppError } from '../../../shared/result';
import { invoke } from '../../api';
import { Badge, ErrorNotice, Loading, Notice, Term } from '../../components/ui';
import { shortFingerprint } from '../../lib/format';
import { withoutCommands } from '../../lib/window-hints';

/** Asks main what `ssh HOST` would do (tester:which: ssh_config, agent, known_hosts; no connection). */
export function useWhich() {
  const [report, setReport] = useState<WhichReport | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);
  const look = useCallback(async (target: string) => {
    const n = ++seq.current;
    setLoading(true);
    setReport(null);
    setError(null);
    const r = await invoke('tester:which', { target });
    if (n !== seq.current) return;
    setLoading(false);
    if (r.ok) setReport(r.value);
    else setError(r.error);
  }, []);
  return { report, error, loading, look };
}

function agentText(a: WhichReport['agent']): string {
  if (a.state === 'running') return a.locked ? 'running, locked' : `running, ${a.keycount ?? 'unknown number of'} key${a.keycount === 1 ? '' : 's'}`;
  if (a.state === 'disabled') return 'turned off for this host (IdentityAgent none)';
  if (a.state === 'unset') return 'none set for this session';
  if (a.state === 'not-running') return 'not answering';
  return 'cannot be read';
}

const AGENT_SOURCE: Record<WhichReport['agent']['source'], string> = {
  config: 'from IdentityAgent in your ssh configuration',
  env: 'from this session',
  'windows-default': 'Windows OpenSSH’s agent',
  none: '',
};

/**
 * What ssh would do for the host: the same answer as `keydock which` (main/connect/which.ts),
 * compact: where it connects, the agent, the identity files, the host key and the keys in the
 * order ssh offers them, with the MaxAuthTries warning. Warnings come from main, shared with the
 * terminal, so any sentence naming a command is left out here.
 */
export function WhichPanel({ report, error, loading }: { report: WhichReport | null; error: AppError | null; loading: boolean }) {
  if (loading) return <Loading label="Reading your ssh configuration…" />;
  if (error) return <ErrorNotice error={error} title="KeyDock could not read what ssh would do" />;
  if (!report) return null;
  const r = report;
  const warnings = r.warnings.map((w) => withoutCommands(w)).filter(Boolean);
  return (
    <section className="which-panel" aria-labelledby="which-title" data-testid="which-panel">
      <h3 id="which-title" className="which-title">
        What ssh will do for {r.host}
      </h3>
      <dl className="facts which-facts">
        <dt>Connects to</dt>
        <dd data-fact="destination">
          <code>
            {r.user}@{r.hostname}:{r.port}
          </code>
          {r.host !== r.hostname && <span className="which-note"> (alias {r.host})</span>}
        </dd>
        {(r.proxyjump || r.proxycommand) && (
          <>
            <dt>Through</dt>
            <dd data-fact="proxy">{r.proxyjump ? <>the jump host <code>{r.proxyjump}</code></> : <>the proxy command <code>{r.proxycommand}</code></>}</dd>
          </>
        )}
        <dt>Agent</dt>
        <dd data-fact="agent">
          <Badge tone={r.agent.state === 'running' ? (r.agent.locked ? 'warning' : 'success') : 'neutral'}>{agentText(r.agent)}</Badge>
          {r.agent.keydock && <Badge tone="accent">KeyDock</Badge>} {r.agent.path && <code className="which-path">{r.agent.path}</code>}
          {AGENT_SOURCE[r.agent.source] && <span className="which-note"> {AGENT_SOURCE[r.agent.source]}</span>}
        </dd>
        <dt>
          <Term explain="With IdentitiesOnly, ssh offers only the keys of this host's IdentityFile lines, not every key in the agent.">IdentitiesOnly</Term>
        </dt>
        <dd data-fact="identitiesonly">{r.identitiesonly ? 'yes' : 'no'}</dd>
        <dt>Identity files{r.identityfiles.some((f) => f.configured) ? '' : ' (ssh’s defaults)'}</dt>
        <dd data-fact="identityfiles">
          {r.identityfiles.length === 0 ? (
            'none'
          ) : (
            <ul className="which-list">
              {r.identityfiles.map((f) => (
                <li key={f.path}>
                  <code className="which-path">{f.path}</code>{' '}
                  {!f.exists ? (
                    <Badge tone={f.configured ? 'warning' : 'neutral'}>missing</Badge>
                  ) : (
                    <>
                      {f.type && <Badge>{f.type}</Badge>} {f.encrypted && <Badge>passphrase</Badge>}{' '}
                      {f.loaded ? <Badge tone="success">in the agent</Badge> : <Badge>not in the agent</Badge>}
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>
          <Term explain="The server's own key. ssh checks it against your known_hosts files; an unknown one makes ssh ask before connecting.">Host key</Term>
        </dt>
        <dd data-fact="hostkey">
          {r.hostkeyknown ? (
            <>
              <Badge tone="success">known</Badge> {r.knownhostkeytypes.join(', ')}
            </>
          ) : (
            <Badge tone="warning">not known yet</Badge>
          )}{' '}
          <span className="which-note">as {r.knownhostsname}</span>
        </dd>
        <dt>Known hosts files</dt>
        <dd data-fact="knownhosts">
          {[...r.userknownhostsfile, ...r.globalknownhostsfile].map((f, i) => (
            <span key={f}>
              {i > 0 && ', '}
              <code className="which-path">{f}</code>
            </span>
          ))}
        </dd>
        <dt>Keys offered, in order</dt>
        <dd data-fact="offers">
          {r.offers.length === 0 ? (
            'none'
          ) : (
            <ol className="which-list which-offers">
              {r.offers.map((o) => (
                <li key={`${o.position}-${o.fingerprint}`} data-late={o.position > r.maxauthtries ? 'true' : undefined}>
                  {o.comment || o.type} <code title={o.fingerprint}>{shortFingerprint(o.fingerprint)}</code> <span className="which-note">{o.source === 'agent' ? 'from the agent' : 'from its file'}</span>
                  {o.position > r.maxauthtries && (
                    <>
                      {' '}
                      <Badge tone="warning">after try {r.maxauthtries}</Badge>
                    </>
                  )}
                </li>
              ))}
            </ol>
          )}
        </dd>
      </dl>
      {warnings.map((w) => (
        <Notice key={w} kind="warning" role="note">
          <p>{w}</p>
        </Notice>
      ))}
    </section>
  );
}
