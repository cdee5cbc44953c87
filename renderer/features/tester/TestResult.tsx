import { useState } from 'react';
import type { Diagnosis, TestReport, TestStep } from '../../../shared/contract/connect';
import type { AppError } from '../../../shared/result';
import { invoke } from '../../api';
import { useAppState } from '../../app-state';
import { Badge, Button, CopyButton, Dialog, ErrorNotice, Loading, Notice, Term } from '../../components/ui';
import { baseName, shortFingerprint } from '../../lib/format';
import { useAction } from '../../lib/hooks';
import { windowFix } from '../../lib/window-hints';
import { LoadKeyForm } from '../identities/LoadKeyForm';

/** The steps of a test as they happen: name, outcome, time taken. */
export function StepList({ steps, running }: { steps: TestStep[]; running: boolean }) {
  return (
    <ol className="steps" aria-label="Test steps">
      {steps.map((s, i) => (
        <li key={i} className={s.ok ? 'step-ok' : 'step-fail'}>
          <span className="step-mark" aria-hidden="true">
            {s.ok ? '✓' : '✗'}
          </span>
          <span className="step-name">
            {s.name}
            <span className="visually-hidden">{s.ok ? ' (done)' : ' (failed)'}</span>
          </span>
          {s.detail && <span className="step-detail">{s.detail}</span>}
          <span className="step-ms">{Math.round(s.ms)} ms</span>
        </li>
      ))}
      {running && (
        <li className="step-running">
          <Loading label="Working…" />
        </li>
      )}
    </ol>
  );
}

/** The verdict: who we logged in as with which key, or what is wrong and the fix. */
export function TestResult({ report, error, target, onRetest }: { report: TestReport | null; error: AppError | null; target: string; onRetest: () => void }) {
  if (error) return <ErrorNotice error={error} title="The test could not run" onRetry={onRetest} />;
  if (!report) return null;
  if (report.ok) {
    return (
      <div className="verdict verdict-ok" role="status" data-verdict="ok">
        <p className="verdict-title">
          ✓ It works: {report.host} accepted your key
          {report.account ? (
            <>
              {' '}
              and logged you in as <strong className="account">{report.account}</strong>
            </>
          ) : null}
          .
        </p>
        {report.deployKeyRepo && (
          <p>
            This key is a{' '}
            <Term explain="A deploy key gives access to one repository only, not to your whole account.">deploy key</Term> for <strong>{report.deployKeyRepo}</strong>.
          </p>
        )}
        {report.acceptedKey && (
          <p>
            Key used: <strong>{report.acceptedKey.comment || report.acceptedKey.type}</strong> <code title={report.acceptedKey.fingerprint}>{shortFingerprint(report.acceptedKey.fingerprint)}</code>
          </p>
        )}
        {report.greeting && <p className="greeting">The server said: “{report.greeting}”</p>}
        <ReportDetails report={report} />
      </div>
    );
  }
  return (
    <div className="verdict verdict-fail" data-verdict="fail" data-code={report.diagnosis?.code ?? 'unknown'}>
      <p className="verdict-title" role="alert">
        ✗ {report.diagnosis?.message ?? `Could not log in to ${report.host}.`}
      </p>
      {report.diagnosis && <DiagnosisFix diagnosis={report.diagnosis} report={report} target={target} onRetest={onRetest} />}
      <ReportDetails report={report} />
    </div>
  );
}

