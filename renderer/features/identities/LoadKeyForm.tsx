import { useEffect, useId, useRef, useState } from 'react';
import type { KeyFileInfo } from '../../../shared/contract/keys';
import type { Identity } from '../../../shared/models';
import type { AppError } from '../../../shared/result';
import { invoke } from '../../api';
import { useAppState } from '../../app-state';
import { Badge, Button, ErrorNotice, Field, Loading, Notice, Term } from '../../components/ui';
import { windowFix, windowHint } from '../../lib/window-hints';
import { LIFETIME_CHOICES, baseName, keyTypeLabel, shortFingerprint } from '../../lib/format';

const PASSPHRASE_CODES = new Set(['key-passphrase-needed', 'key-wrong-passphrase']);

/**
 * Loads one key file into the agent: shows what the file is, asks for its passphrase when
 * needed, and offers remember-in-keychain, a lifetime and confirm-each-use.
 */
export function LoadKeyForm({ path, agentId, onLoaded, onCancel, submitLabel = 'Add to agent', initialPassphrase = '', askPassphrase = false, rememberDefault = false }: { path: string; agentId?: string; onLoaded: (identity: Identity) => void; onCancel: () => void; submitLabel?: string; initialPassphrase?: string; askPassphrase?: boolean; rememberDefault?: boolean }) {
  const { settings } = useAppState();
  const [info, setInfo] = useState<KeyFileInfo | null>(null);
  const [inspectError, setInspectError] = useState<AppError | null>(null);
  const [passphrase, setPassphrase] = useState(initialPassphrase);
  const [needPassphrase, setNeedPassphrase] = useState(false);
  const [remember, setRemember] = useState(rememberDefault);
  const [lifetime, setLifetime] = useState(settings?.defaultLifetimeMinutes ?? 0);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const formId = useId();
  const formRef = useRef<HTMLFormElement>(null);

  // The form appears once the file is read: its first field takes focus then.
  useEffect(() => {
    const form = formRef.current;
    if (info && form) (form.querySelector<HTMLElement>('[data-autofocus]') ?? form.querySelector<HTMLElement>('input, select'))?.focus();
  }, [info]);

  useEffect(() => {
    let live = true;
    void invoke('keys:inspect-file', { path }).then((r) => {
      if (!live) return;
      if (r.ok) {
        setInfo(r.value);
        setNeedPassphrase(r.value.encrypted && (askPassphrase || !r.value.remembered));
      } else setInspectError(r.error);
    });
    return () => {
      live = false;
    };
  }, [path]);

  const lifetimeChoices = LIFETIME_CHOICES.some((c) => c.minutes === lifetime) ? LIFETIME_CHOICES : [...LIFETIME_CHOICES, { minutes: lifetime, label: `${lifetime} minutes (your default)` }];

  const submit = async () => {
    setBusy(true);
    setError(null);
    const r = await invoke('agent:add-key', {
      agentId,
      path,
      passphrase: needPassphrase ? passphrase : undefined,
      remember: needPassphrase && remember ? true : undefined,
      lifetimeSeconds: lifetime > 0 ? lifetime * 60 : undefined,
      confirm: confirm || undefined,
    });
    setBusy(false);
    if (r.ok) return onLoaded(r.value);
    if (PASSPHRASE_CODES.has(r.error.code)) {
      // A saved passphrase that no longer works, or a file that needs one after all.
      if (!needPassphrase) setNeedPassphrase(true);
      else setError(r.error);
      if (r.error.code === 'key-wrong-passphrase') setError(r.error);
      return;
    }
    setError(r.error);
  };

  if (inspectError) {
    return (
      <div className="load-key">
        <ErrorNotice error={inspectError} title={`Cannot use ${baseName(path)}`}>
          <Button onClick={onCancel}>Choose another file</Button>
        </ErrorNotice>
      </div>
    );
  }
  if (!info) return <Loading label={`Reading ${baseName(path)}…`} />;

  const passError = error && PASSPHRASE_CODES.has(error.code) ? error : null;
  return (
    <form
      ref={formRef}
      id={formId}
      className="load-key"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <dl className="facts">
        <dt>File</dt>
        <dd>
          <code>{info.path}</code>
        </dd>
        <dt>Key</dt>
        <dd>
          <Badge tone="accent">{keyTypeLabel(info.type, info.bits)}</Badge> {info.comment || '(no comment)'}
        </dd>
        <dt>Fingerprint</dt>
        <dd>
          <code title={info.fingerprint}>{shortFingerprint(info.fingerprint)}</code>
        </dd>
      </dl>
      {info.findings.map((f) => (
        <Notice key={f.code} kind={f.severity === 'info' ? 'info' : 'warning'} title={f.message}>
          <p>{windowFix(f.code, f.fix)}</p>
        </Notice>
      ))}
      {info.encrypted && !needPassphrase && <Notice kind="success" title="Its passphrase is saved in your keychain, so you don't need to type it." />}
      {needPassphrase && (
        <>
          <Field
            label={`Passphrase for ${baseName(info.path)}`}
            hint="The passphrase you chose when the key was made. It goes to KeyDock once and is never shown again."
            error={passError ? `${passError.message} ${windowHint(passError)}` : null}
          >
            {(p) => <input {...p} type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} data-autofocus />}
          </Field>
          <label className="check">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
            <span>
              Remember the passphrase in my{' '}
              <Term explain="Your operating system's password store (Keychain, Credential Manager or GNOME Keyring). KeyDock can then load this key without asking.">keychain</Term>
            </span>
          </label>
        </>
      )}
      <Field label="Keep the key loaded" hint="After this time the agent forgets the key; the file stays on disk.">
        {(p) => (
          <select {...p} value={lifetime} onChange={(e) => setLifetime(Number(e.target.value))}>
            {lifetimeChoices.map((c) => (
              <option key={c.minutes} value={c.minutes}>
                {c.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <label className="check">
        <input type="checkbox" checked={confirm} onChange={(e) => setConfirm(e.target.checked)} />
        <span>Ask me before each use of this key</span>
      </label>
      {error && !passError && <ErrorNotice error={error} />}
      <div className="form-actions">
        <Button onClick={onCancel}>Cancel</Button>
        <Button variant="primary" type="submit" busy={busy}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
