import { useEffect, useRef, useState } from 'react';
import type { RotationOutcome, RotationPlan } from '../../../shared/contract/lifecycle';
import type { AppError } from '../../../shared/result';
import { invoke } from '../../api';
import { Badge, Button, CopyButton, Dialog, ErrorNotice, Field, Loading, Notice } from '../../components/ui';
import { baseName } from '../../lib/format';
import { useEvent } from '../../lib/hooks';
import { withoutCommands } from '../../lib/window-hints';
import { PublishDialog } from './PublishDialog';

type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

/** What the dialog shows: the plan to agree to, a run under way, or where a rotation stands. */
type Stage = { step: 'loading' } | { step: 'plan'; plan: RotationPlan } | { step: 'running'; action: 'start' | 'resume' | 'rollback' } | { step: 'outcome'; outcome: RotationOutcome };

const STATUS_LABEL: Record<RotationOutcome['steps'][number]['status'], string> = {
  pending: 'not yet',
  started: 'stopped half-way',
  done: 'done',
  skipped: 'skipped',
  waiting: 'waiting for you',
  failed: 'failed',
  undone: 'undone',
};

const STATUS_TONE: Record<RotationOutcome['steps'][number]['status'], 'neutral' | 'success' | 'warning' | 'danger' | 'accent'> = {
  pending: 'neutral',
  started: 'warning',
  done: 'success',
  skipped: 'neutral',
  waiting: 'accent',
  failed: 'danger',
  undone: 'neutral',
};

let runCounter = 0;

/**
 * "Rotate…": replace a key everywhere it is used, with the same saved, resumable steps as the
 * command line (lifecycle:rotate). First the plan, with the choices it has (key type, which
 * servers, remembering the passphrase) and the new key's passphrase; then each step's result as
 * it runs; a Git host's step waits for the user to add the key on its page (or "Add it for me")
 * and tests it; the end shows what changed and what is left. An unfinished rotation of the key
 * is offered to resume or roll back instead.
 */
