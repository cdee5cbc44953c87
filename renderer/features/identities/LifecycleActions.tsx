import { useState } from 'react';
import type { GitSigningSetupResult } from '../../../shared/contract/lifecycle';
import { invoke } from '../../api';
import { Button, ConfirmDialog, Notice } from '../../components/ui';
import { baseName } from '../../lib/format';
import { useAction } from '../../lib/hooks';

/**
 * Rotate and Git commit signing for one key file (lifecycle:* channels). Rotate… asks the keys view
 * to open the rotation dialog (onRotate): it must outlive this pane, whose row goes away when the
 * rotated key is archived.
 */
export function LifecycleActions({ keyPath, name, onRotate }: { keyPath: string; name: string; onRotate: () => void }) {
  const signing = useAction();
  const [askSigning, setAskSigning] = useState(false);
  const [signed, setSigned] = useState<GitSigningSetupResult | null>(null);
  return (
    <>
      <Button aria-haspopup="dialog" onClick={onRotate}>
        Rotate…
      </Button>
      <Button aria-haspopup="dialog" onClick={() => setAskSigning(true)}>
        Sign Git commits with it…
      </Button>
      {signed && (
        <Notice kind={signed.proof.ok ? 'success' : 'warning'} role="status" title={signed.proof.ok ? `Git now signs your commits with ${name}.` : `Git is set up to sign with ${name}, but the test signature failed.`}>
          <p>{signed.proof.detail}</p>
        </Notice>
      )}
      {askSigning && (
        <ConfirmDialog
          title="Sign your Git commits with this key?"
          confirmLabel="Sign commits"
          busy={signing.busy}
          error={signing.error}
          onClose={() => {
            signing.setError(null);
            setAskSigning(false);
          }}
          onConfirm={async () => {
            const r = await signing.run(() => invoke('lifecycle:git-signing-setup', { keyPath, signCommits: true, signTags: false }));
            if (r) {
              setSigned(r);
              setAskSigning(false);
            }
          }}
        >
          <p>
            KeyDock sets your global Git configuration to sign every commit with <code>{baseName(keyPath)}</code>, adds it to your allowed signers, and makes a test signature.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
