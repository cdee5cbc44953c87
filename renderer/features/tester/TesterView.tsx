import { useEffect, useRef, useState } from 'react';
import { useAppState } from '../../app-state';
import { Button, EmptyState, ErrorNotice, Field, Loading, PageHeader } from '../../components/ui';
import { useChannel } from '../../lib/hooks';
import { StepList, TestResult } from './TestResult';
import { useConnectionTest } from './useConnectionTest';
import { useWhich, WhichPanel } from './WhichPanel';

/** One-click "will git push work?" for the big Git hosts or any host. */
export function TesterView() {
  const { route } = useAppState();
  const presets = useChannel('tester:list-presets', {});
  const conn = useConnectionTest();
  const which = useWhich();
  // Every test starts with what ssh would do for the host, read locally while the test connects.
  const test = {
    ...conn,
    run: (t: string) => {
      void which.look(t);
      return conn.run(t);
    },
  };
  const [host, setHost] = useState('');
  const [hostError, setHostError] = useState<string | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const hostRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (route.view === 'test' && route.target) {
      setHost(route.target);
      if (route.run) void test.run(route.target);
      // Sent here to test with a host ("Test with…" on a key): the field is ready to change.
      else window.setTimeout(() => hostRef.current?.select(), 0);
    }
  }, [route.seq]);

  const runHost = () => {
    const h = host.trim();
    if (!h) return setHostError('Type a host name, for example git.example.com or git@example.com:2222.');
    if (!/^[A-Za-z0-9@.:_/\-[\]]+$/.test(h)) return setHostError('That does not look like a host name. Use letters, digits, dots and dashes, optionally user@ before and :port after.');
    setHostError(null);
    void test.run(h);
  };

  return (
    <section className="view" aria-labelledby="view-title">
      <PageHeader title="Connection test" lead="Checks whether you can log in with your keys, step by step, and explains how to fix it when you can't." />
      <h2 className="section-title">Test a Git host</h2>
      {presets.status === 'loading' && !presets.data && <Loading label="Loading hosts…" />}
      {presets.status === 'error' && <ErrorNotice error={presets.error} onRetry={() => void presets.reload()} />}
      {presets.data && presets.data.length === 0 && <EmptyState title="No preset hosts." />}
      {presets.data && presets.data.length > 0 && (
        <div className="preset-buttons">
          {presets.data.map((p) => (
            // The host name, not the preset id: ~/.ssh/config (User, HostName, Port) applies to it as it does for git.
            <Button key={p.id} busy={test.running && test.target === p.host} disabled={test.running} onClick={() => void test.run(p.host)}>
              Test {p.name}
            </Button>
          ))}
        </div>
      )}
      <form
        className="host-form"
        onSubmit={(e) => {
          e.preventDefault();
          runHost();
        }}
      >
        <Field label="Or any host" hint="A host name, optionally with user@ before it and :port after it." error={hostError}>
          {(p) => <input {...p} ref={hostRef} type="text" spellCheck={false} autoCapitalize="off" placeholder="git@git.example.com:22" value={host} onChange={(e) => setHost(e.target.value)} />}
        </Field>
        <Button type="submit" variant="primary" disabled={test.running}>
          Test
        </Button>
      </form>
      {test.target && (
        <div className="test-run" ref={resultRef} aria-live="polite">
          <h2 className="section-title">Testing {test.target}</h2>
          <WhichPanel report={which.report} error={which.error} loading={which.loading} />
          <StepList steps={test.steps} running={test.running} />
          {!test.running && <TestResult report={test.report} error={test.error} target={test.target} onRetest={() => void test.run(test.target as string)} />}
        </div>
      )}
    </section>
  );
}
