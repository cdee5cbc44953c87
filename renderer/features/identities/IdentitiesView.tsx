import { useEffect, useMemo, useState } from 'react';
import type { AgentInfo } from '../../../shared/models';
import { invoke } from '../../api';
import { useAppState } from '../../app-state';
import { Badge, Button, ConfirmDialog, EmptyState, ErrorNotice, Loading, Notice, PageHeader, StartAgentButton, Term } from '../../components/ui';
import { baseName } from '../../lib/format';
import { useAction, useChannel, useEvent, useNow } from '../../lib/hooks';
import { matchesFilter, mergeKeys, sortRows, type KeyFilter, type KeyRowModel, type SortKey } from '../../lib/key-rows';
import { AddKeyDialog } from './AddKeyDialog';
import { KeyDetail } from './KeyDetail';
import { RotateDialog } from './RotateDialog';
import { KeyTable } from './KeyTable';
import { LoadKeyDialog } from './LoadKeyDialog';
import { LockDialog } from './LockDialog';
import { SmartcardButton } from './SmartcardDialog';

type Modal = { kind: 'add' } | { kind: 'lock' | 'unlock' } | { kind: 'remove-all' } | { kind: 'load'; path: string; remember?: boolean } | { kind: 'rotate'; path: string; name: string } | null;

const PASSPHRASE_CODES = new Set(['key-passphrase-needed', 'key-wrong-passphrase']);

const FILTERS: Array<{ id: KeyFilter; label: string }> = [
  { id: 'all', label: 'All' },
  { id: 'loaded', label: 'Loaded' },
  { id: 'on-disk', label: 'On disk' },
  { id: 'problems', label: 'Problems' },
];

/**
 * The home screen: every key you have, loaded in the agent or lying in ~/.ssh, one row each,
 * with its state, a Load / Unload button, and a detail pane for the selected key.
 */
