import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Settings } from '../../../shared/contract/app';
import { invoke } from '../../api';
import { useAppState } from '../../app-state';
import { Button, CopyButton, ErrorNotice, Field, Loading, Notice, PageHeader, Term } from '../../components/ui';
import { baseName } from '../../lib/format';
import { useAction, useChannel } from '../../lib/hooks';
import { windowHint } from '../../lib/window-hints';
import { passphraseStrength } from '../../lib/strength';
import { LoadKeyForm } from '../identities/LoadKeyForm';
import { PublishDialog } from '../identities/PublishDialog';
import { StepList, TestResult } from '../tester/TestResult';
import { useConnectionTest } from '../tester/useConnectionTest';
import { INSTRUCTIONS, deployKeyUrl } from './instructions';

const STEPS = ['Choose where', 'Make a key', 'Load it', 'Add it to the site', 'Test'];

type Progress = NonNullable<Settings['setupProgress']>;

interface Finished {
  providerName: string;
  host: string;
  keyPath: string;
  /** The Host entry written to ~/.ssh/config, if any. */
  hostEntry: HostEntryDone | null;
}

/** A Host entry the walkthrough wrote: the account's host, or a deploy key's own alias. */
interface HostEntryDone {
  entry: string;
  /** A deploy key's alias (HOST-OWNER-REPO), null for the account's host entry. */
  alias: string | null;
  repo: string | null;
  /** The next step the summary shows. */
  clone: string | null;
}

/** The SSH host of a configured server's API address (what the endpoint table connects to). */
function apiHost(api: string): string | null {
  try {
    return new URL(api).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return null;
  }
}

/** The names ssh tries by itself; any other key needs a Host entry (or the agent) to be found. */
const DEFAULT_KEY_NAMES = new Set(['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa']);

function tildePath(path: string): string {
  const m = /^(\/home\/[^/]+|\/Users\/[^/]+|\/root|[A-Za-z]:\\Users\\[^\\]+)(?=[\\/])/.exec(path);
  return m ? '~' + path.slice(m[1]!.length).replaceAll('\\', '/') : path;
}

/**
 * First-time setup: provider → new ed25519 key → load it → paste the public key on the
 * provider's page → test until it works. Progress is saved in settings after each step,
 * so closing the window half-way resumes at the same step.
 */
