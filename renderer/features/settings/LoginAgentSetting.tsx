import { useState } from 'react';
import type { LoginAgentReport, LoginAgentStep } from '../../../shared/contract/login-agent';
import { invoke } from '../../api';
import { Button, ErrorNotice, Loading, Notice } from '../../components/ui';
import { useAction, useChannel } from '../../lib/hooks';

// "Use KeyDock's agent for every login" (docs/login-agent.md): the switch asks main for the plan
// first (server:login-agent-plan), shows every step, and applies it only when confirmed
// (server:login-agent-apply); then it shows what each step did.

const STATUS: Record<LoginAgentStep['status'], string> = {
  planned: 'To do',
  done: 'Done',
  unchanged: 'Already so',
  skipped: 'Not run',
  failed: 'Failed',
};

function Steps({ report }: { report: LoginAgentReport }) {
  return (
    <ol className="login-agent-steps">
      {report.steps.map((s, i) => (
        <li key={`${s.id}-${i}`} data-step={s.id} data-status={s.status}>
          <strong>{STATUS[s.status]}:</strong> {s.title}
          {s.path && (
            <>
              {' '}
              <code>{s.path}</code>
            </>
          )}
          {s.message && <span className="field-hint"> ({s.message})</span>}
        </li>
      ))}
    </ol>
  );
}

export function LoginAgentSetting() {
  const plan = useChannel('server:login-agent-plan', {});
  const apply = useAction();
  /** The plan being shown for confirmation (the switch was clicked). */
  const [pending, setPending] = useState<LoginAgentReport | null>(null);
  const [result, setResult] = useState<LoginAgentReport | null>(null);

  const installed = plan.data?.installedBefore ?? false;
  const manager = (r: LoginAgentReport) =>
    r.serviceManager.reachable ? null : (
      <p className="field-hint">
        The {r.serviceManager.name} cannot be reached here ({r.serviceManager.reason ?? 'no reason given'}), so the steps that talk to it {r.action === 'install' ? 'will not run; the files take effect at your next login' : 'will not run'}.
      </p>
    );

  return (
    <div className="login-agent">
      <label className="check">
        <input
          type="checkbox"
          checked={pending ? pending.action === 'install' : installed}
          disabled={!plan.data || apply.busy}
          onChange={() => {
            setResult(null);
            if (plan.data) setPending(plan.data);
          }}
        />
        <span>Use KeyDock's agent for every login (ssh, Git and new terminals use it; remembered keys are loaded when it starts)</span>
      </label>
      {plan.status === 'loading' && !plan.data && <Loading label="Checking how your login starts an agent…" />}
      {plan.status === 'error' && <ErrorNotice error={plan.error} title="Could not work out the plan" onRetry={() => void plan.reload()} />}
      {plan.data && !pending && !result && (
        <p className="field-hint">{installed ? `On: KeyDock's agent answers at ${plan.data.socket} from login on.` : `Off. When on, KeyDock's agent answers at ${plan.data.socket}.`}</p>
      )}
      {pending && (
        <div className="login-agent-plan" role="region" aria-label="What will change">
          <p>{pending.action === 'install' ? 'Turning this on will:' : 'Turning this off will:'}</p>
          {pending.steps.length === 0 ? <p>Nothing to change.</p> : <Steps report={pending} />}
          {manager(pending)}
          <div className="form-actions">
            <Button
              variant="primary"
              busy={apply.busy}
              onClick={async () => {
                const r = await apply.run(() => invoke('server:login-agent-apply', { action: pending.action }));
                if (r) {
                  setResult(r);
                  setPending(null);
                  void plan.reload();
                }
              }}
            >
              {pending.action === 'install' ? 'Turn on' : 'Turn off'}
            </Button>
            <Button onClick={() => setPending(null)} disabled={apply.busy}>
              Cancel
            </Button>
          </div>
        </div>
      )}
      {apply.error && <ErrorNotice error={apply.error} title="Could not change how your login starts an agent" />}
      {result && (
        <Notice kind={result.ok ? 'success' : 'warning'} role="status" title={result.ok ? (result.action === 'install' ? "KeyDock's agent is now the login agent." : 'KeyDock no longer starts its agent at login.') : 'Some steps failed.'}>
          <Steps report={result} />
          {manager(result)}
        </Notice>
      )}
    </div>
  );
}
