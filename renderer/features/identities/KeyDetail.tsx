import { useEffect, useMemo, useRef, useState } from 'react';
import type { BackupInfo } from '../../../shared/contract/keys';
import { invoke } from '../../api';
import { useAppState } from '../../app-state';
import { Button, ConfirmDialog, CopyButton, ErrorNotice, Notice } from '../../components/ui';
import { baseName, clockTime } from '../../lib/format';
import { useAction, useChannel } from '../../lib/hooks';
import type { KeyRowModel } from '../../lib/key-rows';
import { md5Fingerprint } from '../../lib/md5';
import { windowFix } from '../../lib/window-hints';
import { RowBadges, StatePill } from './KeyTable';
import { LifecycleActions } from './LifecycleActions';
import { PublishDialog } from './PublishDialog';
import { SecurityKeyFacts } from './SecurityKeyFacts';

/** Everything about the selected key, and what can be done with it. */
export function KeyDetail({ row, now, canLoad, busy, onLoad, onUnload, onChanged, onClose, onRotate }: { row: KeyRowModel; now: number; canLoad: boolean; busy: boolean; onLoad: (remember: boolean) => void; onUnload: () => void; onChanged: () => void; onClose: () => void; onRotate: (keyPath: string) => void }) {
  const { navigate } = useAppState();
  const pairings = usePairings();
  const md5 = useMemo(() => row.identities.find((i) => i.md5)?.md5 ?? md5Fingerprint(row.publicKey), [row]);
  const forget = useAction();
  const [forgotten, setForgotten] = useState(false);
  const [publishing, setPublishing] = useState(false);
  const file = row.file;
  const sourceFile = file?.path ?? row.identities.find((i) => i.sourceFile)?.sourceFile ?? null;

  return (
    <section id="key-detail" className="key-detail" aria-labelledby="key-detail-title">
      <header className="detail-head">
        <h2 id="key-detail-title" className="section-title">
          {row.name}
        </h2>
        <StatePill state={row.state} />
        <RowBadges row={row} now={now} />
        <Button variant="ghost" className="detail-close" onClick={onClose} aria-label="Close the key details">
          ×
        </Button>
      </header>
      <dl className="facts facts-wide">
        <dt>Type</dt>
        <dd>{row.typeLabel}</dd>
        {sourceFile && (
          <>
            <dt>File</dt>
            <dd>
              <code>{sourceFile}</code>
            </dd>
          </>
        )}
        <dt>SHA256</dt>
        <dd className="fact-copy">
          <code className="fp">{row.fingerprint}</code>
          <CopyButton text={row.fingerprint} what="SHA256 fingerprint" />
        </dd>
        {md5 && (
          <>
            <dt>MD5</dt>
            <dd className="fact-copy">
              <code className="fp">{md5}</code>
              <CopyButton text={md5} what="MD5 fingerprint" />
            </dd>
          </>
        )}
        <dt>Public key</dt>
        <dd className="fact-copy">
          <code className="public-key">{row.publicKey}</code>
          <CopyButton text={row.publicKey} what="public key" />
        </dd>
      </dl>
      <SecurityKeyFacts row={row} />

      {row.problems.map((p) => (
        <Notice key={p.code} kind="warning" title={p.message}>
          <p>{windowFix(p.code, p.fix)}</p>
          {p.code === 'file-permissions' && <Button onClick={() => navigate('doctor')}>Open Doctor</Button>}
          {p.code !== 'file-permissions' && <Button onClick={() => navigate('setup')}>Make a new key</Button>}
        </Notice>
      ))}

      <div className="detail-actions">
        {row.state === 'loaded' ? (
          <Button busy={busy} onClick={onUnload}>
            Unload
          </Button>
        ) : file && canLoad ? (
          <Button variant="primary" busy={busy} onClick={() => onLoad(false)}>
            Load
          </Button>
        ) : null}
        <TestWith fingerprint={row.fingerprint} keyPath={file?.path ?? null} pairings={pairings.data} />
        {file && (
          <Button onClick={() => setPublishing(true)} aria-haspopup="dialog">
            Add it for me…
          </Button>
        )}
        {file && <LifecycleActions keyPath={file.path} name={row.name} onRotate={() => onRotate(file.path)} />}
        {file?.encrypted && canLoad && !row.remembered && <Button onClick={() => onLoad(true)}>Remember passphrase…</Button>}
        {row.remembered && !forgotten && (
          <Button
            busy={forget.busy}
            onClick={async () => {
              if (await forget.run(() => invoke('keys:forget-passphrase', { fingerprint: row.fingerprint }))) {
                setForgotten(true);
                onChanged();
              }
            }}
          >
            Forget passphrase
          </Button>
        )}
      </div>
      {forgotten && <Notice kind="success" role="status" title="The passphrase is no longer kept in your keychain." />}
      {forget.error && <ErrorNotice error={forget.error} />}
      <HostsItOpens fingerprint={row.fingerprint} pairings={pairings} />
      {file && <Backups path={file.path} onRestored={onChanged} />}
      {publishing && file && <PublishDialog keyPath={file.path} name={row.name} onClose={() => setPublishing(false)} />}
    </section>
  );
}

