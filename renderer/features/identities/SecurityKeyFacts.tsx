import type { SecurityKeyInfo } from '../../../shared/models';
import { Badge, Button, Notice } from '../../components/ui';
import { useAppState } from '../../app-state';
import type { KeyRowModel } from '../../lib/key-rows';

/** The security-key facts of a row: from its file when there is one (flags known), else from an agent's listing (application only). */
export function securityKeyOf(row: KeyRowModel): SecurityKeyInfo | null {
  return row.file?.securityKey ?? row.identities.find((i) => i.securityKey)?.securityKey ?? null;
}

/** What a signature with this FIDO key needs, in a few words. */
function needs(sk: SecurityKeyInfo): string[] {
  if (sk.touchRequired === null) return [];
  return [sk.touchRequired ? 'Needs a touch' : 'No touch needed', ...(sk.pinRequired ? ['Needs PIN'] : []), ...(sk.resident ? ['Resident'] : [])];
}

/**
 * FIDO (sk-) keys in the key details (docs/hardware-keys.md): a pill saying what each signature
 * needs, the application string, and, where KeyDock's own agent has no FIDO provider on this
 * system, a note with the way that works instead.
 */
export function SecurityKeyFacts({ row }: { row: KeyRowModel }) {
  const { navigate } = useAppState();
  const sk = securityKeyOf(row);
  if (!sk) return null;
  const words = needs(sk);
  return (
    <div className="security-key" data-testid="security-key">
      <p>
        <Badge tone="accent" className="pill pill-security-key">
          Security key
        </Badge>{' '}
        {words.map((w) => (
          <Badge key={w} tone={w === 'No touch needed' ? 'neutral' : 'warning'}>
            {w}
          </Badge>
        ))}{' '}
        <span className="muted">
          application <code>{sk.application}</code>
          {sk.touchRequired === null && (row.file ? ' · touch and PIN needs show once the passphrase is given' : ' · listed by an agent')}
        </span>
      </p>
      {row.file && sk.provider === null && (
        <Notice kind="info" title="KeyDock's own agent cannot sign with this security key on this computer">
          <p>
            No FIDO provider library is installed here for KeyDock's agent. Choose OpenSSH's agent in Settings (it talks to the security key itself) and load the key
            there, or make a key that is not on a security key.
          </p>
          <Button onClick={() => navigate('settings')}>Choose another agent</Button> <Button onClick={() => navigate('setup')}>Make a new key</Button>
        </Notice>
      )}
    </div>
  );
}
