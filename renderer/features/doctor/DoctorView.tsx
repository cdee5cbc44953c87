import { useState } from 'react';
import type { DoctorFinding } from '../../../shared/contract/connect';
import { invoke } from '../../api';
import { Badge, Button, EmptyState, ErrorNotice, Loading, PageHeader } from '../../components/ui';
import { useAction, useChannel } from '../../lib/hooks';
import { windowFix } from '../../lib/window-hints';

const SEVERITY: Record<DoctorFinding['severity'], { label: string; tone: 'success' | 'neutral' | 'warning' | 'danger'; mark: string }> = {
  ok: { label: 'OK', tone: 'success', mark: '✓' },
  info: { label: 'Note', tone: 'neutral', mark: 'i' },
  warning: { label: 'Warning', tone: 'warning', mark: '!' },
  error: { label: 'Problem', tone: 'danger', mark: '✗' },
};
const ORDER: DoctorFinding['severity'][] = ['error', 'warning', 'info', 'ok'];
/** Said here when a fix only had command words: this is Doctor already, so not "Open Doctor". */
const DOCTOR_FALLBACK = 'Correct it, then use "Check again".';

/** Health checks of keys, permissions, agent and ssh config, each with its fix. */
export function DoctorView() {
  const checks = useChannel('doctor:run-checks', {});
  // Fixed items stay where they were (sorted by how they were found) and say "Fixed: …".
  const [fixed, setFixed] = useState<Record<string, DoctorFinding>>({});
  const findings = [...(checks.data ?? [])].sort((a, b) => ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity));
  const shown = findings.map((f) => fixed[f.id] ?? f);
  const problems = shown.filter((f) => f.severity === 'error' || f.severity === 'warning').length;
  return (
    <section className="view" aria-labelledby="view-title">
      <PageHeader title="Doctor" lead="Checks file permissions, your agent and your ssh settings, and fixes what it safely can.">
        <Button
          onClick={() => {
            setFixed({});
            void checks.reload();
          }}
          busy={checks.status === 'loading'}
        >
          Check again
        </Button>
      </PageHeader>
      {checks.status === 'loading' && !checks.data && <Loading label="Running checks…" />}
      {checks.status === 'error' && <ErrorNotice error={checks.error} title="The checks could not run" onRetry={() => void checks.reload()} />}
      {checks.data && checks.data.length === 0 && <EmptyState title="Nothing to check yet." />}
      {checks.data && checks.data.length > 0 && (
        <>
          <p className="summary" role="status">
            {problems === 0 ? 'Everything looks healthy.' : `${problems} thing${problems === 1 ? '' : 's'} to look at.`}
          </p>
          <ul className="findings">
            {shown.map((f) => (
              <FindingRow key={f.id} finding={f} wasFixed={!!fixed[f.id]} onFixed={(next) => setFixed((m) => ({ ...m, [f.id]: next }))} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function FindingRow({ finding, wasFixed, onFixed }: { finding: DoctorFinding; wasFixed: boolean; onFixed: (f: DoctorFinding) => void }) {
  const fix = useAction();
  const sev = SEVERITY[finding.severity];
  return (
    <li className={`finding finding-${finding.severity}`} data-finding={finding.id}>
      <Badge tone={sev.tone}>
        <span aria-hidden="true">{sev.mark} </span>
        {sev.label}
      </Badge>
      <div className="finding-body">
        <p className="finding-title">{wasFixed && finding.severity === 'ok' ? `Fixed: ${finding.title}` : finding.title}</p>
        <p>{finding.message}</p>
        {finding.fix && <p className="finding-fix">{windowFix(finding.id, finding.fix, DOCTOR_FALLBACK)}</p>}
        {fix.error && <ErrorNotice error={fix.error} />}
      </div>
      {finding.canFix && finding.severity !== 'ok' && (
        <Button
          variant="primary"
          busy={fix.busy}
          aria-label={`Fix: ${finding.title}`}
          onClick={async () => {
            const r = await fix.run(() => invoke('doctor:apply-fix', { id: finding.id }));
            if (r) onFixed(r);
          }}
        >
          Fix
        </Button>
      )}
    </li>
  );
}