export function SetupView() {
  const { settings, updateSettings, navigate } = useAppState();
  const presets = useChannel('tester:list-presets', {});
  const [progress, setProgress] = useState<Progress | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const passphrase = useRef('');
  const started = useRef(false);
  // The step a saved walkthrough was resumed at; null on a fresh start.
  const resumedAt = useRef<number | null>(null);
  const panel = useRef<HTMLDivElement>(null);
  const [finished, setFinished] = useState<Finished | null>(null);
  const [hostEntry, setHostEntry] = useState<HostEntryDone | null>(null);

  useEffect(() => {
    if (started.current || !settings) return;
    started.current = true;
    const saved = settings.setupProgress;
    if (saved && saved.step > 0) resumedAt.current = saved.step;
    setProgress(saved ?? { provider: null, step: 0, keyPath: null });
  }, [settings]);

  // Each new step takes focus at its first field (or its heading when it has none).
  const shownStep = progress?.step;
  const firstStep = useRef(true);
  useEffect(() => {
    if (shownStep === undefined) return;
    if (firstStep.current) {
      firstStep.current = false;
      return;
    }
    const root = panel.current;
    if (!root) return;
    const target =
      root.querySelector<HTMLElement>('[data-autofocus]') ??
      root.querySelector<HTMLElement>('input:not([type="hidden"]):not([readonly]), select, textarea:not([readonly]), button') ??
      root.querySelector<HTMLElement>('h2');
    target?.focus();
  }, [shownStep, finished]);

  const go = async (next: Progress | null) => {
    setProgress(next ?? { provider: null, step: 0, keyPath: null });
    const err = await updateSettings({ setupProgress: next });
    setSaveError(err ? `${err.message} ${windowHint(err)}` : null);
  };

  if (!progress) return <Loading label="Loading…" />;
  const preset = presets.data?.find((p) => p.id === progress.provider) ?? null;
  // A configured server (GitHub Enterprise, self-managed GitLab) instead of the public site.
  const serverHost = progress.api ? apiHost(progress.api) : null;
  const siteName = preset ? (serverHost ? `${preset.name} (${serverHost})` : preset.name) : (progress.provider ?? 'the site');
  const siteHost = serverHost ?? preset?.host ?? progress.provider ?? '';
  const resumed = resumedAt.current !== null && progress.step === resumedAt.current;

  return (
    <section className="view" aria-labelledby="view-title">
      <PageHeader title="Set up a key" lead="Five short steps from nothing to a working git push. You can close this at any time and continue later.">
        {progress.step > 0 && (
          <Button
            onClick={() => {
              passphrase.current = '';
              void go(null);
            }}
          >
            Start over
          </Button>
        )}
      </PageHeader>
      <ol className="wizard-steps" aria-label="Setup steps">
        {STEPS.map((s, i) => (
          <li key={s} className={i === progress.step ? 'current' : i < progress.step ? 'done' : ''} aria-current={i === progress.step ? 'step' : undefined}>
            <span className="wizard-num" aria-hidden="true">
              {i < progress.step ? '✓' : i + 1}
            </span>
            {s}
            {i < progress.step && <span className="visually-hidden"> (done)</span>}
          </li>
        ))}
      </ol>
      {saveError && <Notice kind="warning" title="Your progress could not be saved.">{saveError}</Notice>}
      {resumed && !finished && (
        <p className="muted" role="status">
          You left the walkthrough at step {progress.step + 1}, {STEPS[progress.step]?.toLowerCase()}: carry on from here.
        </p>
      )}

      <div className="wizard-panel" ref={panel}>
        {finished && <FinishPanel done={finished} onKeys={() => navigate('identities')} onAgain={() => setFinished(null)} />}
        {!finished && progress.step === 0 && (
          <ChooseProvider
            presets={presets}
            servers={settings?.publishServers ?? []}
            onChoose={(id, api) => void go({ provider: id, step: 1, keyPath: null, api: api ?? null })}
          />
        )}
        {!finished && progress.step === 1 && progress.provider && (
          <GenerateStep
            provider={progress.provider}
            onGenerated={(path, pass) => {
              passphrase.current = pass;
              void go({ ...progress, step: 2, keyPath: path });
            }}
          />
        )}
        {!finished && progress.step === 2 && progress.keyPath && (
          <section aria-labelledby="load-title">
            <h2 id="load-title" className="section-title">
              Load the key into your agent
            </h2>
            <p>
              The <Term explain="An SSH agent is a small background program that holds your unlocked keys, so you type each passphrase once instead of on every git push.">agent</Term> keeps the key ready so git can use it without asking for the passphrase each time.
            </p>
            <LoadKeyForm
              path={progress.keyPath}
              initialPassphrase={passphrase.current}
              submitLabel="Load key"
              onCancel={() => void go({ ...progress, step: 1, keyPath: null })}
              onLoaded={() => void go({ ...progress, step: 3 })}
            />
          </section>
        )}
        {!finished && progress.step === 3 && progress.keyPath && (
          <PublishStep
            provider={progress.provider ?? ''}
            providerName={siteName}
            host={siteHost}
            api={progress.api ?? null}
            addKeyUrl={serverHost ? null : (preset?.addKeyUrl ?? null)}
            keyPath={progress.keyPath}
            onHostEntry={setHostEntry}
            onNext={() => void go({ ...progress, step: 4 })}
            onBack={() => void go({ ...progress, step: 2 })}
          />
        )}
        {!finished && progress.step === 4 && progress.provider && (
          <TestStep
            host={hostEntry?.alias ?? siteHost}
            providerName={siteName}
            onBack={() => void go({ ...progress, step: 3 })}
            onFinish={() => {
              setFinished({ providerName: siteName, host: siteHost, keyPath: progress.keyPath ?? '', hostEntry });
              void go(null);
            }}
          />
        )}
        {!finished && progress.step > 0 && !progress.provider && (
          <ErrorNotice error={{ code: 'ui-setup-state', message: 'The saved setup progress is incomplete.', hint: 'Start over to pick a provider again.' }} onRetry={() => void go(null)} />
        )}
      </div>
    </section>
  );
}

