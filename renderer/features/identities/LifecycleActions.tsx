import { useState } from 'react';
import type { GitSigningSetupResult, RotationPlan } from '../../../shared/contract/lifecycle';
import { invoke } from '../../api';
import { Button, ConfirmDialog, Dialog, ErrorNotice, Notice } from '../../components/ui';
import { baseName } from '../../lib/format';
import { useAction } from '../../lib/hooks';

/** Rotation plan and Git commit signing for one key file (lifecycle:* channels). */
export function LifecycleActions({ keyPath, name }: { keyPath: string; name: string }) {
  const plan = useAction();
  const signing = useAction();
  const [shownPlan, setShownPlan] = useState<RotationPlan | null>(null);
  const [askSigning, setAskSigning] = useState(false);
  const [signed, setSigned] = useState<GitSigningSetupResult | null>(null);
  return (
    <>
      <Button
        busy={plan.busy}
        aria-haspopup="dialog"
        onClick={async () => {
          const r = await plan.run(() => invoke('lifecycle:plan-rotation', { keyPath, servers: [] }));
          if (r) setShownPlan(r);
        }}
      >
        Plan a rotation…
      </Button>
      <Button aria-haspopup="dialog" onClick={() => setAskSigning(true)}>
        Sign Git commits with it…
      </Button>
      {plan.error && <ErrorNotice error={plan.error} />}
      {signed && (
        <Notice kind={signed.proof.ok ? 'success' : 'warning'} role="status" title={signed.proof.ok ? `Git now signs your commits with ${name}.` : `Git is set up to sign with ${name}, but the test signature failed.`}>
          <p>{signed.proof.detail}</p>
        </Notice>
      )}
      {shownPlan && (
        <Dialog
          title={`Rotating ${name}`}
          onClose={() => setShownPlan(null)}
          className="dialog-wide"
          footer={
            <Button variant="primary" onClick={() => setShownPlan(null)} data-autofocus>
              Close
            </Button>
          }
        >
          <p>
            A new {shownPlan.newKey.type} key, <code>{baseName(shownPlan.newKey.path)}</code>, would replace it. {shownPlan.newKey.reason}
          </p>
          <ul className="summary-list">
            <li>{shownPlan.configLines.length} line(s) of your ssh configuration name this key</li>
            <li>{shownPlan.servers.length} server(s) would get the new key</li>
            <li>{shownPlan.gitHosts.length} Git host(s) need the new public key</li>
            <li>{shownPlan.agents.length} agent(s) hold the key now</li>
            {shownPlan.gitSigning && <li>Git commit signing uses it</li>}
          </ul>
          <h3 className="sub-title">Steps</h3>
          <ol className="summary-list">
            {shownPlan.steps.map((s) => (
              <li key={s.id}>{s.title}</li>
            ))}
          </ol>
          {shownPlan.notes.map((n) => (
            <p key={n} className="muted">
              {n}
            </p>
          ))}
        </Dialog>
      )}
      {askSigning && (
        <ConfirmDialog
          title="Sign your Git commits with this key?"
          confirmLabel="Sign commits"
          busy={signing.busy}
          error={signing.error}
          onClose={() => {
            signing.setError(null);
            setAskSigning(false);
          }}
          onConfirm={async () => {
            const r = await signing.run(() => invoke('lifecycle:git-signing-setup', { keyPath, signCommits: true, signTags: false }));
            if (r) {
              setSigned(r);
              setAskSigning(false);
            }
          }}
        >
          <p>
            KeyDock sets your global Git configuration to sign every commit with <code>{baseName(keyPath)}</code>, adds it to your allowed signers, and makes a test signature.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