function ReportDetails({ report }: { report: TestReport }) {
  return (
    <details className="report-details">
      <summary>Details</summary>
      <dl className="facts">
        <dt>Server</dt>
        <dd>
          {report.user}@{report.host}:{report.port}
        </dd>
        {report.hostKey && (
          <>
            <dt>
              <Term explain="The server's own key. Checking it proves you are talking to the real server, not an impostor.">Host key</Term>
            </dt>
            <dd>
              <code>{report.hostKey.fingerprint}</code> <Badge tone={report.hostKey.status === 'changed' || report.hostKey.status === 'revoked' ? 'danger' : 'neutral'}>{hostKeyStatusText(report.hostKey.status)}</Badge>
            </dd>
          </>
        )}
        <dt>Keys offered</dt>
        <dd>
          {report.offeredKeys.length === 0 ? (
            'none'
          ) : (
            <ul className="offered">
              {report.offeredKeys.map((k) => (
                <li key={k.fingerprint}>
                  {k.comment || k.type} <code>{shortFingerprint(k.fingerprint)}</code> from {k.source} {k.accepted ? <Badge tone="success">accepted</Badge> : <Badge>not accepted</Badge>}
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </details>
  );
}

function hostKeyStatusText(status: string): string {
  switch (status) {
    case 'known':
      return 'already trusted';
    case 'new':
      return 'not trusted yet';
    case 'changed':
      return 'CHANGED since last time';
    case 'revoked':
      return 'revoked';
    case 'provider-verified':
      return "matches the provider's published key";
    default:
      return status;
  }
}

/** The fix for a failed test, as a button when KeyDock can apply it itself. */
function DiagnosisFix({ diagnosis, report, target, onRetest }: { diagnosis: Diagnosis; report: TestReport; target: string; onRetest: () => void }) {
  const { navigate } = useAppState();
  const apply = useAction();
  const [loading, setLoading] = useState<string | null>(null);
  const action = diagnosis.action ?? null;

  const applyFix = async (kind: 'trust-host-key' | 'remove-stale-host-key' | 'add-identities-only') => {
    const r = await apply.run(() =>
      invoke('tester:apply-fix', {
        target,
        kind,
        keyPath: action?.keyPath,
        // Host key fixes carry the fingerprint the user was shown, so main refuses if it changed since.
        fingerprint: kind === 'add-identities-only' ? undefined : report.hostKey?.fingerprint,
        publicKey: kind === 'add-identities-only' ? action?.publicKey : undefined,
      }),
    );
    if (r) onRetest();
  };

  return (
    <div className="fix">
      <p className="fix-text">{windowFix(diagnosis.code, diagnosis.fix)}</p>
      {action?.kind === 'load-key' && action.keyPath && (
        <Button variant="primary" onClick={() => setLoading(action.keyPath ?? null)}>
          Load {baseName(action.keyPath)}
        </Button>
      )}
      {action?.kind === 'copy-public-key' && (
        <div className="public-key-fix">
          {action.publicKey && (
            <>
              <label htmlFor="fix-public-key">Your public key (safe to share)</label>
              <textarea id="fix-public-key" className="public-key" readOnly rows={3} value={action.publicKey} />
              <div className="row-actions">
                <CopyButton text={action.publicKey} label="Copy public key" what="" variant="primary" />
                {action.url && (
                  <a className="btn btn-secondary" href={action.url} target="_blank" rel="noopener noreferrer">
                    Open the page to add it
                  </a>
                )}
              </div>
            </>
          )}
          {!action.publicKey && action.url && (
            <a className="btn btn-secondary" href={action.url} target="_blank" rel="noopener noreferrer">
              Open the page to add it
            </a>
          )}
          <p>After adding it there, test again.</p>
        </div>
      )}
      {(action?.kind === 'trust-host-key' || action?.kind === 'remove-stale-host-key') && report.hostKey && (
        <div className="hostkey-compare">
          <dl className="facts">
            <dt>The server showed</dt>
            <dd>
              <code data-testid="server-fingerprint">{report.hostKey.fingerprint}</code>
            </dd>
            <dt>The provider publishes</dt>
            <dd>{report.hostKey.publishedFingerprint ? <code data-testid="published-fingerprint">{report.hostKey.publishedFingerprint}</code> : 'No published fingerprint for this host: compare with what its administrator tells you.'}</dd>
          </dl>
          {report.hostKey.publishedFingerprint && (
            <p>{report.hostKey.publishedFingerprint === report.hostKey.fingerprint ? '✓ They match.' : '✗ They do not match. Do not trust this key unless the server\u2019s administrator confirms it.'}</p>
          )}
          <Button variant="primary" busy={apply.busy} onClick={() => void applyFix(action.kind === 'trust-host-key' ? 'trust-host-key' : 'remove-stale-host-key')}>
            {action.kind === 'trust-host-key' ? 'Trust this host key' : 'Remove the old host key'}
          </Button>
        </div>
      )}
      {action?.kind === 'add-identities-only' && (
        <Button variant="primary" busy={apply.busy} onClick={() => void applyFix('add-identities-only')}>
          Offer only the right key (add IdentitiesOnly)
        </Button>
      )}
      {action?.kind === 'load-key' && !action.keyPath && (
        <Button variant="primary" onClick={() => navigate('identities')}>
          Open Keys
        </Button>
      )}
      {action?.kind === 'start-agent' && <StartAgentButton />}
      {action?.kind === 'open-url' && action.url && (
        <a className="btn btn-secondary" href={action.url} target="_blank" rel="noopener noreferrer">
          Open help page
        </a>
      )}
      {apply.error && <ErrorNotice error={apply.error} />}
      <div className="row-actions">
        <Button onClick={onRetest}>Test again</Button>
      </div>
      {loading && (
        <Dialog title={`Load ${baseName(loading)}`} onClose={() => setLoading(null)}>
          <LoadKeyForm
            path={loading}
            onCancel={() => setLoading(null)}
            onLoaded={() => {
              setLoading(null);
              onRetest();
            }}
          />
        </Dialog>
      )}
    </div>
  );
}

/** Starts KeyDock's own agent and tells the user how to point ssh at it. */
function StartAgentButton() {
  const start = useAction();
  const [socket, setSocket] = useState<string | null>(null);
  return (
    <>
      <Button
        variant="primary"
        busy={start.busy}
        onClick={async () => {
          const r = await start.run(() => invoke('server:start-agent', {}));
          if (r) setSocket(r.socketPath);
        }}
      >
        Start KeyDock's agent
      </Button>
      {start.error && <ErrorNotice error={start.error} />}
      {socket && (
        <Notice kind="success" role="status" title="KeyDock's agent is running.">
          <p>
            For ssh and git to use it, set <code>SSH_AUTH_SOCK={socket}</code> in your shell (or <code>IdentityAgent {socket}</code> in ~/.ssh/config), add your key on the Keys page, then test again.
          </p>
        </Notice>
      )}
    </>
  );
}