export function RotateDialog({ keyPath, name, onClose }: { keyPath: string; name: string; onClose: () => void }) {
  const [stage, setStage] = useState<Stage>({ step: 'loading' });
  const [error, setError] = useState<AppError | null>(null);
  const [type, setType] = useState<KeyType | null>(null);
  const [skip, setSkip] = useState<string[]>([]);
  const [extra, setExtra] = useState<string[]>([]);
  const [extraText, setExtraText] = useState('');
  const [remember, setRemember] = useState<boolean | null>(null);
  const [authorizedKeys, setAuthorizedKeys] = useState('.ssh/authorized_keys');
  const [pass, setPass] = useState('');
  const [repeat, setRepeat] = useState('');
  const [oldPass, setOldPass] = useState('');
  const [formError, setFormError] = useState<string | null>(null);
  const [progress, setProgress] = useState<string[]>([]);
  const [publishing, setPublishing] = useState(false);
  const runId = useRef('');
  const live = useRef(true);
  useEffect(
    () => () => {
      live.current = false;
    },
    [],
  );

  useEvent('lifecycle:rotation-progress', (p) => {
    if (p.runId === runId.current) setProgress((list) => [...list, p.message]);
  });

  const loadPlan = async (choices: { type: KeyType | null; servers: string[]; remember: boolean | null }) => {
    setError(null);
    const r = await invoke('lifecycle:plan-rotation', {
      keyPath,
      ...(choices.type ? { type: choices.type } : {}),
      servers: choices.servers,
      // Servers left out stay listed (unticked): the run gets them as skipServers.
      skipServers: [],
      ...(choices.remember !== null ? { rememberNew: choices.remember } : {}),
    });
    if (!live.current) return;
    if (!r.ok) return setError(r.error);
    if (choices.remember === null) setRemember(r.value.steps.some((s) => s.id === 'remember'));
    setStage({ step: 'plan', plan: r.value });
  };

  // An unfinished rotation of this key comes first; otherwise the plan.
  useEffect(() => {
    void (async () => {
      const r = await invoke('lifecycle:rotation-status', { keyPath });
      if (!live.current) return;
      if (r.ok && r.value.saved) return setStage({ step: 'outcome', outcome: r.value.saved });
      if (!r.ok) setError(r.error);
      await loadPlan({ type: null, servers: [], remember: null });
    })();
    // Once, when the dialog opens.
  }, []);

  const replan = (next: Partial<{ type: KeyType | null; servers: string[]; remember: boolean | null }>) =>
    void loadPlan({ type: next.type !== undefined ? next.type : type, servers: next.servers ?? extra, remember: next.remember !== undefined ? next.remember : remember });

  const rotate = async (action: 'start' | 'resume' | 'rollback') => {
    setError(null);
    runId.current = `rotate-${Date.now()}-${++runCounter}`;
    setProgress([]);
    setStage({ step: 'running', action });
    const r = await invoke('lifecycle:rotate', {
      keyPath,
      action,
      ...(type ? { type } : {}),
      servers: extra,
      skipServers: skip,
      ...(remember !== null ? { rememberNew: remember } : {}),
      ...(authorizedKeys.trim() && authorizedKeys.trim() !== '.ssh/authorized_keys' ? { authorizedKeysFile: authorizedKeys.trim() } : {}),
      ...(pass ? { passphrase: pass } : {}),
      ...(oldPass ? { oldPassphrase: oldPass } : {}),
      runId: runId.current,
    });
    if (!live.current) return;
    if (r.ok) return setStage({ step: 'outcome', outcome: r.value });
    setError(r.error);
    // Where did it stop? The saved rotation says, with Resume and Roll back.
    const saved = await invoke('lifecycle:rotation-status', { keyPath });
    if (!live.current) return;
    if (saved.ok && saved.value.saved) setStage({ step: 'outcome', outcome: saved.value.saved });
    else void loadPlan({ type, servers: extra, remember });
  };

  const start = () => {
    if (!pass) return setFormError('The new key needs a passphrase.');
    if (pass !== repeat) return setFormError('The two passphrases differ.');
    setFormError(null);
    void rotate('start');
  };

  const outcome = stage.step === 'outcome' ? stage.outcome : null;
  const finished = outcome && (outcome.status === 'done' || outcome.status === 'rolled-back');
  const unfinished = outcome && !finished;
  const needsNewPass = !!unfinished && !!outcome?.newKey && !pass;

  const footer =
    stage.step === 'plan' ? (
      <>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="primary" type="submit" form="rotate-form">
          Rotate
        </Button>
      </>
    ) : stage.step === 'running' || stage.step === 'loading' ? (
      <Button onClick={onClose}>Close</Button>
    ) : unfinished ? (
      <>
        <Button variant="danger" onClick={() => void rotate('rollback')}>
          Roll back
        </Button>
        {outcome.waiting ? (
          <>
            {outcome.newKey && (
              <Button onClick={() => setPublishing(true)} aria-haspopup="dialog">
                Add it for me…
              </Button>
            )}
            <Button variant="primary" onClick={() => void rotate('resume')}>
              I added it — test
            </Button>
          </>
        ) : (
          <Button variant="primary" onClick={() => void rotate('resume')}>
            Resume
          </Button>
        )}
      </>
    ) : (
      <Button variant="primary" onClick={onClose} data-autofocus>
        Close
      </Button>
    );

  return (
    <>
      <Dialog title={`Rotate ${name}`} onClose={onClose} className="dialog-wide" footer={footer}>
        {stage.step === 'loading' && <Loading label="Finding every place the key is used…" />}
        {stage.step === 'plan' && (
          <PlanForm
            plan={stage.plan}
            type={type}
            skip={skip}
            extra={extra}
            extraText={extraText}
            remember={remember}
            authorizedKeys={authorizedKeys}
            pass={pass}
            repeat={repeat}
            oldPass={oldPass}
            formError={formError}
            onType={(t) => {
              setType(t);
              replan({ type: t });
            }}
            onSkip={(label, left) => {
              const next = left ? [...skip, label] : skip.filter((s) => s !== label);
              setSkip(next);
            }}
            onExtraText={setExtraText}
            onAddExtra={() => {
              const v = extraText.trim();
              if (!v) return;
              const next = [...extra.filter((x) => x !== v), v];
              setExtra(next);
              setExtraText('');
              replan({ servers: next });
            }}
            onRemember={(v) => {
              setRemember(v);
              replan({ remember: v });
            }}
            onAuthorizedKeys={setAuthorizedKeys}
            onPass={setPass}
            onRepeat={setRepeat}
            onOldPass={setOldPass}
            onSubmit={start}
          />
        )}
        {stage.step === 'running' && (
          <div role="status" aria-live="polite">
            <p>
              <strong>{stage.action === 'rollback' ? 'Undoing the rotation…' : 'Rotating…'}</strong> Each step is saved as it finishes: if this stops, you can resume or roll back.
            </p>
            <ol className="summary-list rotate-progress">
              {progress.map((m, i) => (
                <li key={`${i}-${m}`}>
                  {m}
                  {i === progress.length - 1 ? ' …' : ' ✓'}
                </li>
              ))}
            </ol>
          </div>
        )}
        {outcome && <OutcomeView outcome={outcome} />}
        {unfinished && (needsNewPass || outcome.oldKeyNeedsPassphrase) && (
          <div className="rotate-passphrases">
            {outcome.newKey && (
              <Field label="Passphrase of the new key" hint="Only needed when KeyDock has to open the new key and your keychain does not remember it.">
                {(p) => <input {...p} type="password" autoComplete="off" value={pass} onChange={(e) => setPass(e.target.value)} />}
              </Field>
            )}
            {outcome.oldKeyNeedsPassphrase && (
              <Field label={`Passphrase of ${baseName(keyPath)}`} hint="Only needed when no agent holds the old key.">
                {(p) => <input {...p} type="password" autoComplete="off" value={oldPass} onChange={(e) => setOldPass(e.target.value)} />}
              </Field>
            )}
          </div>
        )}
        {error && <ErrorNotice error={error} title={stage.step === 'outcome' ? 'The rotation stopped.' : undefined} />}
      </Dialog>
      {publishing && outcome?.waiting && outcome.newKey && (
        <PublishDialog
          keyPath={outcome.newKey.path}
          name={baseName(outcome.newKey.path)}
          initial={{ provider: outcome.waiting.provider, kind: outcome.waiting.repo ? 'deploy' : 'account', ...(outcome.waiting.repo ? { repo: outcome.waiting.repo } : {}) }}
          // The rotation's own step tests the new key (and only it) right after.
          test={false}
          onPublished={() => {
            // The key is there: test it the way "I added it — test" does.
            setPublishing(false);
            void rotate('resume');
          }}
          onClose={() => setPublishing(false)}
        />
      )}
    </>
  );
}