function ChooseProvider({ presets, servers, onChoose }: { presets: ReturnType<typeof useChannel<'tester:list-presets'>>; servers: Settings['publishServers']; onChoose: (id: string, api?: string) => void }) {
  return (
    <section aria-labelledby="choose-title">
      <h2 id="choose-title" className="section-title">
        Where do you want to use the key?
      </h2>
      {presets.status === 'loading' && !presets.data && <Loading label="Loading providers…" />}
      {presets.status === 'error' && <ErrorNotice error={presets.error} onRetry={() => void presets.reload()} />}
      {presets.data && (
        <div className="provider-grid">
          {presets.data.map((p) => (
            <Button key={p.id} className="provider-card" onClick={() => onChoose(p.id)}>
              <span className="provider-name">{p.name}</span>
              <span className="provider-host">{p.host}</span>
            </Button>
          ))}
          {servers.map((srv) => {
            const p = presets.data?.find((x) => x.id === srv.provider);
            const host = apiHost(srv.api);
            return p && host ? (
              <Button key={`${srv.provider}-${srv.api}`} className="provider-card" onClick={() => onChoose(srv.provider, srv.api)}>
                <span className="provider-name">{p.name} (your server)</span>
                <span className="provider-host">{host}</span>
              </Button>
            ) : null;
          })}
        </div>
      )}
    </section>
  );
}

function GenerateStep({ provider, onGenerated }: { provider: string; onGenerated: (path: string, passphrase: string) => void }) {
  const info = useChannel('app:get-info', {});
  const [fileName, setFileName] = useState(`id_ed25519_${provider}`);
  const [comment, setComment] = useState<string | null>(null);
  const [replace, setReplace] = useState<string | null>(null);
  const [replaced, setReplaced] = useState<string | null>(null);
  // You and this computer, the way ssh-keygen names a key unless told otherwise.
  const defaultComment = info.data ? `${info.data.user ?? 'you'}@${info.data.hostname ?? 'this-computer'}` : '';
  const label = comment ?? defaultComment;
  const [pass, setPass] = useState('');
  const [repeat, setRepeat] = useState('');
  const [remember, setRemember] = useState(true);
  const [formError, setFormError] = useState<{ field: 'file' | 'pass' | 'repeat'; text: string } | null>(null);
  const gen = useAction();
  const strength = passphraseStrength(pass);

  const submit = async (overwrite = false) => {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(fileName)) return setFormError({ field: 'file', text: 'Use only letters, digits, dots, dashes and underscores.' });
    if (pass !== repeat) return setFormError({ field: 'repeat', text: 'The two passphrases differ.' });
    setFormError(null);
    setReplace(null);
    const r = await gen.run(() => invoke('keys:generate-key', { type: 'ed25519', fileName, comment: label, passphrase: pass, remember: remember && pass.length > 0, overwrite }));
    if (r) {
      if (r.previous) setReplaced(r.previous);
      onGenerated(r.path, pass);
    } else if (!overwrite) {
      // The file exists: ask, instead of telling anyone to pass a flag.
      setReplace(fileName);
    }
  };

  return (
    <form
      aria-labelledby="gen-title"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 id="gen-title" className="section-title">
        Make a new key
      </h2>
      <p>
        KeyDock makes an <Term explain="A modern, fast and short kind of SSH key that every major Git host accepts.">Ed25519</Term> key: two files in your .ssh folder. The private one stays on this computer; the public one (ending in .pub) is what you give to the site.
      </p>
      <Field label="File name (in your .ssh folder)" error={formError?.field === 'file' ? formError.text : null}>
        {(p) => <input {...p} type="text" spellCheck={false} value={fileName} onChange={(e) => setFileName(e.target.value)} />}
      </Field>
      <Field label="Label" hint="Shown next to the key on the site, so you recognise it later.">
        {(p) => <input {...p} type="text" value={label} onChange={(e) => setComment(e.target.value)} />}
      </Field>
      <Field label="Passphrase" hint="Protects the key file if someone copies it. With the keychain option you rarely need to type it.">
        {(p) => <input {...p} type="password" autoComplete="new-password" value={pass} onChange={(e) => setPass(e.target.value)} data-autofocus />}
      </Field>
      <div className={`meter meter-${strength.score}`} aria-live="polite">
        <div className="meter-bar" aria-hidden="true">
          <span />
          <span />
          <span />
          <span />
        </div>
        <p className="meter-text">
          <strong>Strength: {strength.label}.</strong> {strength.advice}
        </p>
      </div>
      <Field label="Repeat passphrase" error={formError?.field === 'repeat' ? formError.text : null}>
        {(p) => <input {...p} type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} />}
      </Field>
      <label className="check">
        <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} disabled={!pass} />
        <span>Remember the passphrase in my keychain (so KeyDock can load the key without asking)</span>
      </label>
      {gen.error && (gen.error.code === 'key-file-exists' || gen.error.code === 'file-exists') && replace ? (
        <Notice kind="warning" title={`${replace} already exists in your .ssh folder.`}>
          <p>Replace the existing file? KeyDock keeps the old key as a backup, which you can restore from the key's details in the Keys list.</p>
          <div className="form-actions">
            <Button onClick={() => setReplace(null)}>Keep it</Button>
            <Button variant="danger" busy={gen.busy} onClick={() => void submit(true)}>
              Replace it
            </Button>
          </div>
        </Notice>
      ) : (
        gen.error && <ErrorNotice error={gen.error} />
      )}
      {replaced && <Notice kind="info" role="status" title={`The old key was kept as ${replaced}.`} />}
      <div className="form-actions">
        <Button variant="primary" type="submit" busy={gen.busy}>
          Make key
        </Button>
      </div>
    </form>
  );
}