/** The host pairings KeyDock's agent and tester recorded (docs/architecture.md §7.6), named through known_hosts. */
function usePairings() {
  return useChannel('server:list-pairings', {});
}

type Pairing = NonNullable<ReturnType<typeof usePairings>['data']>[number];

/**
 * "Test with…": the hosts this key is known to open, then the Host entries of ssh_config whose
 * IdentityFile is this key, then the Git hosts; choosing one opens the connection test with it
 * filled in.
 */
function TestWith({ fingerprint, keyPath, pairings }: { fingerprint: string; keyPath: string | null; pairings: Pairing[] | null }) {
  const { navigate } = useAppState();
  const [open, setOpen] = useState(false);
  const [aliases, setAliases] = useState<string[] | null>(null);
  const [gitHosts, setGitHosts] = useState<string[] | null>(null);
  const toggle = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    let live = true;
    void invoke('tester:list-presets', {}).then((r) => live && setGitHosts(r.ok ? r.value.map((p) => p.host) : ['github.com']));
    if (keyPath) void invoke('keys:config-hosts', { path: keyPath }).then((r) => live && setAliases(r.ok ? r.value.hosts : []));
    else setAliases([]);
    return () => {
      live = false;
    };
  }, [open, keyPath]);

  const seen = new Set<string>();
  const fresh = (hosts: string[]) => hosts.filter((h) => !seen.has(h) && (seen.add(h), true));
  const groups = [
    { id: 'opens', title: 'Hosts it opens', hosts: fresh((pairings ?? []).filter((p) => p.key === fingerprint).flatMap((p) => p.hostNames.slice(0, 1))) },
    { id: 'config', title: 'Host entries that use it', hosts: fresh(aliases ?? []) },
    { id: 'git', title: 'Git hosts', hosts: fresh(gitHosts ?? []) },
  ];
  const loading = aliases === null || gitHosts === null;
  const close = () => {
    setOpen(false);
    toggle.current?.focus();
  };

  return (
    <div className="test-with">
      <Button ref={toggle} aria-expanded={open} aria-controls="test-with-hosts" onClick={() => (open ? close() : setOpen(true))}>
        Test with…
      </Button>
      {open && (
        <div
          id="test-with-hosts"
          className="test-with-hosts"
          role="group"
          aria-label="Test this key with"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              close();
            }
          }}
        >
          {groups.map(
            (g) =>
              g.hosts.length > 0 && (
                <div key={g.id} className="test-with-group">
                  <h3 className="test-with-title" id={`test-with-${g.id}`}>
                    {g.title}
                  </h3>
                  <ul aria-labelledby={`test-with-${g.id}`}>
                    {g.hosts.map((h) => (
                      <li key={h}>
                        <Button className="btn-small" aria-label={`Test with ${h}`} onClick={() => navigate(`fill/test/${h}`)}>
                          {h}
                        </Button>
                      </li>
                    ))}
                  </ul>
                </div>
              ),
          )}
          {loading && <p className="muted">Looking for hosts…</p>}
        </div>
      )}
    </div>
  );
}

