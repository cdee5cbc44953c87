import { Dialog } from '../../components/ui';
import { baseName } from '../../lib/format';
import { LoadKeyForm } from './LoadKeyForm';

/** Load one key file: its passphrase (when it has one), lifetime and confirm choices. */
export function LoadKeyDialog({ path, agentId, remember, onClose, onLoaded }: { path: string; agentId?: string; remember?: boolean; onClose: () => void; onLoaded: () => void }) {
  return (
    <Dialog title={`Load ${baseName(path)}`} onClose={onClose} className="dialog-wide">
      <LoadKeyForm path={path} agentId={agentId} askPassphrase={remember} rememberDefault={remember} submitLabel="Load" onLoaded={() => onLoaded()} onCancel={onClose} />
    </Dialog>
  );
}
