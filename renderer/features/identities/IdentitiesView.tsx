import { useEffect, useState } from 'react';
import type { AgentInfo, Identity } from '../../../shared/models';
import { invoke } from '../../api';
import { useAppState } from '../../app-state';
import { Badge, Button, ConfirmDialog, EmptyState, ErrorNotice, Loading, Notice, PageHeader, Term } from '../../components/ui';
import { useAction, useChannel, useEvent, useNow } from '../../lib/hooks';
import { AddKeyDialog } from './AddKeyDialog';
import { KeyRow } from './KeyRow';
import { LockDialog } from './LockDialog';

type Modal = { kind: 'add' } | { kind: 'lock' | 'unlock' } | { kind: 'remove'; identity: Identity } | { kind: 'remove-all' } | null;

/** The home screen: which agent, which keys it holds, and add / remove / lock. */
export function IdentitiesView() {
  const { route, settings, navigate } = useAppState();
  const list = useChannel('agent:list-identities', {});
  const agents = useChannel('agent:list-agents', {});
  const files = useChannel('keys:list-files', {});
  const [modal, setModal] = useState<Modal>(null);
  const [lockedOverride, setLockedOverride] = useState<boolean | null>(null);
  const remove = useAction();
  const select = useAction();
  const loadSaved = useAction();
  const [savedResult, setSavedResult] = useState<string | null>(null);
  const now = useNow(15_000);

  useEffect(() => {
    if (route.action === 'add') setModal({ kind: 'add' });
    else if (route.action === 'lock') setModal({ kind: 'lock' });
  }, [route.seq, route.action]);

  useEvent('agent:changed', (snap) => {
    if (!list.data || snap.agentId !== list.data.agent.id) return;
    list.update((d) => (d.agent.id === snap.agentId ? { ...d, identities: snap.identities } : d));
    setLockedOverride(snap.locked);
    void files.reload();
  });

  const agent = list.data?.agent;
  const identities = list.data?.identities ?? [];
  const locked = lockedOverride ?? agent?.locked ?? false;
  // undefined = not known yet; null = no agent at all for ssh.
  const sshAgent = agents.data ? (agents.data.find((a) => a.usedBySsh) ?? null) : undefined;
  // A saved key counts as loaded when the agent lists its fingerprint (certificates list the plain key's).
  const loadedFingerprints = new Set(identities.map((i) => i.fingerprint));
  const savedNotLoaded = (files.data ?? []).filter((f) => f.remembered && !(f.loaded ?? loadedFingerprints.has(f.fingerprint)));

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

  return (
    <section className="view" aria-labelledby="view-title">
      <PageHeader title="Keys" lead="The SSH keys your agent holds right now. Programs like git and ssh can use these without asking for passphrases.">
        <Button variant="primary" onClick={() => setModal({ kind: 'add' })} aria-keyshortcuts="Control+O">
          Add key…
        </Button>
        {agent && (
          <Button onClick={() => setModal({ kind: locked ? 'unlock' : 'lock' })}>{locked ? 'Unlock…' : 'Lock…'}</Button>
        )}
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

      <AgentSummary agent={agent ?? null} sshAgent={sshAgent} locked={locked} onManage={(a) => void manage(a)} busy={select.busy} />
      {select.error && <ErrorNotice error={select.error} />}

      {savedNotLoaded.length > 0 && (
        <Notice kind="info" title={`${savedNotLoaded.length} key${savedNotLoaded.length === 1 ? ' has its' : 's have their'} passphrase saved but ${savedNotLoaded.length === 1 ? 'is' : 'are'} not loaded.`}>
          <Button
            variant="primary"
            busy={loadSaved.busy}
            onClick={async () => {
              const r = await loadSaved.run(() => invoke('keys:load-remembered', {}));
              if (r) {
                setSavedResult(r.failed.length ? `Loaded ${r.loaded.length}; could not load: ${r.failed.map((f) => `${f.path} (${f.message})`).join('; ')}` : `Loaded ${r.loaded.length} saved key${r.loaded.length === 1 ? '' : 's'}.`);
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

      <h2 className="section-title" id="loaded-keys-title">
        Loaded keys
      </h2>
      {list.status === 'loading' && !list.data && <Loading label="Asking the agent for its keys…" />}
      {list.status === 'error' && (
        <ErrorNotice error={list.error} title="Could not list the keys" onRetry={refresh}>
          <Button onClick={() => navigate('settings')}>Choose another agent</Button>
        </ErrorNotice>
      )}
      {list.data && identities.length === 0 && (
        <EmptyState title={locked ? 'The agent is locked.' : 'No keys are loaded.'}>
          {locked ? (
            <p>Unlock it to see and use its keys.</p>
          ) : (
            <>
              <p>Add a key so ssh and git can use it, or make your first key with the setup walkthrough.</p>
              <div className="row-actions">
                <Button variant="primary" onClick={() => setModal({ kind: 'add' })}>
                  Add key…
                </Button>
                <Button onClick={() => navigate('setup')}>Make a new key</Button>
              </div>
            </>
          )}
        </EmptyState>
      )}
      {identities.length > 0 && (
        <ul className="key-list" aria-labelledby="loaded-keys-title">
          {identities.map((id) => (
            <KeyRow key={id.fingerprint + id.comment} identity={id} now={now} onRemove={() => setModal({ kind: 'remove', identity: id })} />
          ))}
        </ul>
      )}

      {modal?.kind === 'add' && <AddKeyDialog agentId={agent?.id} onClose={() => setModal(null)} onAdded={() => refresh()} />}
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
      {(modal?.kind === 'remove' || modal?.kind === 'remove-all') && (
        <ConfirmDialog
          title={modal.kind === 'remove' ? 'Remove this key from the agent?' : `Remove all ${identities.length} keys from the agent?`}
          confirmLabel={modal.kind === 'remove' ? 'Remove' : 'Remove all'}
          busy={remove.busy}
          error={remove.error}
          onClose={() => {
            remove.setError(null);
            setModal(null);
          }}
          onConfirm={async () => {
            const r = await remove.run(() =>
              modal.kind === 'remove'
                ? invoke('agent:remove-key', { agentId: agent?.id, fingerprint: modal.identity.fingerprint })
                : invoke('agent:remove-all', { agentId: agent?.id }),
            );
            if (r) {
              setModal(null);
              refresh();
            }
          }}
        >
          {modal.kind === 'remove' ? (
            <p>
              <strong>{modal.identity.comment || modal.identity.fingerprint}</strong> will no longer be offered to servers. The key file on disk is not touched; you can add it again later.
            </p>
          ) : (
            <p>The agent will hold no keys until you add them again. Key files on disk are not touched.</p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Which agent KeyDock manages, and a warning when ssh talks to a different one. */
function AgentSummary({ agent, sshAgent, locked, onManage, busy }: { agent: AgentInfo | null; sshAgent: AgentInfo | null | undefined; locked: boolean; onManage: (a: AgentInfo) => void; busy: boolean }) {
  if (!agent) return null;
  const differs = sshAgent && sshAgent.id !== agent.id;
  return (
    <div className="agent-summary" aria-label="Agent">
      <p>
        <Term explain="An SSH agent is a small background program that holds your unlocked keys, so you type each passphrase once instead of on every git push.">Agent</Term>:{' '}
        <strong>{agent.label}</strong> <code className="agent-path">{agent.path}</code>{' '}
        {locked && <Badge tone="warning">locked</Badge>}
        {agent.usedBySsh && <Badge tone="success">used by ssh</Badge>}
      </p>
      {differs && (
        <Notice kind="warning" title={`ssh uses a different agent: ${sshAgent.label}.`}>
          <p>Keys you add here are not offered by ssh and git. Manage the agent ssh uses, or point ssh at this one.</p>
          <Button busy={busy} onClick={() => onManage(sshAgent)}>
            Manage {sshAgent.label} instead
          </Button>
        </Notice>
      )}
      {sshAgent === null && (
        <Notice kind="warning" title="ssh will not find any agent.">
          <p>
            Your environment does not point ssh at an agent (SSH_AUTH_SOCK is not set and no IdentityAgent is configured), so ssh will ask for passphrases every time. Turn on
            KeyDock's own agent in Settings, or start ssh-agent in your login session.
          </p>
        </Notice>
      )}
    </div>
  );
}
