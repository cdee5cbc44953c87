import { useContext, useEffect, useId, useRef, useState, type ButtonHTMLAttributes, type ReactNode, type Ref } from 'react';
import type { AppError } from '../../shared/result';
import { invoke } from '../api';
import { AppStateContext } from '../app-state';
import { copyText } from '../lib/clipboard';
import { windowHint } from '../lib/window-hints';

// The small component set every view is built from: buttons, notices, states, dialogs.

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';

/** A button with a busy state that keeps its size and tells screen readers it is working. */
export function Button({ variant = 'secondary', busy = false, children, className, disabled, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean; ref?: Ref<HTMLButtonElement> }) {
  return (
    <button type="button" className={`btn btn-${variant}${className ? ' ' + className : ''}`} disabled={disabled || busy} aria-busy={busy || undefined} {...rest}>
      {busy && <span className="spinner" aria-hidden="true" />}
      {children}
    </button>
  );
}

/** Error codes whose fix is starting KeyDock's own agent. */
const START_AGENT_CODES = new Set(['agent-unreachable', 'agent-connection-lost']);

/**
 * Shows a failure as words plus what to do next, with a button when the window can do the fix
 * itself; the code stays out of sight (data-code for tests). Hints never name a command.
 */
export function ErrorNotice({ error, title, onRetry, children }: { error: AppError; title?: string; onRetry?: () => void; children?: ReactNode }) {
  const hint = windowHint(error);
  const startAgent = START_AGENT_CODES.has(error.code);
  return (
    <div className="notice notice-error" role="alert" data-code={error.code}>
      <p className="notice-title">{title ? `${title}: ${error.message}` : error.message}</p>
      {hint && <p className="notice-hint">{hint}</p>}
      {(onRetry || children || startAgent) && (
        <div className="notice-actions">
          {startAgent && <StartAgentButton onStarted={onRetry} />}
          {children}
          {onRetry && <Button onClick={onRetry}>Try again</Button>}
        </div>
      )}
    </div>
  );
}

/** Starts KeyDock's own agent, makes it the managed one and keeps it on; the fix for "no agent". */
export function StartAgentButton({ onStarted, variant = 'primary' }: { onStarted?: () => void; variant?: Variant }) {
  const app = useContext(AppStateContext);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const start = async () => {
    setBusy(true);
    setError(null);
    const r = await invoke('server:start-agent', {});
    if (!r.ok) {
      setBusy(false);
      return setError(r.error);
    }
    // Kept on from now on; then managed (an agent's id is its socket path).
    await app?.updateSettings({ runOwnAgent: true });
    if (r.value.socketPath) {
      const sel = await invoke('agent:select-agent', { agentId: r.value.socketPath });
      if (!sel.ok) setError(sel.error);
    }
    setBusy(false);
    onStarted?.();
  };
  return (
    <>
      <Button variant={variant} busy={busy} onClick={() => void start()}>
        Start KeyDock's agent
      </Button>
      {error && (
        <span className="notice-hint" role="alert">
          {error.message} {windowHint(error)}
        </span>
      )}
    </>
  );
}

export function Notice({ kind = 'info', title, children, role }: { kind?: 'info' | 'warning' | 'success'; title?: ReactNode; children?: ReactNode; role?: 'status' | 'note' }) {
  return (
    <div className={`notice notice-${kind}`} role={role}>
      {title && <p className="notice-title">{title}</p>}
      {children}
    </div>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <div className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}

export function Badge({ children, tone = 'neutral', title, className }: { children: ReactNode; tone?: 'neutral' | 'accent' | 'warning' | 'danger' | 'success'; title?: string; className?: string }) {
  return (
    <span className={`badge badge-${tone}${className ? ' ' + className : ''}`} title={title}>
      {children}
    </span>
  );
}

/** A word that needs explaining: focusable, with its explanation shown on hover and focus. */
export function Term({ children, explain }: { children: ReactNode; explain: string }) {
  const id = useId();
  return (
    <span className="term" tabIndex={0} aria-describedby={id}>
      {children}
      <span role="tooltip" id={id} className="tooltip">
        {explain}
      </span>
    </span>
  );
}

/** Copies a value and says so in a polite live region. */
export function CopyButton({ text, label = 'Copy', what, variant = 'ghost' }: { text: string; label?: string; what: string; variant?: Variant }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = window.setTimeout(() => setState('idle'), 2500);
    return () => window.clearTimeout(t);
  }, [state]);
  return (
    <span className="copy">
      <Button variant={variant} aria-label={what ? `${label} ${what}` : undefined} onClick={async () => setState((await copyText(text)) ? 'copied' : 'failed')}>
        {label}
      </Button>
      <span className="copy-status" role="status">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text and copy it by hand' : ''}
      </span>
    </span>
  );
}

