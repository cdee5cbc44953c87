import { useState, type DragEvent } from 'react';
import type { Identity } from '../../../shared/models';
import type { AppError } from '../../../shared/result';
import { invoke, pathForDroppedFile } from '../../api';
import { Badge, Button, Dialog, EmptyState, ErrorNotice, Loading, Notice } from '../../components/ui';
import { baseName, keyTypeLabel } from '../../lib/format';
import { useAction, useChannel } from '../../lib/hooks';
import { LoadKeyForm } from './LoadKeyForm';

/** Choose key files (from ~/.ssh, the open dialog, or by dropping them) and load each one. */
export function AddKeyDialog({ agentId, onClose, onAdded }: { agentId?: string; onClose: () => void; onAdded: (identity: Identity) => void }) {
  const files = useChannel('keys:list-files', {});
  const pick = useAction();
  const [queue, setQueue] = useState<string[]>([]);
  const [dropNote, setDropNote] = useState<AppError | null>(null);
  const [dragging, setDragging] = useState(false);
  const [added, setAdded] = useState<string[]>([]);
  const current = queue[0];

  const choose = async () => {
    const paths = await pick.run(() => invoke('keys:pick-files', {}));
    if (paths && paths.length) setQueue(paths);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const dropped = Array.from(e.dataTransfer.files);
    if (!dropped.length) return;
    const paths = dropped.map((f) => pathForDroppedFile(f));
    if (paths.some((p) => !p)) {
      setDropNote({
        code: 'ui-drop-no-path',
        message: 'In a browser window KeyDock cannot see where a dropped file is stored.',
        hint: 'Pick the key from the list of keys in your .ssh folder, or use "Choose files…".',
      });
      return;
    }
    setDropNote(null);
    setQueue(paths as string[]);
  };

  const next = (identity?: Identity) => {
    if (identity) {
      setAdded((a) => [...a, identity.comment || identity.fingerprint]);
      onAdded(identity);
    }
    const rest = queue.slice(1);
    setQueue(rest);
    if (identity && rest.length === 0) onClose();
  };

  return (
    <Dialog title={current ? `Add ${baseName(current)}` : 'Add keys'} onClose={onClose} className="dialog-wide">
      {added.length > 0 && <Notice kind="success" role="status" title={`Added: ${added.join(', ')}`} />}
      {current ? (
        <LoadKeyForm key={current} path={current} agentId={agentId} onLoaded={(id) => next(id)} onCancel={() => next()} />
      ) : (
        <div className="add-choose">
          <section aria-labelledby="found-keys-title">
            <h3 id="found-keys-title">Keys in your .ssh folder</h3>
            {files.status === 'loading' && !files.data && <Loading label="Looking for keys…" />}
            {files.status === 'error' && <ErrorNotice error={files.error} onRetry={() => void files.reload()} />}
            {files.data && files.data.length === 0 && (
              <EmptyState title="No key files found in your .ssh folder.">
                <p>Make a new key with the setup walkthrough, or choose a key file stored elsewhere.</p>
              </EmptyState>
            )}
            {files.data && files.data.length > 0 && (
              <ul className="file-list">
                {files.data.map((f) => (
                  <li key={f.path}>
                    <Button className="file-pick" onClick={() => setQueue([f.path])} aria-label={`Add ${baseName(f.path)}${f.comment ? ` (${f.comment})` : ''}`}>
                      <span className="file-name">{baseName(f.path)}</span>
                      <Badge tone="accent">{keyTypeLabel(f.type, f.bits)}</Badge>
                      <span className="file-comment">{f.comment}</span>
                      {f.loaded && <Badge tone="success">loaded</Badge>}
                      {f.remembered && <Badge tone="neutral">passphrase saved</Badge>}
                    </Button>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="other-keys-title">
            <h3 id="other-keys-title">Another key file</h3>
            <div
              className={`drop-zone${dragging ? ' drop-active' : ''}`}
              onDragOver={(e) => {
                e.preventDefault();
                setDragging(true);
              }}
              onDragLeave={() => setDragging(false)}
              onDrop={onDrop}
            >
              <p>Drop key files here (OpenSSH, PEM or PuTTY .ppk), or</p>
              <Button variant="primary" onClick={() => void choose()} busy={pick.busy}>
                Choose files…
              </Button>
            </div>
            {pick.error && <ErrorNotice error={pick.error} />}
            {dropNote && <ErrorNotice error={dropNote} />}
          </section>
        </div>
      )}
    </Dialog>
  );
}
