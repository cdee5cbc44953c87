import type { Identity } from '../../../shared/models';
import { Badge, Button, CopyButton, Term } from '../../components/ui';
import { baseName, keyTypeLabel, shortFingerprint, timeLeft, toMs } from '../../lib/format';

/** One loaded key: what it is, how it is restricted, where it came from, and Remove. */
export function KeyRow({ identity, now, onRemove, disabled }: { identity: Identity; now: number; onRemove: () => void; disabled?: boolean }) {
  const c = identity.constraints ?? {};
  const name = identity.comment || '(no comment)';
  return (
    <li className="key-row" data-fingerprint={identity.fingerprint}>
      <div className="key-main">
        <Badge tone="accent" title={identity.type}>
          {keyTypeLabel(identity.type, identity.bits)}
        </Badge>
        {identity.isCertificate && (
          <Badge tone="neutral">
            <Term explain="A certificate is a key signed by your organisation; servers that trust the organisation accept it without adding the key to each server.">certificate</Term>
          </Badge>
        )}
        <span className="key-comment">{name}</span>
      </div>
      <div className="key-meta">
        <span className="key-fp">
          <Term explain="A fingerprint is a short, unique summary of a key. Compare it with what a website or server shows to check it is the same key.">Fingerprint</Term>{' '}
          <code title={identity.fingerprint}>{shortFingerprint(identity.fingerprint)}</code>
          <CopyButton text={identity.fingerprint} what={`fingerprint of ${name}`} />
        </span>
        <span className="key-constraints">
          {typeof c.expiresAt === 'number' && <Badge tone="warning">Removed in {timeLeft(toMs(c.expiresAt), now)}</Badge>}
          {c.confirm && (
            <Badge tone="warning">
              <Term explain="KeyDock or the agent asks you before this key is used each time.">Asks before each use</Term>
            </Badge>
          )}
          {c.destinations && c.destinations.length > 0 && (
            <Badge tone="neutral" title={c.destinations.join(', ')}>
              Only for: {c.destinations.join(', ')}
            </Badge>
          )}
        </span>
        {identity.sourceFile && (
          <span className="key-source" title={identity.sourceFile}>
            From file <code>{baseName(identity.sourceFile)}</code>
          </span>
        )}
      </div>
      <div className="key-actions">
        <Button variant="ghost" onClick={onRemove} disabled={disabled} aria-label={`Remove ${name} from the agent`}>
          Remove
        </Button>
      </div>
    </li>
  );
}
