import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, disposeContext, type AppContext } from '../../../main/context';
import { createHandlers } from '../../../main/ipc/handlers';
import { Router } from '../../../main/ipc/router';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { run } from '../../support/processes';
import { keygen, scratch } from './serve-process';

let home: TmpHome;
let ctx: AppContext;
let router: Router;
let sc: Awaited<ReturnType<typeof scratch>>;
const internal = { transport: 'internal' } as const;

beforeAll(async () => {
  home = await makeTmpHome('kd-ipc-');
  sc = await scratch();
  ctx = createContext({ env: home.env, transport: 'bridge' });
  router = new Router(createHandlers(ctx), {}, { validateResponses: true });
});

afterAll(async () => {
  await disposeContext(ctx);
  await sc.cleanup();
  await home.cleanup();
});

async function call<T>(channel: string, payload: unknown = {}): Promise<T> {
  const r = await router.dispatch(channel, payload, internal);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

describe('server:* IPC handlers', () => {
  it('starts the own agent, asks the UI to confirm a -c key, records activity, and stops cleanly', async () => {
    expect(await call('server:get-status')).toEqual({ running: false, socketPath: null, keyCount: 0, locked: false });
    const started = await call<{ running: boolean; socketPath: string }>('server:start-agent');
    expect(started.running).toBe(true);
    expect(started.socketPath).toBe(`${home.env.XDG_RUNTIME_DIR}/keydock/agent.sock`);
    expect((await stat(started.socketPath)).mode & 0o777).toBe(0o600);

    const key = await keygen(sc.dir, 'ui', 'ed25519');
    const env = { ...home.env, SSH_AUTH_SOCK: started.socketPath };
    expect((await run('ssh-add', ['-c', key], { env })).code).toBe(0);
    expect(await call('server:get-status')).toMatchObject({ keyCount: 1, locked: false });

    const activity: Array<{ operation: string; outcome: string }> = [];
    const offActivity = ctx.events.on('server:activity', (e) => activity.push(e));
    const requests: Array<{ requestId: string; comment: string; client: string }> = [];
    const closed: Array<{ requestId: string; allowed: boolean }> = [];
    const offReq = ctx.events.on('server:confirm-request', (r) => requests.push(r));
    const offClosed = ctx.events.on('server:confirm-closed', (c) => closed.push(c));

    const allowed = run('ssh-add', ['-T', `${key}.pub`], { env });
    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0]).toMatchObject({ comment: 'ui@keydock-test' });
    expect(requests[0]?.client).toMatch(/^ssh-add \(pid \d+/);
    expect(await call('server:answer-confirm', { requestId: requests[0]?.requestId, allow: true })).toEqual({ done: true });
    expect((await allowed).code).toBe(0);

    const denied = run('ssh-add', ['-T', `${key}.pub`], { env });
    await expect.poll(() => requests.length).toBe(2);
    await call('server:answer-confirm', { requestId: requests[1]?.requestId, allow: false });
    expect((await denied).code).not.toBe(0);
    expect(closed.map((c) => c.allowed)).toEqual([true, false]);

    // answering again is a clear error, not a silent success
    const again = await router.dispatch('server:answer-confirm', { requestId: requests[1]?.requestId, allow: true }, internal);
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.code).toBe('confirm-not-pending');

    offActivity();
    offReq();
    offClosed();
    expect(activity.some((e) => e.operation === 'sign' && e.outcome === 'allowed')).toBe(true);
    const list = await call<Array<{ operation: string; outcome: string; fingerprint: string | null }>>('server:list-activity');
    expect(list.filter((e) => e.operation === 'sign').map((e) => e.outcome)).toEqual(['allowed', 'denied']);
    const fp = list.find((e) => e.operation === 'sign')?.fingerprint as string;
    expect((await call<unknown[]>('server:list-activity', { fingerprint: fp })).length).toBeGreaterThanOrEqual(2);

    const stopped = await call<{ running: boolean }>('server:stop-agent');
    expect(stopped.running).toBe(false);
    await expect(stat(started.socketPath)).rejects.toThrow(/ENOENT/);
    // the activity stays viewable after the agent stopped
    expect((await call<unknown[]>('server:list-activity')).length).toBe(list.length);
  });
});

// What screen lock, sleep and the idle timer do to KeyDock's own agent: every key goes.
describe('server:remove-all-keys', () => {
  it('drops every key from the running own agent and says how many', async () => {
    await call('server:stop-agent');
    expect(await call('server:remove-all-keys', { reason: 'idle' })).toEqual({ removed: 0 });
    const { socketPath } = await call<{ socketPath: string }>('server:start-agent');
    const env = { ...home.env, SSH_AUTH_SOCK: socketPath };
    const a = await keygen(sc.dir, 'drop-a', 'ed25519');
    const b = await keygen(sc.dir, 'drop-b', 'ecdsa');
    expect((await run('ssh-add', [a, b], { env })).code).toBe(0);
    expect((await run('ssh-add', ['-l'], { env })).stdout.trim().split('\n')).toHaveLength(2);
    expect(await call('server:remove-all-keys', { reason: 'screen-locked' })).toEqual({ removed: 2 });
    const after = await run('ssh-add', ['-l'], { env });
    expect(after.code).toBe(1);
    expect(after.stdout).toContain('The agent has no identities.');
    await call('server:stop-agent');
  });
});
