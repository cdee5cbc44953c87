import { useState } from 'react';
import { invoke } from '../../api';
import { Button, Dialog, ErrorNotice, Field } from '../../components/ui';
import { useAction } from '../../lib/hooks';

/** Lock (password twice) or unlock (once) the managed agent. */
export function LockDialog({ mode, agentId, onClose, onDone }: { mode: 'lock' | 'unlock'; agentId?: string; onClose: () => void; onDone: () => void }) {
  const [pass, setPass] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState<string | null>(null);
  const action = useAction();
  const submit = async () => {
    if (!pass) return setMismatch('Type a password.');
    if (mode === 'lock' && pass !== repeat) return setMismatch('The two passwords differ.');
    setMismatch(null);
    const r = await action.run(() => invoke(mode === 'lock' ? 'agent:lock' : 'agent:unlock', { agentId, passphrase: pass }));
    if (r) onDone();
  };
  return (
    <Dialog
      title={mode === 'lock' ? 'Lock the agent' : 'Unlock the agent'}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" busy={action.busy} type="submit" form="lock-form">
            {mode === 'lock' ? 'Lock' : 'Unlock'}
          </Button>
        </>
      }
    >
      <form
        id="lock-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p>
          {mode === 'lock'
            ? 'While locked, the agent keeps your keys but refuses to use them. Choose a password to unlock it later; it is not saved anywhere.'
            : 'Type the password you chose when you locked the agent.'}
        </p>
        <Field label="Password" error={mode === 'unlock' ? mismatch : null}>
          {(p) => <input {...p} type="password" autoComplete="off" value={pass} onChange={(e) => setPass(e.target.value)} data-autofocus />}
        </Field>
        {mode === 'lock' && (
          <Field label="Repeat password" error={mismatch}>
            {(p) => <input {...p} type="password" autoComplete="off" value={repeat} onChange={(e) => setRepeat(e.target.value)} />}
          </Field>
        )}
        {action.error && <ErrorNotice error={action.error} />}
      </form>
    </Dialog>
  );
}