/** The hosts KeyDock saw this key open (its agent and the connection tester), each forgettable. */
function HostsItOpens({ fingerprint, pairings }: { fingerprint: string; pairings: ReturnType<typeof usePairings> }) {
  const forget = useAction();
  const mine = (pairings.data ?? []).filter((p) => p.key === fingerprint);
  if (pairings.status === 'error') return <ErrorNotice error={pairings.error} title="Could not read which hosts this key opens" onRetry={() => void pairings.reload()} />;
  return (
    <div className="pairings">
      <h3 className="sub-title">Hosts it opens</h3>
      {mine.length === 0 ? (
        <p className="muted">{pairings.data ? 'No login with this key has been seen yet. KeyDock offers a key first to the hosts it opened.' : 'Looking for hosts…'}</p>
      ) : (
        <ul className="backup-list">
          {mine.map((p) => {
            const name = p.hostNames[0] ?? `unknown host ${p.host}`;
            return (
              <li key={p.host}>
                <strong>{name}</strong> <span className="muted">last used {new Date(p.lastUsed).toLocaleDateString()} {clockTime(p.lastUsed)}</span>
                <Button
                  className="btn-small"
                  aria-label={`Forget that this key opens ${name}`}
                  disabled={forget.busy}
                  onClick={async () => {
                    if (await forget.run(() => invoke('server:forget-pairing', { key: fingerprint, host: p.host }))) void pairings.reload();
                  }}
                >
                  Forget
                </Button>
              </li>
            );
          })}
        </ul>
      )}
      {forget.error && <ErrorNotice error={forget.error} />}
    </div>
  );
}

/** The copies of this key KeyDock kept before replacing it, each restorable. */
function Backups({ path, onRestored }: { path: string; onRestored: () => void }) {
  const backups = useChannel('keys:list-backups', {});
  const [confirm, setConfirm] = useState<BackupInfo | null>(null);
  const restore = useAction();
  const [done, setDone] = useState<string | null>(null);
  const mine = (backups.data ?? []).filter((b) => b.kind === 'key' && b.original === path);
  if (backups.status === 'error') return <ErrorNotice error={backups.error} title="Could not list the kept backups" onRetry={() => void backups.reload()} />;
  return (
    <div className="backups">
      <h3 className="sub-title">Kept backups</h3>
      {mine.length === 0 ? (
        <p className="muted">{backups.data ? 'KeyDock has not replaced this key, so it keeps no backup of it.' : 'Looking for backups…'}</p>
      ) : (
        <ul className="backup-list">
          {mine.map((b) => (
            <li key={b.path}>
              <code>{baseName(b.path)}</code> <span className="muted">kept {new Date(b.createdAt).toLocaleDateString()} {clockTime(b.createdAt)}</span>
              <Button className="btn-small" onClick={() => setConfirm(b)} aria-label={`Restore ${baseName(b.path)}`}>
                Restore…
              </Button>
            </li>
          ))}
        </ul>
      )}
      {done && <Notice kind="success" role="status" title={done} />}
      {confirm && (
        <ConfirmDialog
          title="Restore this backup?"
          confirmLabel="Restore"
          busy={restore.busy}
          error={restore.error}
          onClose={() => {
            restore.setError(null);
            setConfirm(null);
          }}
          onConfirm={async () => {
            const r = await restore.run(() => invoke('keys:restore-backup', { name: baseName(confirm.path) }));
            if (r) {
              setConfirm(null);
              setDone(r.keptCurrentAs ? `Restored ${baseName(r.restored)}; the key it replaced is kept as ${baseName(r.keptCurrentAs)}.` : `Restored ${baseName(r.restored)}.`);
              void backups.reload();
              onRestored();
            }
          }}
        >
          <p>
            <code>{baseName(confirm.path)}</code> goes back to <code>{baseName(confirm.original)}</code>. The key there now is kept as a backup first, so this can be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
