import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, disposeContext, type AppContext } from '../../../main/context';
import { createHandlers } from '../../../main/ipc/handlers';
import { Router } from '../../../main/ipc/router';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { run } from '../../support/processes';
import { keygen, scratch } from './serve-process';

// What screen lock, sleep and the idle timer do to KeyDock's own agent: every key goes.
let home: TmpHome;
let ctx: AppContext;
let router: Router;
let sc: Awaited<ReturnType<typeof scratch>>;

beforeAll(async () => {
  home = await makeTmpHome('kd-drop-');
  sc = await scratch();
  ctx = createContext({ env: home.env, transport: 'bridge' });
  router = new Router(createHandlers(ctx), {}, { validateResponses: true });
});

afterAll(async () => {
  await disposeContext(ctx);
  await sc.cleanup();
  await home.cleanup();
});

describe('server:remove-all-keys', () => {
  it('drops every key from the running own agent and says how many', async () => {
    const none = await router.dispatch('server:remove-all-keys', { reason: 'idle' }, { transport: 'internal' });
    expect(none).toEqual({ ok: true, value: { removed: 0 } });

    const started = await router.dispatch('server:start-agent', {}, { transport: 'internal' });
    expect(started.ok).toBe(true);
    const socket = (started as { value: { socketPath: string } }).value.socketPath;
    const env = { ...home.env, SSH_AUTH_SOCK: socket };
    const a = await keygen(sc.dir, 'a', 'ed25519');
    const b = await keygen(sc.dir, 'b', 'ecdsa');
    expect((await run('ssh-add', [a, b], { env })).code).toBe(0);
    expect((await run('ssh-add', ['-l'], { env })).stdout.trim().split('\n')).toHaveLength(2);

    const dropped = await router.dispatch('server:remove-all-keys', { reason: 'screen-locked' }, { transport: 'internal' });
    expect(dropped).toEqual({ ok: true, value: { removed: 2 } });
    const after = await run('ssh-add', ['-l'], { env });
    expect(after.code).toBe(1);
    expect(after.stdout).toContain('The agent has no identities.');
  });
});