function PlanForm(props: {
  plan: RotationPlan;
  type: KeyType | null;
  skip: string[];
  extra: string[];
  extraText: string;
  remember: boolean | null;
  authorizedKeys: string;
  pass: string;
  repeat: string;
  oldPass: string;
  formError: string | null;
  onType: (t: KeyType) => void;
  onSkip: (label: string, left: boolean) => void;
  onExtraText: (v: string) => void;
  onAddExtra: () => void;
  onRemember: (v: boolean) => void;
  onAuthorizedKeys: (v: string) => void;
  onPass: (v: string) => void;
  onRepeat: (v: string) => void;
  onOldPass: (v: string) => void;
  onSubmit: () => void;
}) {
  const { plan } = props;
  const skipped = new Set(props.skip);
  return (
    <form
      id="rotate-form"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <p>
        A new key, <code>{baseName(plan.newKey.path)}</code>, replaces it everywhere below. Nothing changes until you press Rotate; the old key is moved to an archive folder, never deleted.
      </p>
      <Field label="Type of the new key" hint={plan.newKey.reason}>
        {(p) => (
          <select {...p} value={props.type ?? plan.newKey.type} onChange={(e) => props.onType(e.target.value as KeyType)}>
            <option value="ed25519">Ed25519 (recommended)</option>
            <option value="ecdsa">ECDSA</option>
            <option value="rsa">RSA</option>
          </select>
        )}
      </Field>

      <fieldset className="choice">
        <legend>Servers that get the new key</legend>
        {plan.servers.length === 0 && <p className="muted">No server in your ssh configuration uses this key.</p>}
        {plan.servers.map((s) => (
          <label key={s.id} className="check">
            <input type="checkbox" checked={!skipped.has(s.label)} onChange={(e) => props.onSkip(s.label, !e.target.checked)} />
            <span>
              <strong>{s.label}</strong> ({s.user}@{s.hostname}
              {s.port === 22 ? '' : `:${s.port}`}): add the new key, log in with it, then remove the old one
            </span>
          </label>
        ))}
        <div className="inline-add">
          <Field label="Another server the key opens" hint="user@host, or user@host:port.">
            {(p) => <input {...p} type="text" spellCheck={false} value={props.extraText} onChange={(e) => props.onExtraText(e.target.value)} />}
          </Field>
          <Button onClick={props.onAddExtra} disabled={!props.extraText.trim()}>
            Add server
          </Button>
        </div>
        <Field label="authorized_keys file on the servers" hint="Relative to the account's home folder unless it starts with /.">
          {(p) => <input {...p} type="text" spellCheck={false} value={props.authorizedKeys} onChange={(e) => props.onAuthorizedKeys(e.target.value)} />}
        </Field>
      </fieldset>

      {plan.gitHosts.length > 0 && (
        <>
          <h3 className="sub-title">Git hosts</h3>
          <ul className="summary-list">
            {plan.gitHosts.map((g) => (
              <li key={g.id}>
                {g.name} ({g.alias}): you add the new key on its page (or KeyDock does it for you), then KeyDock tests it.
              </li>
            ))}
          </ul>
        </>
      )}

      <h3 className="sub-title">Also</h3>
      <ul className="summary-list">
        <li>{plan.configLines.length} line(s) of your ssh configuration point at the new key (a backup is kept)</li>
        <li>{plan.agents.length ? `${plan.agents.map((a) => a.label).join(', ')}: the new key goes in, the old one out` : 'No agent holds the key now'}</li>
        {plan.gitSigning && <li>Git signs commits with the new key</li>}
      </ul>

      <Field label="Passphrase for the new key" error={props.formError && !props.pass ? props.formError : null}>
        {(p) => <input {...p} type="password" autoComplete="new-password" value={props.pass} onChange={(e) => props.onPass(e.target.value)} data-autofocus />}
      </Field>
      <Field label="Repeat the passphrase" error={props.formError && props.pass ? props.formError : null}>
        {(p) => <input {...p} type="password" autoComplete="new-password" value={props.repeat} onChange={(e) => props.onRepeat(e.target.value)} />}
      </Field>
      <label className="check">
        <input type="checkbox" checked={!!props.remember} onChange={(e) => props.onRemember(e.target.checked)} />
        <span>Remember the new passphrase in my keychain</span>
      </label>
      {plan.oldKey.encrypted && !plan.oldKey.remembered && plan.agents.length === 0 && (
        <Field label={`Passphrase of ${baseName(plan.oldKey.path)}`} hint="KeyDock logs in to the servers with the old key to add the new one.">
          {(p) => <input {...p} type="password" autoComplete="off" value={props.oldPass} onChange={(e) => props.onOldPass(e.target.value)} />}
        </Field>
      )}

      <details className="rotate-steps">
        <summary>All {plan.steps.length} steps</summary>
        <ol className="summary-list">
          {plan.steps.map((s) => (
            <li key={s.id}>{s.title}</li>
          ))}
        </ol>
      </details>
      {plan.notes.map((n) => {
        const text = withoutCommands(n);
        return text ? (
          <p key={n} className="muted">
            {text}
          </p>
        ) : null;
      })}
    </form>
  );
}

