import { describe, expect, it } from 'vitest';
import { openSshConflictError } from '../../../main/agent/transports/windows';
import { planOpenSshPipe } from '../../../main/agent/transports/windows/openssh-service';

const ME = 'S-1-5-21-1-2-3-1001';

describe('OpenSSH pipe: serve or offer choices', () => {
  it('serves when neither the service nor anything else holds the pipe', () => {
    expect(planOpenSshPipe({ state: 'stopped', startType: 'disabled' }, { exists: false }, ME)).toEqual({ action: 'serve' });
    expect(planOpenSshPipe({ state: 'not-installed', startType: 'unknown' }, { exists: false }, ME)).toEqual({ action: 'serve' });
  });

  it('offers "use the service" or "stop it (admin)" when the Windows service runs', () => {
    const plan = planOpenSshPipe({ state: 'running', startType: 'automatic' }, { exists: true, ownerSid: 'S-1-5-32-544', serverPid: 900, serverUserSid: 'S-1-5-18' }, ME);
    expect(plan.action).toBe('conflict');
    if (plan.action !== 'conflict') return;
    expect(plan.owner).toBe('openssh-service');
    expect(plan.choices.map((c) => [c.id, c.requiresAdmin])).toEqual([
      ['use-service', false],
      ['stop-service', true],
    ]);
    expect(plan.choices[1]?.how).toContain('Stop-Service ssh-agent; Set-Service ssh-agent -StartupType Disabled');
    const err = openSshConflictError(plan);
    expect(err.code).toBe('openssh-pipe-busy');
    expect(err.exitCode).toBe(2);
    expect(err.hint).toContain('needs administrator rights');
  });

  it('recognises the service by the pipe owner even when the service state cannot be read', () => {
    const plan = planOpenSshPipe({ state: 'unknown', startType: 'unknown' }, { exists: true, ownerSid: 'S-1-5-18' }, ME);
    expect(plan.action === 'conflict' && plan.owner).toBe('openssh-service');
  });

  it('names another program that holds the pipe, and whether quitting it needs admin', () => {
    const mine = planOpenSshPipe({ state: 'stopped', startType: 'manual' }, { exists: true, ownerSid: ME, serverPid: 77, serverUserSid: ME, serverExe: 'C:\\tools\\agent.exe' }, ME);
    expect(mine.action === 'conflict' && mine.detail).toContain('C:\\tools\\agent.exe (pid 77)');
    expect(mine.action === 'conflict' && mine.choices[1]?.requiresAdmin).toBe(false);
    const busy = planOpenSshPipe({ state: 'stopped', startType: 'manual' }, { exists: true, busy: true }, ME);
    expect(busy.action === 'conflict' && busy.owner).toBe('other-program');
    expect(busy.action === 'conflict' && busy.choices[1]?.requiresAdmin).toBe(true);
  });
});
