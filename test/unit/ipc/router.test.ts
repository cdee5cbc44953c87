import { describe, expect, it, vi } from 'vitest';
import { channelNames } from '../../../shared/ipc-contract';
import { Router, type Handlers } from '../../../main/ipc/router';
import { KeyDockError } from '../../../main/util/errors';
import { IpcErrorCode } from '../../../shared/ipc-error-codes';

/** A handler table whose every entry records calls, so tests can prove a service was never reached. */
function spyHandlers() {
  const calls: string[] = [];
  const handlers = Object.fromEntries(
    channelNames.map((c) => [
      c,
      vi.fn(async (req: unknown) => {
        calls.push(c);
        if (c === 'app:get-info') return { version: '1', platform: 'linux', transport: 'bridge', home: '/h' };
        if (c === 'agent:remove-key') throw new KeyDockError('agent-refused', 'The agent said no.', 'Load the key first.');
        return { echoed: req };
      }),
    ]),
  ) as unknown as Handlers;
  return { calls, handlers };
}

const bridgeSender = (token = 'secret', origin: string | undefined = 'http://127.0.0.1:1') => ({ transport: 'bridge' as const, token, origin });

describe('Router', () => {
  const policy = { bridgeToken: 'secret', bridgeOrigins: ['http://127.0.0.1:1'], isTrustedFrameUrl: (u: string) => u.startsWith('app://keydock/') };

  it('passes a valid request from a trusted sender to its service', async () => {
    const { calls, handlers } = spyHandlers();
    const r = await new Router(handlers, policy).dispatch('app:get-info', {}, bridgeSender());
    expect(r).toEqual({ ok: true, value: { version: '1', platform: 'linux', transport: 'bridge', home: '/h' } });
    expect(calls).toEqual(['app:get-info']);
  });

  it.each([
    ['unknown channel', 'agent:format-disk', {}, bridgeSender(), 'ipc-unknown-channel'],
    ['non-string channel', 42, {}, bridgeSender(), 'ipc-unknown-channel'],
    ['prototype key as channel', '__proto__', {}, bridgeSender(), 'ipc-unknown-channel'],
    ['invalid payload', 'agent:remove-key', { fingerprint: 7 }, bridgeSender(), 'ipc-invalid-payload'],
    ['extra payload fields', 'agent:list-identities', { agentId: 'x', evil: true }, bridgeSender(), 'ipc-invalid-payload'],
    ['wrong token', 'app:get-info', {}, bridgeSender('guess'), 'ipc-bad-token'],
    ['empty token', 'app:get-info', {}, bridgeSender(''), 'ipc-bad-token'],
    ['foreign origin', 'app:get-info', {}, bridgeSender('secret', 'http://evil.example'), 'ipc-forbidden-sender'],
    ['missing origin', 'app:get-info', {}, { transport: 'bridge' as const, token: 'secret', origin: undefined }, 'ipc-forbidden-sender'],
    ['electron frame from elsewhere', 'app:get-info', {}, { transport: 'electron' as const, frameUrl: 'https://evil.example/' }, 'ipc-forbidden-sender'],
  ])('refuses %s with a distinct code and never reaches a service', async (_name, channel, payload, sender, code) => {
    const { calls, handlers } = spyHandlers();
    const r = await new Router(handlers, policy).dispatch(channel, payload, sender);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message.length).toBeGreaterThan(10);
    }
    expect(calls).toEqual([]);
  });

  describe('payload validation, with a service that would accept anything', () => {
    /** A handler that answers every request with a contract-valid reply, so only the router can refuse. */
    function willingRemoveKey() {
      const removeKey = vi.fn(async (_req: unknown) => ({ done: true as const }));
      const handlers = { ...spyHandlers().handlers, 'agent:remove-key': removeKey } as Handlers;
      // Responses are checked too, so the control below proves the reply itself is fine.
      return { removeKey, router: new Router(handlers, policy, { validateResponses: true }) };
    }

    it('lets a valid payload through to the willing service (the control)', async () => {
      const { removeKey, router } = willingRemoveKey();
      const r = await router.dispatch('agent:remove-key', { fingerprint: 'SHA256:x' }, bridgeSender());
      expect(r).toEqual({ ok: true, value: { done: true } });
      expect(removeKey).toHaveBeenCalledTimes(1);
      expect(removeKey.mock.calls[0]?.[0]).toEqual({ fingerprint: 'SHA256:x' });
    });

    it.each([
      ['a number for a string', { fingerprint: 7 }, 'fingerprint'],
      ['a missing field', {}, 'fingerprint'],
      ['no payload at all', undefined, 'fingerprint'],
      ['an empty string', { fingerprint: '' }, 'fingerprint'],
      ['an over-long string', { fingerprint: 'x'.repeat(201) }, 'fingerprint'],
      ['an unknown extra field', { fingerprint: 'SHA256:x', evil: true }, ''],
      ['a wrong type in an optional field', { fingerprint: 'SHA256:x', agentId: 5 }, 'agentId'],
    ])('refuses %s with the validation code before the service runs', async (_name, payload, field) => {
      const { removeKey, router } = willingRemoveKey();
      const r = await router.dispatch('agent:remove-key', payload, bridgeSender());
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe(IpcErrorCode.invalidPayload);
        expect(r.error.message).toContain('agent:remove-key');
        if (field) expect(r.error.message).toContain(`(${field})`);
      }
      expect(removeKey).not.toHaveBeenCalled();
    });
  });

  it('accepts our own Electron frame', async () => {
    const { calls, handlers } = spyHandlers();
    const r = await new Router(handlers, policy).dispatch('app:get-info', {}, { transport: 'electron', frameUrl: 'app://keydock/index.html' });
    expect(r.ok).toBe(true);
    expect(calls).toEqual(['app:get-info']);
  });

  it('turns a service error into a Result with code, message and hint', async () => {
    const { handlers } = spyHandlers();
    const r = await new Router(handlers, policy).dispatch('agent:remove-key', { fingerprint: 'SHA256:x' }, bridgeSender());
    expect(r).toEqual({ ok: false, error: { code: 'agent-refused', message: 'The agent said no.', hint: 'Load the key first.' } });
  });

  it('catches a response that breaks the contract when validation is on', async () => {
    const { handlers } = spyHandlers();
    const r = await new Router(handlers, policy, { validateResponses: true }).dispatch('agent:remove-key', { fingerprint: 'SHA256:x' }, bridgeSender());
    expect(r.ok).toBe(false);
    const r2 = await new Router(handlers, policy, { validateResponses: true }).dispatch('agent:lock', { passphrase: 'p' }, bridgeSender());
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.error.code).toBe('ipc-invalid-response');
  });

  it('hides internal errors behind a plain message', async () => {
    const handlers = { ...spyHandlers().handlers, 'app:get-info': () => { throw new TypeError('x is undefined'); } } as Handlers;
    const r = await new Router(handlers, policy).dispatch('app:get-info', {}, bridgeSender());
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('internal-error');
      expect(r.error.message).not.toMatch(/at .*\.ts:\d+/);
    }
  });
});
