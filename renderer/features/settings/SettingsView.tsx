import { useEffect, useState } from 'react';
import type { Settings } from '../../../shared/contract/app';
import type { AppError } from '../../../shared/result';
import { invoke } from '../../api';
import { useAppState } from '../../app-state';
import { Button, ErrorNotice, Field, Loading, Notice, PageHeader, Term } from '../../components/ui';
import { LIFETIME_CHOICES } from '../../lib/format';
import { useAction, useChannel } from '../../lib/hooks';
import { LoginAgentSetting } from './LoginAgentSetting';

/** Which agent, KeyDock's own agent, login start, key lifetime, idle lock and theme. */
export function SettingsView() {
  const { settings, settingsError, updateSettings } = useAppState();
  const agents = useChannel('agent:list-agents', {});
  const server = useChannel('server:get-status', {});
  const selectAgent = useAction();
  const toggleServer = useAction();
  const [saveError, setSaveError] = useState<AppError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [idle, setIdle] = useState('');
  const [idleError, setIdleError] = useState<string | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  /** The switch follows the click at once; it flips back if starting or stopping fails. */
  const [ownWanted, setOwnWanted] = useState<boolean | null>(null);

  useEffect(() => {
    if (settings) setIdle(String(settings.lockAfterIdleMinutes));
  }, [settings?.lockAfterIdleMinutes]);

  if (settingsError && !settings) return <ErrorNotice error={settingsError} title="Could not read the settings" />;
  if (!settings) return <Loading label="Loading settings…" />;

  const save = async (patch: Partial<Settings>, what: string) => {
    setSaved(null);
    const err = await updateSettings(patch);
    setSaveError(err);
    if (!err) setSaved(`Saved: ${what}.`);
  };

  const ownAgent = async (on: boolean) => {
    setOwnWanted(on);
    const r = await toggleServer.run(() => (on ? invoke('server:start-agent', {}) : invoke('server:stop-agent', {})));
    if (r) {
      server.set(r);
      await save({ runOwnAgent: on }, on ? "KeyDock's own agent is on" : "KeyDock's own agent is off");
      void agents.reload();
    }
    setOwnWanted(null);
  };

  const saveIdle = () => {
    const n = Number(idle);
    if (!/^\d+$/.test(idle.trim()) || n > 1440) return setIdleError('Type a whole number of minutes from 0 (never) to 1440 (one day).');
    setIdleError(null);
    if (n !== settings.lockAfterIdleMinutes) void save({ lockAfterIdleMinutes: n }, 'idle lock');
  };

  const selectedId = picked ?? settings.managedAgentId ?? agents.data?.find((a) => a.usedBySsh)?.id ?? '';

  return (
    <section className="view" aria-labelledby="view-title">
      <PageHeader title="Settings" />
      <div className="status-line" role="status">
        {saved}
      </div>
      {saveError && <ErrorNotice error={saveError} title="Could not save" />}

      <section className="settings-group" aria-labelledby="set-agent">
        <h2 id="set-agent" className="section-title">
          Agent
        </h2>
        {agents.status === 'loading' && !agents.data && <Loading label="Looking for agents…" />}
        {agents.status === 'error' && <ErrorNotice error={agents.error} title="Could not look for agents" onRetry={() => void agents.reload()} />}
        {agents.data && agents.data.length === 0 && <Notice kind="warning" title="No agent found on this computer. Turn on KeyDock's own agent below." />}
        {agents.data && agents.data.length > 0 && (
          <Field
            label={
              <>
                <Term explain="An SSH agent is a small background program that holds your unlocked keys, so you type each passphrase once instead of on every git push.">Agent</Term> KeyDock manages
              </>
            }
            hint="The keys view shows and changes this agent's keys."
          >
            {(p) => (
              <select
                {...p}
                value={selectedId}
                disabled={selectAgent.busy}
                onChange={async (e) => {
                  const r = await selectAgent.run(() => invoke('agent:select-agent', { agentId: e.target.value }));
                  if (r) {
                    setPicked(r.id);
                    setSaved(`Saved: KeyDock now manages ${r.label}.`);
                  }
                }}
              >
                {selectedId === '' && <option value="">Choose an agent</option>}
                {(agents.data ?? []).map((a) => (
                  <option key={a.id} value={a.id} disabled={!a.reachable}>
                    {a.label}
                    {a.usedBySsh ? ' (used by ssh)' : ''}
                    {!a.reachable ? ` (not reachable${a.reason ? `: ${a.reason}` : ''})` : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        {selectAgent.error && <ErrorNotice error={selectAgent.error} />}

        <label className="check">
          <input type="checkbox" checked={ownWanted ?? server.data?.running ?? settings.runOwnAgent} disabled={toggleServer.busy || (server.status === 'loading' && !server.data)} onChange={(e) => void ownAgent(e.target.checked)} />
          <span>Run KeyDock's own agent (keys stay in memory only; can ask before each use and logs every request)</span>
        </label>
        {server.status === 'error' && <ErrorNotice error={server.error} title="Could not ask for the agent's status" onRetry={() => void server.reload()} />}
        {toggleServer.error && <ErrorNotice error={toggleServer.error} />}
        {server.data?.running && server.data.socketPath && (
          <p className="field-hint">
            Listening at <code>{server.data.socketPath}</code>. For terminals, set <code>SSH_AUTH_SOCK={server.data.socketPath}</code>.
          </p>
        )}
        <LoginAgentSetting />
      </section>

      <section className="settings-group" aria-labelledby="set-keys">
        <h2 id="set-keys" className="section-title">
          Keys
        </h2>
        <Field label="Default time to keep a key loaded" hint="Used when you add a key; you can change it each time.">
          {(p) => (
            <select {...p} value={settings.defaultLifetimeMinutes} onChange={(e) => void save({ defaultLifetimeMinutes: Number(e.target.value) }, 'default key lifetime')}>
              {(LIFETIME_CHOICES.some((c) => c.minutes === settings.defaultLifetimeMinutes) ? LIFETIME_CHOICES : [...LIFETIME_CHOICES, { minutes: settings.defaultLifetimeMinutes, label: `${settings.defaultLifetimeMinutes} minutes` }]).map((c) => (
                <option key={c.minutes} value={c.minutes}>
                  {c.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            saveIdle();
          }}
        >
          <Field label="Lock the agent after this many idle minutes" hint="0 means never." error={idleError}>
            {(p) => (
              // Save sits right beside the field it saves.
              <span className="input-row">
                <input {...p} type="text" inputMode="numeric" value={idle} onChange={(e) => setIdle(e.target.value)} onBlur={saveIdle} className="narrow" />
                <Button type="submit">Save</Button>
              </span>
            )}
          </Field>
        </form>
      </section>

      <section className="settings-group" aria-labelledby="set-app">
        <h2 id="set-app" className="section-title">
          App
        </h2>
        <label className="check">
          <input type="checkbox" checked={settings.startAtLogin} onChange={(e) => void save({ startAtLogin: e.target.checked }, e.target.checked ? 'start at login on' : 'start at login off')} />
          <span>Start KeyDock when I log in</span>
        </label>
        <fieldset className="choice">
          <legend>Theme</legend>
          {(['system', 'light', 'dark'] as const).map((t) => (
            <label key={t} className="check">
              <input type="radio" name="theme" value={t} checked={settings.theme === t} onChange={() => void save({ theme: t }, `${t} theme`)} />
              <span>{t === 'system' ? 'Same as the system' : t === 'light' ? 'Light' : 'Dark'}</span>
            </label>
          ))}
        </fieldset>
      </section>
    </section>
  );
}