function PublishStep({
  provider,
  providerName,
  host,
  api,
  addKeyUrl,
  keyPath,
  onHostEntry,
  onNext,
  onBack,
}: {
  provider: string;
  providerName: string;
  host: string;
  api: string | null;
  addKeyUrl: string | null;
  keyPath: string;
  onHostEntry: (entry: HostEntryDone | null) => void;
  onNext: () => void;
  onBack: () => void;
}) {
  const pub = useChannel('keys:read-public-key', { path: keyPath }, [keyPath]);
  const [kind, setKind] = useState<'account' | 'deploy'>('account');
  const [repo, setRepo] = useState('');
  const [writeEntry, setWriteEntry] = useState(true);
  const [written, setWritten] = useState<HostEntryDone | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [repoError, setRepoError] = useState<string | null>(null);
  const apply = useAction();
  const ins = INSTRUCTIONS[provider];
  const repoOk = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo.trim());
  const url = kind === 'account' ? addKeyUrl : api ? null : deployKeyUrl(ins?.deployUrl ?? null, repo);
  const accountEntryOffered = kind === 'account' && !DEFAULT_KEY_NAMES.has(baseName(keyPath)) && !!host;
  const accountEntry = `Host ${host}\n  IdentityFile ${tildePath(keyPath)}\n  IdentitiesOnly yes`;
  // A deploy key gets its own alias, named the way keydock setup-host names it (HOST-OWNER-REPO).
  const deployPreview = useChannel('publish:setup-host', { host, repo: repoOk ? repo.trim() : 'owner/repo', keyPath, write: false }, [host, repo, keyPath]);
  const providerId = (['github', 'gitlab', 'bitbucket'].includes(provider) ? provider : 'github') as 'github' | 'gitlab' | 'bitbucket';

  /** Writes the Host entry when it is ticked (once), then goes on. */
  const proceed = async (then: () => void) => {
    if (kind === 'deploy' && !repoOk) return setRepoError('Type the repository as OWNER/NAME.');
    setRepoError(null);
    const wanted = kind === 'deploy' || accountEntryOffered;
    if (!writeEntry || !wanted) {
      onHostEntry(null);
      return then();
    }
    if (written && (written.alias === null) === (kind === 'account') && (kind === 'account' || written.repo === repo.trim())) return then();
    if (kind === 'account') {
      if (!(await apply.run(() => invoke('tester:apply-fix', { target: host, kind: 'add-identities-only', keyPath })))) return;
      const done = { entry: accountEntry, alias: null, repo: null, clone: null };
      setWritten(done);
      onHostEntry(done);
      return then();
    }
    const r = await apply.run(() => invoke('publish:setup-host', { host, repo: repo.trim(), keyPath, write: true }));
    if (!r) return;
    const done = { entry: r.entry, alias: r.alias, repo: repo.trim(), clone: r.cloneCommand };
    setWritten(done);
    onHostEntry(done);
    then();
  };

  return (
    <section aria-labelledby="publish-title">
      <h2 id="publish-title" className="section-title">
        Add the public key to {providerName}
      </h2>
      {pub.status === 'loading' && !pub.data && <Loading label="Reading the public key…" />}
      {pub.status === 'error' && <ErrorNotice error={pub.error} onRetry={() => void pub.reload()} />}
      {pub.data && (
        <>
          <label htmlFor="setup-public-key">Your public key (safe to share)</label>
          <textarea id="setup-public-key" className="public-key" readOnly rows={3} value={pub.data.publicKey} />
          <div className="row-actions">
            <CopyButton text={pub.data.publicKey} label="Copy public key" what="" />
          </div>
        </>
      )}
      <fieldset className="choice">
        <legend>What should this key open?</legend>
        <label className="check">
          <input type="radio" name="key-kind" checked={kind === 'account'} onChange={() => setKind('account')} />
          <span>
            <strong>My account</strong>: every repository I can reach, read and write (an account key).
          </span>
        </label>
        <label className="check">
          <input type="radio" name="key-kind" checked={kind === 'deploy'} onChange={() => setKind('deploy')} />
          <span>
            <strong>One repository only</strong> (a{' '}
            <Term explain="A deploy key opens one repository. Good for servers and build machines: if it leaks, only that repository is exposed.">deploy key</Term>)
            {ins && !ins.deployCanWrite ? ', read-only' : ', read-only unless you allow writing'}.
          </span>
        </label>
      </fieldset>
      {kind === 'deploy' && (
        <Field label="Repository (OWNER/NAME)" hint="Names the repository's page and the key's own Host alias." error={repoError}>
          {(p) => <input {...p} type="text" spellCheck={false} placeholder="octocat/hello-world" value={repo} onChange={(e) => setRepo(e.target.value)} />}
        </Field>
      )}
      {accountEntryOffered && (
        <HostEntry
          title={`Tell ssh to use this key for ${host}`}
          why={
            <>
              ssh looks for keys with standard names by itself; <code>{baseName(keyPath)}</code> is not one of them. KeyDock can add this entry to your ssh configuration (the old file is kept as a backup):
            </>
          }
          entry={accountEntry}
          checked={writeEntry}
          onChange={setWriteEntry}
          written={written?.alias === null ? `Added to your ssh configuration: ${host} now uses ${baseName(keyPath)}.` : null}
        />
      )}
      {kind === 'deploy' && repoOk && deployPreview.data && (
        <HostEntry
          title={`Give this key its own name: ${deployPreview.data.alias}`}
          why={
            <>
              A deploy key opens one repository, so ssh needs to know when to use it. KeyDock can add a Host alias for {repo.trim()} to your ssh configuration (the old file is kept as a backup); you then clone with <code>{deployPreview.data.cloneCommand.replace(/^git clone /, '')}</code>:
            </>
          }
          entry={deployPreview.data.entry}
          checked={writeEntry}
          onChange={setWriteEntry}
          written={written?.alias === deployPreview.data.alias ? `Added to your ssh configuration: ${deployPreview.data.alias} uses ${baseName(keyPath)}.` : null}
        />
      )}
      <ol className="instructions">
        {(ins ? (kind === 'account' ? ins.account : ins.deploy) : [`Open ${providerName}'s SSH key settings and paste the public key.`]).map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ol>
      <p className="muted">Or let KeyDock add it: you sign in to {providerName} once, and KeyDock adds the key for you.</p>
      {apply.error && <ErrorNotice error={apply.error} />}
      <div className="form-actions">
        <Button onClick={onBack}>Back</Button>
        {url && (
          <a className="btn btn-secondary" href={url} target="_blank" rel="noopener noreferrer">
            Open {providerName}
            <span className="visually-hidden"> (opens in your browser)</span>
          </a>
        )}
        <Button busy={apply.busy} onClick={() => void proceed(onNext)}>
          I added it, test now
        </Button>
        <Button variant="primary" busy={apply.busy} aria-haspopup="dialog" onClick={() => void proceed(() => setPublishing(true))}>
          Add it for me
        </Button>
      </div>
      {publishing && (
        <PublishDialog
          keyPath={keyPath}
          name={baseName(keyPath)}
          initial={{ provider: providerId, kind, ...(kind === 'deploy' ? { repo: repo.trim() } : {}), ...(api ? { api } : {}) }}
          autoStart
          test={false}
          onPublished={() => {
            setPublishing(false);
            onNext();
          }}
          onClose={() => setPublishing(false)}
        />
      )}
    </section>
  );
}

