import { useState } from 'react';
import type { ConfirmRequest } from '../../../shared/contract/server';
import type { AppError } from '../../../shared/result';
import { invoke } from '../../api';
import { Badge, Button, Dialog, ErrorNotice, Term } from '../../components/ui';
import { keyTypeLabel, shortFingerprint, timeLeft, toMs } from '../../lib/format';
import { useEvent, useNow } from '../../lib/hooks';

/**
 * Shows a modal whenever a confirm-each-use key is asked to sign. Deny is the default
 * (focused, Escape, and what the agent does itself when time runs out).
 */
export function ConfirmHost() {
  const [queue, setQueue] = useState<ConfirmRequest[]>([]);
  useEvent('server:confirm-request', (req) => setQueue((q) => (q.some((r) => r.requestId === req.requestId) ? q : [...q, req])));
  useEvent('server:confirm-closed', (c) => setQueue((q) => q.filter((r) => r.requestId !== c.requestId)));
  const current = queue[0];
  if (!current) return null;
  return <ConfirmModal key={current.requestId} request={current} waiting={queue.length - 1} onDone={() => setQueue((q) => q.filter((r) => r.requestId !== current.requestId))} />;
}

function ConfirmModal({ request, waiting, onDone }: { request: ConfirmRequest; waiting: number; onDone: () => void }) {
  const now = useNow(500);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [passphrase, setPassphrase] = useState('');
  // A smartcard's PIN is asked like a passphrase, in its own words.
  const asksPin = request.kind === 'pin';
  // A FIDO security key's PIN (verify-required keys): the key is shown like any key, the question is a PIN.
  const asksSkPin = request.kind === 'security-key-pin';
  const asksPassphrase = request.kind === 'passphrase' || asksPin || asksSkPin;
  const answer = async (allow: boolean) => {
    setBusy(true);
    const r = await invoke('server:answer-confirm', { requestId: request.requestId, allow, ...(asksPassphrase && allow ? { passphrase } : {}) });
    setPassphrase('');
    setBusy(false);
    if (r.ok) onDone();
    else setError(r.error);
  };
  const left = toMs(request.expiresAt) - now;
  return (
    <Dialog
      title={asksPin ? 'PIN of your smartcard' : asksSkPin ? 'PIN of your security key' : asksPassphrase ? 'Passphrase to decrypt this key' : 'Allow this key to be used?'}
      className="confirm-dialog"
      onClose={() => void answer(false)}
      footer={
        <>
          <Button onClick={() => void answer(false)} busy={busy} data-autofocus>
            Deny
          </Button>
          <Button variant="primary" onClick={() => void answer(true)} disabled={busy || (asksPassphrase && passphrase === '')}>
            {asksPin ? 'Unlock card and sign' : asksSkPin ? 'Sign with the security key' : asksPassphrase ? 'Decrypt and sign' : 'Allow'}
          </Button>
        </>
      }
    >
      <dl className="facts">
        {asksPin ? (
          <>
            <dt>Card</dt>
            <dd>
              <strong>{request.comment || '(no label)'}</strong> through <code>{request.fingerprint}</code>
            </dd>
          </>
        ) : (
          <>
            <dt>Key</dt>
            <dd>
              <Badge tone="accent">{keyTypeLabel(request.keyType)}</Badge> <strong>{request.comment || '(no comment)'}</strong> <code title={request.fingerprint}>{shortFingerprint(request.fingerprint)}</code>
            </dd>
          </>
        )}
        <dt>Asked by</dt>
        <dd>{request.client || 'an unknown program'}</dd>
        <dt>
          <Term explain="The server the program wants to log in to with this key, when the program tells the agent.">Destination</Term>
        </dt>
        <dd>{request.destination ?? 'not told by the program'}</dd>
      </dl>
      {asksPassphrase && (
        <label className="field">
          {asksPin ? "PIN (KeyDock's agent keeps it in memory until the card is removed or the agent is locked)" : asksSkPin ? 'PIN of the security key (used for this signature only; touch the key when it blinks)' : "Passphrase (KeyDock's agent keeps the key decrypted until you re-encrypt it)"}
          <input type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && passphrase !== '' && void answer(true)} />
        </label>
      )}
      <p className="countdown" aria-live="off">
        {left > 0 ? `Denied automatically in ${timeLeft(toMs(request.expiresAt), now)}.` : 'Time is up: the request was denied.'}
      </p>
      {waiting > 0 && <p className="muted">{waiting} more request{waiting === 1 ? '' : 's'} waiting.</p>}
      <p className="muted">Deny if you did not just run git, ssh or another program that uses this key.</p>
      {error && <ErrorNotice error={error} />}
    </Dialog>
  );
}