export function IdentitiesView() {
  const { route, settings, navigate } = useAppState();
  // Kept between visits: coming back to Keys draws the last list at once, then refreshes it.
  const list = useChannel('agent:list-identities', {}, [], { keep: true });
  const agents = useChannel('agent:list-agents', {}, [], { keep: true });
  const files = useChannel('keys:list-files', {}, [], { keep: true });
  const [modal, setModal] = useState<Modal>(null);
  const [lockedOverride, setLockedOverride] = useState<boolean | null>(null);
  const select = useAction();
  const loadSaved = useAction();
  const rowAction = useAction();
  const [busyRow, setBusyRow] = useState<string | null>(null);
  const [savedResult, setSavedResult] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState<KeyFilter>('all');
  const [sort, setSort] = useState<{ key: SortKey; dir: 'ascending' | 'descending' }>({ key: 'state', dir: 'ascending' });
  const [selected, setSelected] = useState<string | null>(null);
  const now = useNow(15_000);

  useEffect(() => {
    if (route.action === 'add') setModal({ kind: 'add' });
    else if (route.action === 'lock') setModal({ kind: 'lock' });
  }, [route.seq, route.action]);

  useEvent('agent:changed', (snap) => {
    if (!list.data || snap.agentId !== list.data.agent.id) return;
    // The lock travels with the keys: a lock or unlock made elsewhere shows here too.
    list.update((d) => (d.agent.id === snap.agentId ? { ...d, identities: snap.identities, agent: { ...d.agent, locked: snap.locked } } : d));
    setLockedOverride(snap.locked);
    void files.reload();
  });

  const agent = list.data?.agent;
  const agentUp = !!agent && list.status !== 'error';
  const identities = useMemo(() => list.data?.identities ?? [], [list.data]);
  const locked = lockedOverride ?? agent?.locked ?? false;
  // undefined = not known yet; null = no agent at all for ssh.
  const sshAgent = agents.data ? (agents.data.find((a) => a.usedBySsh) ?? null) : undefined;
  const rows = useMemo(() => mergeKeys(identities, files.data ?? [], locked), [identities, files.data, locked]);
  const shown = useMemo(() => sortRows(rows.filter((r) => matchesFilter(r, filter, query)), sort.key, sort.dir), [rows, filter, query, sort]);
  const current = rows.find((r) => r.fingerprint === selected) ?? null;
  const savedNotLoaded = rows.filter((r) => r.remembered && r.state !== 'loaded');

  const refresh = () => {
    setLockedOverride(null);
    void list.reload();
    void files.reload();
  };

  const manage = async (a: AgentInfo) => {
    const r = await select.run(() => invoke('agent:select-agent', { agentId: a.id }));
    if (r) {
      void agents.reload();
      refresh();
    }
  };

  const load = async (row: KeyRowModel, remember = false) => {
    const file = row.file;
    if (!file) return;
    if (remember || (file.encrypted && !file.remembered)) return setModal({ kind: 'load', path: file.path, remember });
    setBusyRow(row.fingerprint);
    const minutes = settings?.defaultLifetimeMinutes ?? 0;
    const r = await invoke('agent:add-key', { agentId: agent?.id, path: file.path, lifetimeSeconds: minutes > 0 ? minutes * 60 : undefined });
    setBusyRow(null);
    if (r.ok) {
      rowAction.setError(null);
      return refresh();
    }
    // A saved passphrase that no longer works, or a file that needs one after all.
    if (PASSPHRASE_CODES.has(r.error.code)) return setModal({ kind: 'load', path: file.path });
    rowAction.setError(r.error);
  };

  const unload = async (row: KeyRowModel) => {
    setBusyRow(row.fingerprint);
    const r = await rowAction.run(() => invoke('agent:remove-key', { agentId: agent?.id, fingerprint: row.fingerprint }));
    setBusyRow(null);
    if (r) refresh();
  };

  const onSort = (key: SortKey) => setSort((s) => ({ key, dir: s.key === key && s.dir === 'ascending' ? 'descending' : 'ascending' }));

  const firstLoad = (list.status === 'loading' && !list.data) || (files.status === 'loading' && !files.data);

  return (
    <section className="view view-keys" aria-labelledby="view-title">
      <PageHeader title="Keys" lead="Every SSH key you have: the ones your agent holds and the key files in your .ssh folder.">
        <Button variant="primary" onClick={() => setModal({ kind: 'add' })} aria-keyshortcuts="Control+O">
          Add key…
        </Button>
        <SmartcardButton agentId={agent?.id} onAdded={() => refresh()} />
        {agentUp && <Button onClick={() => setModal({ kind: locked ? 'unlock' : 'lock' })}>{locked ? 'Unlock…' : 'Lock…'}</Button>}
        {identities.length > 0 && (
          <Button variant="danger" onClick={() => setModal({ kind: 'remove-all' })}>
            Remove all…
          </Button>
        )}
      </PageHeader>

      {settings?.setupProgress && settings.setupProgress.step > 0 && (
        <Notice kind="info" title="You left the setup walkthrough half-way.">
          <Button onClick={() => navigate('setup')}>Continue setup</Button>
        </Notice>
      )}

      <AgentSummary agent={agentUp ? (agent ?? null) : null} sshAgent={sshAgent} locked={locked} loadedCount={identities.length} listFailed={list.status === 'error'} onManage={(a) => void manage(a)} busy={select.busy} onStarted={() => {
        void agents.reload();
        refresh();
      }} />
      {select.error && <ErrorNotice error={select.error} />}

      {list.status === 'error' && (
        <ErrorNotice error={list.error} title="Could not list the loaded keys" onRetry={refresh}>
          <Button onClick={() => navigate('settings')}>Choose another agent</Button>
        </ErrorNotice>
      )}

      {agentUp && !locked && savedNotLoaded.length > 0 && (
        <Notice kind="info" title={`${savedNotLoaded.length} key${savedNotLoaded.length === 1 ? ' has its' : 's have their'} passphrase saved but ${savedNotLoaded.length === 1 ? 'is' : 'are'} not loaded.`}>
          <Button
            variant="primary"
            busy={loadSaved.busy}
            onClick={async () => {
              const r = await loadSaved.run(() => invoke('keys:load-remembered', {}));
              if (r) {
                setSavedResult(r.failed.length ? `Loaded ${r.loaded.length}; could not load: ${r.failed.map((f) => `${baseName(f.path)} (${f.message})`).join('; ')}` : `Loaded ${r.loaded.length} saved key${r.loaded.length === 1 ? '' : 's'}.`);
                refresh();
              }
            }}
          >
            Load saved keys
          </Button>
        </Notice>
      )}
      {savedResult && <Notice kind="success" role="status" title={savedResult} />}
      {loadSaved.error && <ErrorNotice error={loadSaved.error} />}
      {files.status === 'error' && <ErrorNotice error={files.error} title="Could not look in your .ssh folder" onRetry={() => void files.reload()} />}

      <div className="keys-toolbar" role="search" aria-label="Find keys">
        <label className="search">
          <span className="sr-only">Search keys</span>
          <input type="search" placeholder="Search name, file or fingerprint" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <div className="segmented" role="radiogroup" aria-label="Show">
          {FILTERS.map((f) => (
            <label key={f.id} className={filter === f.id ? 'seg seg-on' : 'seg'}>
              <input type="radio" name="key-filter" value={f.id} checked={filter === f.id} onChange={() => setFilter(f.id)} />
              {f.label}
            </label>
          ))}
        </div>
        <span className="muted keys-count" role="status">
          {rows.length === 0 ? '' : shown.length === rows.length ? `${rows.length} key${rows.length === 1 ? '' : 's'}` : `${shown.length} of ${rows.length}`}
        </span>
      </div>
      {rowAction.error && <ErrorNotice error={rowAction.error} />}

      {firstLoad && rows.length === 0 && <Loading label="Looking for your keys…" />}
      {!firstLoad && rows.length === 0 && (
        <EmptyState title="You have no SSH keys yet.">
          <p>Make your first key with the setup walkthrough, or add a key file stored elsewhere.</p>
          <div className="row-actions">
            <Button variant="primary" onClick={() => navigate('setup')}>
              Make a new key
            </Button>
            <Button onClick={() => setModal({ kind: 'add' })}>Add key…</Button>
          </div>
        </EmptyState>
      )}
      {rows.length > 0 && shown.length === 0 && <EmptyState title="No key matches." />}
      {shown.length > 0 && (
        <KeyTable
          rows={shown}
          now={now}
          sort={sort}
          onSort={onSort}
          selected={selected}
          onSelect={(fp) => setSelected((s) => (s === fp ? null : fp))}
          canLoad={agentUp && !locked}
          busyRow={busyRow}
          onLoad={(r) => void load(r)}
          onUnload={(r) => void unload(r)}
        />
      )}
      {current && (
        <KeyDetail
          key={current.fingerprint}
          row={current}
          now={now}
          canLoad={agentUp && !locked}
          busy={busyRow === current.fingerprint}
          onLoad={(remember) => void load(current, remember)}
          onUnload={() => void unload(current)}
          onChanged={refresh}
          onClose={() => setSelected(null)}
          onRotate={(path) => setModal({ kind: 'rotate', path, name: current.name })}
        />
      )}

      {/* Kept here, not in the detail pane: the rotated key's row goes away while the dialog still reports. */}
      {modal?.kind === 'rotate' && (
        <RotateDialog
          keyPath={modal.path}
          name={modal.name}
          onClose={() => {
            setModal(null);
            refresh();
          }}
        />
      )}
      {modal?.kind === 'add' && <AddKeyDialog agentId={agent?.id} onClose={() => setModal(null)} onAdded={() => refresh()} />}
      {modal?.kind === 'load' && (
        <LoadKeyDialog
          path={modal.path}
          agentId={agent?.id}
          remember={modal.remember}
          onClose={() => setModal(null)}
          onLoaded={() => {
            setModal(null);
            refresh();
          }}
        />
      )}
      {(modal?.kind === 'lock' || modal?.kind === 'unlock') && (
        <LockDialog
          mode={modal.kind}
          agentId={agent?.id}
          onClose={() => setModal(null)}
          onDone={() => {
            setModal(null);
            setLockedOverride(modal.kind === 'lock');
            void list.reload();
          }}
        />
      )}
      {modal?.kind === 'remove-all' && <RemoveAllDialog count={identities.length} agentId={agent?.id} onClose={() => setModal(null)} onDone={() => {
        setModal(null);
        refresh();
      }} />}
    </section>
  );
}

