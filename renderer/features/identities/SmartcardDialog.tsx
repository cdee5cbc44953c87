import { useEffect, useId, useState } from 'react';
import type { SmartcardProvider } from '../../../shared/contract/smartcard';
import { invoke } from '../../api';
import { Button, Dialog, ErrorNotice, Field } from '../../components/ui';
import { useAction } from '../../lib/hooks';

/** The "Add smartcard…" button with its dialog; focus goes back to the button when the dialog closes. */
export function SmartcardButton({ agentId, onAdded }: { agentId?: string; onAdded: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button onClick={() => setOpen(true)}>Add smartcard…</Button>
      {open && <SmartcardDialog agentId={agentId} onClose={() => setOpen(false)} onAdded={onAdded} />}
    </>
  );
}

/**
 * "Add smartcard…": a PKCS#11 token (smartcard, YubiKey PIV, CAC) into the managed agent
 * (docs/hardware-keys.md). The provider is picked from the libraries found here or typed; the PIN
 * goes to main once and is never shown again; remembering it in the keychain is off unless asked.
 */
export function SmartcardDialog({ agentId, onClose, onAdded }: { agentId?: string; onClose: () => void; onAdded: () => void }) {
  const [providers, setProviders] = useState<SmartcardProvider[] | null>(null);
  const [provider, setProvider] = useState('');
  const [pin, setPin] = useState('');
  const [remember, setRemember] = useState(false);
  const [missing, setMissing] = useState<string | null>(null);
  const [removed, setRemoved] = useState<string | null>(null);
  const action = useAction();
  const listId = useId();

  useEffect(() => {
    let live = true;
    void invoke('smartcard:list-providers', {}).then((r) => {
      if (!live || !r.ok) return;
      setProviders(r.value);
      const first = r.value.find((p) => p.found);
      if (first) setProvider((cur) => cur || first.path);
    });
    return () => {
      live = false;
    };
  }, []);

  const found = providers?.filter((p) => p.found) ?? [];

  const add = async () => {
    if (!provider.trim()) return setMissing('Choose or type the provider library of your card.');
    setMissing(null);
    setRemoved(null);
    const r = await action.run(() => invoke('smartcard:add', { agentId, provider: provider.trim(), pin, remember }));
    setPin('');
    if (r) {
      onAdded();
      onClose();
    }
  };

  const remove = async () => {
    if (!provider.trim()) return setMissing('Choose or type the provider library of the card to remove.');
    setMissing(null);
    const r = await action.run(() => invoke('smartcard:remove', { agentId, provider: provider.trim() }));
    if (r) {
      setRemoved(provider.trim());
      onAdded();
    }
  };

  return (
    <Dialog
      title="Add a smartcard"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button onClick={() => void remove()} disabled={action.busy}>
            Remove card
          </Button>
          <Button variant="primary" busy={action.busy} type="submit" form="smartcard-form">
            Add card
          </Button>
        </>
      }
    >
      <form
        id="smartcard-form"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <p>
          Keys on a smartcard, a YubiKey (PIV) or a CAC card stay on the card: the agent asks the card to sign. Pick the card’s provider library
          (its middleware, such as OpenSC) and type the card’s PIN.
        </p>
        <Field
          label="Provider library"
          error={missing}
          hint={providers === null ? 'Looking for provider libraries…' : found.length === 0 ? 'None found in the usual places: install OpenSC or the Yubico PIV tool, or type the path of your card vendor’s library.' : `${found.length} found on this computer; you can also type a path.`}
        >
          {(p) => (
            <>
              <input {...p} type="text" list={listId} spellCheck={false} autoComplete="off" value={provider} onChange={(e) => setProvider(e.target.value)} data-autofocus />
              <datalist id={listId}>
                {found.map((f) => (
                  <option key={f.path} value={f.path}>
                    {f.name}
                  </option>
                ))}
              </datalist>
            </>
          )}
        </Field>
        <Field label="PIN" hint="Leave empty to use a PIN you asked KeyDock to remember for this provider, or for a card with its own PIN pad.">
          {(p) => <input {...p} type="password" autoComplete="off" value={pin} onChange={(e) => setPin(e.target.value)} />}
        </Field>
        <label className="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          <span>Remember the PIN in my keychain</span>
        </label>
        {removed && (
          <p className="notice" role="status">
            Removed the keys of {removed} from the agent.
          </p>
        )}
        {action.error && <ErrorNotice error={action.error} />}
      </form>
    </Dialog>
  );
}
