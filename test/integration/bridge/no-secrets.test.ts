import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { createContext, disposeContext, type AppContext } from '../../../main/context';
import { createHandlers } from '../../../main/ipc/handlers';
import { startBridge, type Bridge } from '../../../main/bridge/server';
import { loadPrivateKeyFile, materialOf } from '../../../main/keys/load';
import { run } from '../../support/processes';
import { startKeyring, type TestKeyring } from '../../support/keyring';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { connectSession } from './client';

// The renderer's whole view of a session that handles secrets: every byte the bridge sends to
// the page while a key is generated with a passphrase, loaded into a real ssh-agent (first with
// a wrong passphrase), remembered in a real gnome-keyring and loaded again from it, inspected,
// listed, the agent locked and unlocked, and KeyDock's own agent used by ssh-add. None of it
// may carry a passphrase or any part of a private key.
const KEY_PASS = 'horse-battery-K3yP4ss';
const WRONG_PASS = 'wrong-Pa55-guess';
const LOCK_PASS = 'lock-Pa55-9f2';

describe('nothing secret crosses the bridge to the page', () => {
  let keyring: TestKeyring;
  let restoreEnv: () => void;
  let home: TmpHome;
  let agent: RealAgent;
  let ctx: AppContext;
  let bridge: Bridge;
  let staticDir: string;
  let ws: WebSocket;
  const received: string[] = [];
  let nextId = 1;

  const invoke = (channel: string, payload: unknown = {}) =>
    new Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>((resolve) => {
      const id = nextId++;
      const onMessage = (data: WebSocket.RawData) => {
        const msg = JSON.parse(data.toString()) as { type: string; id?: number; result?: { ok: boolean } };
        if (msg.type === 'result' && msg.id === id) {
          ws.off('message', onMessage);
          resolve(msg.result as { ok: boolean });
        }
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ type: 'invoke', id, channel, payload }));
    });
  const ok = async (channel: string, payload: unknown = {}) => {
    const r = await invoke(channel, payload);
    expect(r.ok, `${channel}: ${JSON.stringify(r.error)}`).toBe(true);
    return r.value;
  };

  beforeAll(async () => {
    keyring = await startKeyring();
    restoreEnv = keyring.withEnv();
    home = await makeTmpHome('keydock-no-secrets-');
    agent = await startOpenSshAgent();
    staticDir = await mkdtemp(join(tmpdir(), 'keydock-static-'));
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>KeyDock</title>');
    ctx = createContext({ env: { ...home.env, ...keyring.env, SSH_AUTH_SOCK: agent.socket }, transport: 'bridge' });
    bridge = await startBridge(ctx, { staticDir, handlers: createHandlers(ctx) });
    ({ ws } = await connectSession(bridge.port, { code: bridge.issueLaunchCode().code }));
    ws.on('message', (data) => received.push(data.toString()));
  }, 60_000);

  afterAll(async () => {
    ws?.close();
    await bridge?.close();
    await disposeContext(ctx);
    await agent?.stop();
    await rm(staticDir, { recursive: true, force: true });
    await home?.cleanup();
    restoreEnv?.();
    await keyring?.stop();
  });

  it('sends results and events without passphrases or private key material', { timeout: 120_000 }, async () => {
    const generated = (await ok('keys:generate-key', { type: 'ed25519', fileName: 'id_secret', comment: 'secret@test', passphrase: KEY_PASS })) as { path: string };
    const plainKey = (await ok('keys:generate-key', { type: 'ed25519', fileName: 'id_plain', comment: 'plain@test', passphrase: '' })) as { path: string };

    const wrong = await invoke('agent:add-key', { path: generated.path, passphrase: WRONG_PASS });
    expect(wrong.ok).toBe(false);
    await ok('agent:add-key', { path: generated.path, passphrase: KEY_PASS, remember: true });
    await ok('agent:list-identities');
    await ok('keys:list-files');
    await ok('keys:inspect-file', { path: generated.path });
    await ok('keys:read-public-key', { path: generated.path });
    await ok('agent:remove-all');
    expect(((await ok('keys:load-remembered')) as { loaded: string[] }).loaded).toHaveLength(1);

    await ok('agent:lock', { passphrase: LOCK_PASS });
    expect((await invoke('agent:unlock', { passphrase: WRONG_PASS })).ok).toBe(false);
    await ok('agent:unlock', { passphrase: LOCK_PASS });

    const own = (await ok('server:start-agent')) as { socketPath: string };
    const ownEnv = { ...home.env, SSH_AUTH_SOCK: own.socketPath };
    expect((await run('ssh-add', [plainKey.path], { env: ownEnv })).code).toBe(0);
    expect((await run('ssh-add', ['-T', `${plainKey.path}.pub`], { env: ownEnv })).code).toBe(0);
    await ok('server:list-activity');
    await ok('server:get-status');
    await ok('server:stop-agent');

    // What would betray a key: its passphrases, the lines of its file, its raw private numbers.
    const secrets = [KEY_PASS, WRONG_PASS, LOCK_PASS];
    for (const path of [generated.path, plainKey.path]) {
      const text = await readFile(path, 'utf8');
      secrets.push(...text.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----')));
      const key = await loadPrivateKeyFile(path, async () => KEY_PASS);
      const m = materialOf(key);
      if (m.kind !== 'ed25519') throw new Error('expected an Ed25519 key');
      secrets.push(m.seed.toString('hex'), m.seed.toString('base64').replace(/=+$/, ''), m.seed.toString('base64url'));
    }
    expect(received.length).toBeGreaterThan(15);
    const everything = received.join('\n');
    for (const s of secrets) expect(everything.includes(s), `the page received a secret (${s.slice(0, 6)}…)`).toBe(false);
    // The check itself can see: the public key and the comment did reach the page.
    expect(everything).toContain('secret@test');
  });
});
