import { afterEach, describe, expect, it, vi } from 'vitest';
import { Keystore, MAX_TIMER_MS, type StoredIdentity } from '../../../main/agent/server/keystore';
import { createSigner } from '../../../main/keys/sign';
import { ed25519Numbers } from './key-numbers';

// One scheduler for every lifetime (docs/agent-protocol.md §1.4, `ssh-add -t`): a single timer for
// the earliest deadline, never armed for more than setTimeout can wait, so `-t 30d` or `-t 4w`
// neither warns (TimeoutOverflowWarning) nor spins.

const SECOND = 1000;
const DAY = 86_400 * SECOND;
const YEAR = 365 * DAY;

const signer = createSigner(ed25519Numbers());

function identity(name: string, expiresAt: number | null): StoredIdentity {
  return { publicBlob: Buffer.from(name), type: 'ssh-ed25519', comment: name, fingerprint: `SHA256:${name}`, signer, confirm: false, expiresAt, destinations: [] };
}

afterEach(() => {
  // Spies first: restoring after useRealTimers would put the fake setTimeout back.
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** A keystore on the fake clock, recording when each key went and every delay the timer was armed with. */
function fakeClockKeystore() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const delays: number[] = [];
  const realSetTimeout = globalThis.setTimeout;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return realSetTimeout(fn, ms);
  }) as typeof setTimeout);
  const gone = new Map<string, number>();
  const ks = new Keystore(
    () => Date.now(),
    (e) => gone.set(e.identity.comment, Date.now()),
  );
  return { ks, gone, delays };
}

describe('Keystore expiry scheduler', () => {
  it.each([
    ['1 second', SECOND],
    ['30 seconds', 30 * SECOND],
    ['1 hour', 3600 * SECOND],
    ['24.8 days (the longest setTimeout)', MAX_TIMER_MS],
    ['30 days', 30 * DAY],
    ['4 weeks', 28 * DAY],
    ['1 year', YEAR],
    ['10 years', 10 * YEAR],
    ['2^32-1 seconds (the protocol maximum)', (2 ** 32 - 1) * SECOND],
  ])('a key with a lifetime of %s goes within a second of its deadline, with one timer and few wake-ups', (_name, lifetime) => {
    const { ks, gone, delays } = fakeClockKeystore();
    const start = Date.now();
    ks.add(identity('k', start + lifetime));
    expect(vi.getTimerCount()).toBe(1);

    vi.advanceTimersByTime(lifetime - SECOND);
    expect(ks.list().map((k) => k.comment)).toEqual(['k']);
    expect(gone.size).toBe(0);
    expect(vi.getTimerCount()).toBe(1);

    vi.advanceTimersByTime(SECOND);
    expect(gone.get('k')).toBeDefined();
    expect((gone.get('k') as number) - (start + lifetime)).toBeLessThan(SECOND);
    expect(ks.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);

    // Never a delay setTimeout would refuse, and one wake-up per 24.8 days at most (plus the last).
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
    expect(delays.length).toBeLessThanOrEqual(Math.ceil(lifetime / MAX_TIMER_MS) + 1);
  });

  it('keeps one timer for many keys, always aimed at the earliest deadline', () => {
    const { ks, gone } = fakeClockKeystore();
    const t0 = Date.now();
    ks.add(identity('year', t0 + YEAR));
    ks.add(identity('month', t0 + 30 * DAY));
    ks.add(identity('forever', null));
    ks.add(identity('minute', t0 + 60 * SECOND));
    expect(vi.getTimerCount()).toBe(1);
    expect(ks.nextWakeAt).toBe(t0 + 60 * SECOND);

    vi.advanceTimersByTime(60 * SECOND);
    expect([...gone.keys()]).toEqual(['minute']);
    expect(ks.nextWakeAt).toBe(t0 + 30 * DAY);

    // Removing the key the timer works towards re-aims it; removing the last lifetime disarms it.
    ks.remove(Buffer.from('month'));
    expect(ks.nextWakeAt).toBe(t0 + YEAR);
    ks.remove(Buffer.from('year'));
    expect(vi.getTimerCount()).toBe(0);
    expect(ks.list().map((k) => k.comment)).toEqual(['forever']);

    ks.add(identity('again', Date.now() + 5 * SECOND));
    ks.removeAll();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('replacing a key with a shorter lifetime re-arms for the new deadline', () => {
    const { ks, gone } = fakeClockKeystore();
    const t0 = Date.now();
    ks.add(identity('k', t0 + 30 * DAY));
    ks.add(identity('k', t0 + 10 * SECOND));
    vi.advanceTimersByTime(10 * SECOND);
    expect(gone.has('k')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with the real clock, a 30-day key arms one timer and raises no TimeoutOverflowWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const wakes: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      wakes.push(ms ?? 0);
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);
    const ks = new Keystore();
    try {
      ks.add(identity('month', performance.now() + 30 * DAY));
      vi.restoreAllMocks();
      // Warnings are emitted on the next tick; a spinning 1 ms timer would have re-armed many times by now.
      await new Promise((r) => setTimeout(r, 50));
      expect(warnings).not.toContain('TimeoutOverflowWarning');
      expect(wakes).toEqual([MAX_TIMER_MS]);
      expect(ks.size).toBe(1);
    } finally {
      ks.dispose();
      process.off('warning', onWarning);
    }
  });
});