const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

/**
 * A modal built on <dialog>: the browser traps focus and handles Escape; we move focus to
 * the element marked autoFocus (or the first control) and give it back on close.
 */
export function Dialog({ title, onClose, children, footer, className, labelledBy }: { title: string; onClose: () => void; children: ReactNode; footer?: ReactNode; className?: string; labelledBy?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const previous = document.activeElement as HTMLElement | null;
    if (!el.open) el.showModal();
    const focusTarget = el.querySelector<HTMLElement>('[data-autofocus]') ?? el.querySelector<HTMLElement>('input, select, textarea, button:not(.dialog-close)');
    focusTarget?.focus();
    return () => {
      if (el.open) el.close();
      previous?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={`dialog${className ? ' ' + className : ''}`}
      aria-labelledby={labelledBy ?? titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onKeyDown={(e) => {
        // Tab and Shift+Tab go round inside the dialog; focus never leaves a modal.
        if (e.key !== 'Tab' || !ref.current) return;
        const items = Array.from(ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => !el.hasAttribute('disabled') && el.offsetParent !== null);
        const first = items[0];
        const last = items[items.length - 1];
        if (!first || !last) return;
        if (e.shiftKey && (document.activeElement === first || !ref.current.contains(document.activeElement))) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }}
    >
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="dialog-close" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="dialog-body">{children}</div>
      {footer && <div className="dialog-foot">{footer}</div>}
    </dialog>
  );
}

/** A yes/no question before something that cannot be undone. */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onClose, error, busy }: { title: string; children: ReactNode; confirmLabel: string; onConfirm: () => void; onClose: () => void; error?: AppError | null; busy?: boolean }) {
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose} data-autofocus>
            Cancel
          </Button>
          <Button variant="danger" busy={busy} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      {children}
      {error && <ErrorNotice error={error} />}
    </Dialog>
  );
}

export function Field({ label, hint, error, children, id }: { label: ReactNode; hint?: ReactNode; error?: string | null; children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode; id?: string }) {
  const auto = useId();
  const fieldId = id ?? auto;
  const hintId = `${fieldId}-hint`;
  const errId = `${fieldId}-err`;
  const describedBy = [hint ? hintId : null, error ? errId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={fieldId}>{label}</label>
      {children({ id: fieldId, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {hint && (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={errId} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

let headingFocusWanted = false;

/** Asks the next page heading that appears to take focus (after a navigation). */
export function requestHeadingFocus(): void {
  headingFocusWanted = true;
  const h = document.querySelector<HTMLElement>('main .page-title');
  // A heading that is not drawn (a view still on its way out) cannot take focus: wait for the new one.
  if (h && h.getClientRects().length > 0) {
    headingFocusWanted = false;
    h.focus();
  }
}

export function PageHeader({ title, children, lead }: { title: string; lead?: ReactNode; children?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (headingFocusWanted && ref.current) {
      headingFocusWanted = false;
      ref.current.focus();
    }
  }, []);
  return (
    <header className="page-head">
      <div>
        <h1 ref={ref} id="view-title" tabIndex={-1} className="page-title">
          {title}
        </h1>
        {lead && <p className="page-lead">{lead}</p>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </header>
  );
}