function OutcomeView({ outcome }: { outcome: RotationOutcome }) {
  const todo = outcome.todo.map((t) => withoutCommands(t)).filter((t) => t.length > 0);
  const w = outcome.waiting;
  return (
    <div>
      {outcome.status === 'done' && <Notice kind="success" role="status" title={`Rotated: ${outcome.newKey ? baseName(outcome.newKey.path) : 'the new key'} replaces ${baseName(outcome.oldKey.path)}.`} />}
      {outcome.status === 'rolled-back' && <Notice kind="info" role="status" title="Rolled back: everything is as it was before the rotation." />}
      {w && outcome.newKey && (
        <section className="rotate-wait" aria-labelledby="rotate-wait-title">
          <h3 id="rotate-wait-title" className="sub-title">
            Add the new key on {w.name}
            {w.repo ? ` as a deploy key of ${w.repo}` : w.account ? ` (account ${w.account})` : ''}
          </h3>
          <p>
            <a href={w.addKeyUrl} target="_blank" rel="noopener noreferrer">
              Open {w.name}&apos;s page to add the key
              <span className="visually-hidden"> (opens in your browser)</span>
            </a>
            , paste the public key below, then press &quot;I added it — test&quot;. KeyDock then logs in with the new key only.
          </p>
          <label htmlFor="rotate-new-public-key">The new public key</label>
          <textarea id="rotate-new-public-key" className="public-key" readOnly rows={3} value={outcome.newKey.publicKey} />
          <div className="row-actions">
            <CopyButton text={outcome.newKey.publicKey} label="Copy public key" what="" />
          </div>
        </section>
      )}
      {outcome.status !== 'done' && outcome.status !== 'rolled-back' && !w && (
        <Notice kind="warning" title={`A rotation of this key is not finished (${outcome.status}).`}>
          <p>Resume it to carry on where it stopped, or roll it back to put everything as it was.</p>
          {outcome.error && <p>{outcome.error.message}</p>}
        </Notice>
      )}
      <h3 className="sub-title">Steps</h3>
      <ol className="summary-list rotate-steps-result" aria-label="Rotation steps">
        {outcome.steps.map((s) => (
          <li key={s.id} data-step={s.id} data-status={s.status}>
            <Badge tone={STATUS_TONE[s.status]}>{STATUS_LABEL[s.status]}</Badge> {s.title}
            {s.detail && withoutCommands(s.detail) ? <span className="muted"> — {withoutCommands(s.detail)}</span> : null}
          </li>
        ))}
      </ol>
      {outcome.changes.length > 0 && (
        <>
          <h3 className="sub-title">What changed</h3>
          <ul className="summary-list">
            {outcome.changes.map((c, i) => (
              <li key={`${i}-${c.where}`}>
                <code>{c.where}</code>: {c.what}
              </li>
            ))}
          </ul>
        </>
      )}
      {todo.length > 0 && (
        <>
          <h3 className="sub-title">Left for you</h3>
          <ul className="summary-list">
            {todo.map((t) => (
              <li key={t}>{t}</li>
            ))}
          </ul>
        </>
      )}
      {outcome.reportFile && (
        <p className="muted">
          The report is saved in <code>{outcome.reportFile}</code>.
        </p>
      )}
    </div>
  );
}