function RemoveAllDialog({ count, agentId, onClose, onDone }: { count: number; agentId?: string; onClose: () => void; onDone: () => void }) {
  const remove = useAction();
  return (
    <ConfirmDialog
      title={`Remove all ${count} keys from the agent?`}
      confirmLabel="Remove all"
      busy={remove.busy}
      error={remove.error}
      onClose={onClose}
      onConfirm={async () => {
        if (await remove.run(() => invoke('agent:remove-all', { agentId }))) onDone();
      }}
    >
      <p>The agent will hold no keys until you load them again. Key files on disk are not touched.</p>
    </ConfirmDialog>
  );
}

/** Which agent KeyDock manages, whether it is locked, and a fix when ssh uses another one or none. */
function AgentSummary({ agent, sshAgent, locked, loadedCount, listFailed, onManage, busy, onStarted }: { agent: AgentInfo | null; sshAgent: AgentInfo | null | undefined; locked: boolean; loadedCount: number; listFailed: boolean; onManage: (a: AgentInfo) => void; busy: boolean; onStarted: () => void }) {
  const differs = agent && sshAgent && sshAgent.id !== agent.id;
  const noAgent = sshAgent === null && !agent && !listFailed;
  // Nothing to say (no agent, and the failed list says why): no empty box.
  if (!agent && !locked && !differs && !noAgent) return null;
  return (
    <div className="agent-summary" aria-label="Agent">
      {agent && (
        <p>
          <Term explain="An SSH agent is a small background program that holds your unlocked keys, so you type each passphrase once instead of on every git push.">Agent</Term>:{' '}
          <strong>{agent.label}</strong> <code className="agent-path">{agent.path}</code>{' '}
          {locked && <Badge tone="warning">locked</Badge>}
          {agent.usedBySsh && <Badge tone="success">used by ssh</Badge>}{' '}
          <span className="muted">{locked ? '' : loadedCount === 0 ? 'No keys are loaded.' : `${loadedCount} key${loadedCount === 1 ? '' : 's'} loaded.`}</span>
        </p>
      )}
      {locked && <Notice kind="warning" title="The agent is locked.">Unlock it to see and use its keys.</Notice>}
      {differs && (
        <Notice kind="warning" title={`ssh uses a different agent: ${sshAgent.label}.`}>
          <p>Keys you load here are not offered by ssh and git. Manage the agent ssh uses instead.</p>
          <Button busy={busy} onClick={() => onManage(sshAgent)}>
            Manage {sshAgent.label} instead
          </Button>
        </Notice>
      )}
      {noAgent && (
        <Notice kind="warning" title="No SSH agent is running for ssh.">
          <p>Without an agent, ssh asks for your passphrase every time. KeyDock can run one for you.</p>
          <StartAgentButton onStarted={onStarted} />
        </Notice>
      )}
    </div>
  );
}