/** Offers a Host entry with its preview; written when the user goes on with it ticked. */
function HostEntry({ title, why, entry, checked, onChange, written }: { title: string; why: ReactNode; entry: string; checked: boolean; onChange: (v: boolean) => void; written: string | null }) {
  return (
    <section className="host-entry" aria-labelledby="host-entry-title">
      <h3 id="host-entry-title" className="sub-title">
        {title}
      </h3>
      <p>{why}</p>
      <pre className="config-preview" aria-label="Preview of the Host entry">
        {entry}
      </pre>
      {written ? (
        <Notice kind="success" role="status" title={written} />
      ) : (
        <label className="check">
          <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
          <span>Add this entry to my ssh configuration when I go on</span>
        </label>
      )}
    </section>
  );
}

/** The end of the walkthrough: what was done, and the command git users run next. */
function FinishPanel({ done, onKeys, onAgain }: { done: Finished; onKeys: () => void; onAgain: () => void }) {
  const deploy = done.hostEntry?.alias ? done.hostEntry : null;
  const clone = deploy?.clone ?? `git clone git@${done.host}:OWNER/REPO.git`;
  return (
    <section aria-labelledby="finish-title">
      <h2 id="finish-title" className="section-title" tabIndex={-1}>
        All set: {done.providerName} accepts your key
      </h2>
      <ul className="summary-list">
        <li>
          Key file: <code>{tildePath(done.keyPath)}</code> (and its <code>.pub</code>)
        </li>
        <li>Loaded in your SSH agent</li>
        <li>
          Added to {done.providerName}
          {deploy ? ` as a deploy key of ${deploy.repo}` : ''}, and the test logged in
        </li>
        {done.hostEntry && !deploy && <li>ssh uses it for {done.host} (Host entry in your ssh configuration)</li>}
        {deploy && (
          <li>
            ssh uses it for <code>{deploy.alias}</code>, its own Host alias in your ssh configuration
          </li>
        )}
      </ul>
      <h3 className="sub-title">{deploy ? `Next: clone ${deploy.repo}` : 'Next: clone a repository'}</h3>
      <p>{deploy ? `In a terminal, through the key's own alias:` : `In a terminal, replace OWNER/REPO with the repository's path on ${done.providerName}:`}</p>
      <div className="fact-copy">
        <code className="next-command">{clone}</code>
        <CopyButton text={clone} what="the git clone command" />
      </div>
      <div className="form-actions">
        <Button onClick={onAgain}>Set up another key</Button>
        <Button variant="primary" onClick={onKeys} data-autofocus>
          Go to Keys
        </Button>
      </div>
    </section>
  );
}

function TestStep({ host, providerName, onBack, onFinish }: { host: string; providerName: string; onBack: () => void; onFinish: () => void }) {
  const test = useConnectionTest();
  const ran = useRef(false);
  useEffect(() => {
    if (ran.current) return;
    ran.current = true;
    void test.run(host);
  }, [host, test]);
  return (
    <section aria-labelledby="test-title" aria-live="polite">
      <h2 id="test-title" className="section-title">
        Test the connection to {providerName}
      </h2>
      <StepList steps={test.steps} running={test.running} />
      {!test.running && <TestResult report={test.report} error={test.error} target={host} onRetest={() => void test.run(host)} />}
      <div className="form-actions">
        <Button onClick={onBack}>Back to the public key</Button>
        {test.report?.ok && (
          <Button variant="primary" onClick={onFinish}>
            Finish
          </Button>
        )}
      </div>
    </section>
  );
}
