import { useEffect, useRef, useState } from 'react';
import type { PublishOutcome } from '../../../shared/contract/publish';
import type { AppError } from '../../../shared/result';
import { invoke } from '../../api';
import { Button, Dialog, ErrorNotice, Field, Notice } from '../../components/ui';

export type Provider = 'github' | 'gitlab' | 'bitbucket';
export type Kind = 'account' | 'signing' | 'deploy';
type Stage =
  | { step: 'choose' }
  | { step: 'device'; sessionId: string; userCode: string; url: string; interval: number }
  | { step: 'token'; sessionId: string; url: string; needsUsername: boolean }
  | { step: 'publishing' }
  | { step: 'done'; summary: string; page: string };

const PROVIDERS: Array<{ id: Provider; label: string }> = [
  { id: 'github', label: 'GitHub' },
  { id: 'gitlab', label: 'GitLab' },
  { id: 'bitbucket', label: 'Bitbucket' },
];

/**
 * "Add it for me": sign in to a Git host and add this key's public half there. INITIAL presets
 * the choices (a rotation's waiting Git host); ON-PUBLISHED hears about a key that is there.
 */
export function PublishDialog({
  keyPath,
  name,
  onClose,
  initial,
  onPublished,
  autoStart = false,
  test = true,
}: {
  keyPath: string;
  name: string;
  onClose: () => void;
  initial?: { provider?: Provider; kind?: Kind; repo?: string; api?: string };
  onPublished?: (outcome: PublishOutcome) => void;
  /** The choices are made already (the walkthrough): sign in at once. */
  autoStart?: boolean;
  /** Run the connection test after adding (the walkthrough runs its own). */
  test?: boolean;
}) {
  const [provider, setProvider] = useState<Provider>(initial?.provider ?? 'github');
  const [kind, setKind] = useState<Kind>(initial?.kind ?? 'account');
  const [repo, setRepo] = useState(initial?.repo ?? '');
  const [api, setApi] = useState(initial?.api ?? '');
  // Bitbucket Cloud only: no server of your own.
  const apiUrl = provider === 'bitbucket' ? undefined : api.trim() || undefined;
  const [token, setToken] = useState('');
  const [username, setUsername] = useState('');
  const [stage, setStage] = useState<Stage>({ step: 'choose' });
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);
  const live = useRef(true);
  useEffect(
    () => () => {
      live.current = false;
    },
    [],
  );

  const publish = async () => {
    setStage({ step: 'publishing' });
    const r = await invoke('publish:publish-key', { provider, api: apiUrl, keyPath, kind, repo: kind === 'deploy' ? repo.trim() : undefined, test });
    if (!live.current) return;
    if (r.ok) {
      setStage({ step: 'done', summary: r.value.summary, page: r.value.keysPage });
      onPublished?.(r.value);
    }
    else {
      setError(r.error);
      setStage({ step: 'choose' });
    }
  };

  const poll = async (sessionId: string, interval: number) => {
    while (live.current) {
      await new Promise((res) => window.setTimeout(res, Math.max(1, interval) * 1000));
      if (!live.current) return;
      const r = await invoke('publish:poll-sign-in', { sessionId });
      if (!r.ok) {
        setError(r.error);
        return setStage({ step: 'choose' });
      }
      if (r.value.state === 'signed-in') return publish();
      interval = r.value.retryAfter;
    }
  };

  const start = async () => {
    setError(null);
    setBusy(true);
    const r = await invoke('publish:start-sign-in', { provider, kind, api: apiUrl });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    const a = r.value;
    if (a.state === 'signed-in') return publish();
    if (a.state === 'device') {
      setStage({ step: 'device', sessionId: a.sessionId, userCode: a.userCode, url: a.verificationUri, interval: a.interval });
      return void poll(a.sessionId, a.interval);
    }
    setStage({ step: 'token', sessionId: a.sessionId, url: a.tokenUrl, needsUsername: a.needsUsername });
  };

  const autoStarted = useRef(false);
  useEffect(() => {
    if (!autoStart || autoStarted.current) return;
    autoStarted.current = true;
    void start();
    // Once, when the dialog opens with its choices made.
  }, [autoStart]);

  const sendToken = async (sessionId: string) => {
    setError(null);
    setBusy(true);
    const r = await invoke('publish:poll-sign-in', { sessionId, token: token.trim(), username: username.trim() || undefined });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    if (r.value.state === 'signed-in') void publish();
  };

  const footer =
    stage.step === 'choose' ? (
      <>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="primary" type="submit" form="publish-form" busy={busy}>
          Sign in and add
        </Button>
      </>
    ) : stage.step === 'token' ? (
      <>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="primary" type="submit" form="publish-token-form" busy={busy}>
          Add the key
        </Button>
      </>
    ) : (
      <Button variant={stage.step === 'done' ? 'primary' : 'secondary'} onClick={onClose}>
        {stage.step === 'done' ? 'Done' : 'Cancel'}
      </Button>
    );

  return (
    <Dialog title={`Add ${name} to a Git host`} onClose={onClose} footer={footer}>
      {stage.step === 'choose' && (
        <form
          id="publish-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (kind === 'deploy' && !/^[^/\s]+\/[^/\s]+$/.test(repo.trim())) return setError({ code: 'ui-repo', message: 'Type the repository as OWNER/NAME.', hint: '' });
            void start();
          }}
        >
          <Field label="Git host">
            {(p) => (
              <select {...p} value={provider} onChange={(e) => setProvider(e.target.value as Provider)} data-autofocus>
                {PROVIDERS.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Add it as">
            {(p) => (
              <select {...p} value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
                <option value="account">A key of my account (push and pull everywhere I can)</option>
                <option value="signing">A signing key (verified commits)</option>
                <option value="deploy">A deploy key of one repository</option>
              </select>
            )}
          </Field>
          {kind === 'deploy' && (
            <Field label="Repository" hint="OWNER/NAME, for example octo-org/website.">
              {(p) => <input {...p} type="text" spellCheck={false} value={repo} onChange={(e) => setRepo(e.target.value)} />}
            </Field>
          )}
          {provider !== 'bitbucket' && (
            <Field label="Your own server (optional)" hint={`Only for ${provider === 'github' ? 'GitHub Enterprise' : 'a self-managed GitLab'}: its address, for example https://${provider}.example.com. Leave empty for ${provider === 'github' ? 'github.com' : 'gitlab.com'}.`}>
              {(p) => <input {...p} type="url" spellCheck={false} value={api} onChange={(e) => setApi(e.target.value)} />}
            </Field>
          )}
        </form>
      )}
      {stage.step === 'device' && (
        <div role="status">
          <p>
            <a href={stage.url} target="_blank" rel="noreferrer">
              Open the sign-in page
            </a>{' '}
            ({stage.url}) and type this code:
          </p>
          <p className="device-code">
            <code>{stage.userCode}</code>
          </p>
          <p className="muted">KeyDock waits for you to allow it, then adds the key.</p>
        </div>
      )}
      {stage.step === 'token' && (
        <form
          id="publish-token-form"
          onSubmit={(e) => {
            e.preventDefault();
            void sendToken(stage.sessionId);
          }}
        >
          <p>
            Create an access token on{' '}
            <a href={stage.url} target="_blank" rel="noreferrer">
              your account's token page
            </a>{' '}
            and paste it here. KeyDock keeps it in your keychain.
          </p>
          {stage.needsUsername && <Field label="User name or e-mail">{(p) => <input {...p} type="text" value={username} onChange={(e) => setUsername(e.target.value)} data-autofocus />}</Field>}
          <Field label="Access token">{(p) => <input {...p} type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} data-autofocus={!stage.needsUsername || undefined} />}</Field>
        </form>
      )}
      {stage.step === 'publishing' && <p role="status">Adding the key and testing it…</p>}
      {stage.step === 'done' && (
        <Notice kind="success" role="status" title={stage.summary}>
          <p>
            <a href={stage.page} target="_blank" rel="noreferrer">
              See it on the host's keys page
            </a>
          </p>
        </Notice>
      )}
      {error && <ErrorNotice error={error} />}
    </Dialog>
  );
}
