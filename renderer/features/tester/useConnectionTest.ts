import { useCallback, useRef, useState } from 'react';
import type { TestReport, TestStep } from '../../../shared/contract/connect';
import type { AppError } from '../../../shared/result';
import { invoke } from '../../api';
import { useEvent } from '../../lib/hooks';
import { randomId } from '../../lib/format';

/** Runs a connection test and collects its progress steps live, keyed by our own run id. */
export function useConnectionTest() {
  const [target, setTarget] = useState<string | null>(null);
  const [steps, setSteps] = useState<TestStep[]>([]);
  const [report, setReport] = useState<TestReport | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [running, setRunning] = useState(false);
  const runId = useRef<string | null>(null);

  useEvent('tester:progress', (p) => {
    if (p.runId === runId.current) setSteps((s) => [...s, p.step]);
  });

  const run = useCallback(async (t: string) => {
    const id = randomId('run-');
    runId.current = id;
    setTarget(t);
    setSteps([]);
    setReport(null);
    setError(null);
    setRunning(true);
    const r = await invoke('tester:run-test', { target: t, runId: id });
    if (runId.current !== id) return;
    setRunning(false);
    if (r.ok) {
      setReport(r.value);
      setSteps(r.value.steps);
    } else setError(r.error);
  }, []);

  return { target, steps, report, error, running, run };
}
