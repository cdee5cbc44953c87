import { describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES } from '../../../shared/channel-names';
import { channelNames, contract } from '../../../shared/ipc-contract';
import { Router, type Handlers } from '../../../main/ipc/router';

// lifecycle:* channels: the router checks every payload before a service sees it.

function spyHandlers() {
  const calls: Array<{ channel: string; req: unknown }> = [];
  const handlers = Object.fromEntries(
    channelNames.map((c) => [
      c,
      vi.fn(async (req: unknown) => {
        calls.push({ channel: c, req });
        return {};
      }),
    ]),
  ) as unknown as Handlers;
  return { calls, handlers };
}

const internal = { transport: 'internal' as const };
const FP = 'SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU';

describe('lifecycle IPC channels', () => {
  it('are in the contract and in the zod-free name list the preload uses', () => {
    for (const c of ['lifecycle:plan-rotation', 'lifecycle:rotation-status', 'lifecycle:rotate', 'lifecycle:git-signing-status', 'lifecycle:git-signing-setup'] as const) {
      expect(Object.keys(contract)).toContain(c);
      expect(CHANNEL_NAMES).toContain(c);
    }
  });

  it.each([
    ['lifecycle:plan-rotation', { keyPath: '/home/u/.ssh/id_old' }, { keyPath: '/home/u/.ssh/id_old', servers: [], skipServers: [] }],
    ['lifecycle:plan-rotation', { keyPath: '/k', type: 'rsa', servers: ['me@host:2222'], rememberNew: false }, { keyPath: '/k', type: 'rsa', servers: ['me@host:2222'], skipServers: [], rememberNew: false }],
    ['lifecycle:rotation-status', { keyPath: '/k' }, { keyPath: '/k' }],
    ['lifecycle:rotate', { keyPath: '/k', action: 'start', passphrase: 'p', runId: 'r1' }, { keyPath: '/k', action: 'start', passphrase: 'p', runId: 'r1', servers: [], skipServers: [] }],
    ['lifecycle:rotate', { keyPath: '/k', action: 'rollback' }, { keyPath: '/k', action: 'rollback', servers: [], skipServers: [] }],
    ['lifecycle:git-signing-status', {}, {}],
    ['lifecycle:git-signing-status', { repo: '/src/app' }, { repo: '/src/app' }],
    ['lifecycle:git-signing-setup', {}, { signCommits: false, signTags: false }],
    ['lifecycle:git-signing-setup', { fingerprint: FP, signCommits: true, email: 'me@example.com' }, { fingerprint: FP, signCommits: true, signTags: false, email: 'me@example.com' }],
  ])('%s passes a valid payload %j (defaults filled in)', async (channel, payload, seen) => {
    const { calls, handlers } = spyHandlers();
    const r = await new Router(handlers, {}).dispatch(channel, payload, internal);
    expect(r.ok).toBe(true);
    expect(calls).toEqual([{ channel, req: seen }]);
  });

  it.each([
    ['lifecycle:plan-rotation', {}, 'keyPath'],
    ['lifecycle:plan-rotation', { keyPath: '' }, 'keyPath'],
    ['lifecycle:plan-rotation', { keyPath: 42 }, 'keyPath'],
    ['lifecycle:plan-rotation', { keyPath: '/k', type: 'dsa' }, 'type'],
    ['lifecycle:plan-rotation', { keyPath: '/k', servers: 'host' }, 'servers'],
    ['lifecycle:plan-rotation', { keyPath: '/k', servers: Array.from({ length: 65 }, () => 'h') }, 'servers'],
    ['lifecycle:plan-rotation', { keyPath: '/k', passphrase: 'secret' }, ''],
    ['lifecycle:rotate', { keyPath: '/k' }, 'action'],
    ['lifecycle:rotate', { keyPath: '/k', action: 'delete' }, 'action'],
    ['lifecycle:rotate', { keyPath: '/k', action: 'start', passphrase: 'x'.repeat(2000) }, 'passphrase'],
    ['lifecycle:rotate', { keyPath: '/k', action: 'start', yes: true }, ''],
    ['lifecycle:rotation-status', { keyPath: '' }, 'keyPath'],
    ['lifecycle:git-signing-status', { repo: '' }, 'repo'],
    ['lifecycle:git-signing-status', { global: true }, ''],
    ['lifecycle:git-signing-setup', { fingerprint: 'MD5:aa:bb' }, 'fingerprint'],
    ['lifecycle:git-signing-setup', { keyPath: '/k', fingerprint: FP }, 'fingerprint'],
    ['lifecycle:git-signing-setup', { signCommits: 'yes' }, 'signCommits'],
    ['lifecycle:git-signing-setup', { email: 'x'.repeat(400) }, 'email'],
    ['lifecycle:git-signing-setup', { keyPath: 'x'.repeat(5000) }, 'keyPath'],
  ])('%s refuses %j before any service runs', async (channel, payload, where) => {
    const { calls, handlers } = spyHandlers();
    const r = await new Router(handlers, {}).dispatch(channel, payload, internal);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('ipc-invalid-payload');
      if (where) expect(r.error.message).toContain(`(${where})`);
    }
    expect(calls).toEqual([]);
  });
});
