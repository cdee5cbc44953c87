import { describe, expect, it } from 'vitest';
import { ActivityLog } from '../../../main/agent/server/activity-log';
import { Keystore, type StoredIdentity } from '../../../main/agent/server/keystore';
import { LockState, unlockDelayMs } from '../../../main/agent/server/lock-state';
import { createSigner } from '../../../main/keys/sign';
import { ed25519Numbers } from './key-numbers';

function identity(name: string, expiresAt: number | null = null): StoredIdentity {
  const k = ed25519Numbers();
  return {
    publicBlob: Buffer.concat([Buffer.from(name), k.publicKey]),
    type: 'ssh-ed25519',
    comment: name,
    fingerprint: `SHA256:${name}`,
    signer: createSigner(k),
    confirm: false,
    expiresAt,
    destinations: [],
  };
}

describe('Keystore', () => {
  it('keeps insertion order, replaces in place, removes by blob', () => {
    const ks = new Keystore();
    const a = identity('a');
    const b = identity('b');
    ks.add(a);
    ks.add(b);
    expect(ks.add({ ...a, comment: 'renamed' })).toBe(true);
    expect(ks.list().map((k) => k.comment)).toEqual(['renamed', 'b']);
    expect(ks.get(Buffer.from(b.publicBlob))?.comment).toBe('b');
    expect(ks.remove(a.publicBlob)?.comment).toBe('renamed');
    expect(ks.remove(a.publicBlob)).toBeUndefined();
    expect(ks.removeAll()).toBe(1);
    expect(ks.size).toBe(0);
  });

  it('forgets keys when their lifetime ends, on access and by timer', async () => {
    let now = 1000;
    const expired: string[] = [];
    const ks = new Keystore(() => now, (e) => expired.push(e.identity.comment));
    ks.add(identity('short', 1500));
    ks.add(identity('forever'));
    expect(ks.size).toBe(2);
    now = 1500;
    expect(ks.list().map((k) => k.comment)).toEqual(['forever']);
    expect(expired).toEqual(['short']);

    // real clock: the timer fires without anyone asking
    const real = new Keystore(undefined, (e) => expired.push(e.identity.comment));
    real.add(identity('timer', performance.now() + 30));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (expired.includes('timer')) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    real.dispose();
  });
});

describe('LockState', () => {
  it('locks with a passphrase, refuses empty and double locks, unlocks only with the same one', async () => {
    const slept: number[] = [];
    const lock = new LockState(async (ms) => void slept.push(ms));
    expect(await lock.unlock(Buffer.from('x'))).toBe(false); // not locked
    expect(await lock.lock(Buffer.alloc(0))).toBe(false);
    expect(await lock.lock(Buffer.from('secret'))).toBe(true);
    expect(lock.locked).toBe(true);
    expect(await lock.lock(Buffer.from('other'))).toBe(false);
    expect(await lock.unlock(Buffer.from('wrong'))).toBe(false);
    expect(await lock.unlock(Buffer.from('wrong2'))).toBe(false);
    expect(slept).toEqual([100, 200]);
    expect(lock.locked).toBe(true);
    expect(await lock.unlock(Buffer.from('secret'))).toBe(true);
    expect(lock.locked).toBe(false);
    // counter resets after success
    await lock.lock(Buffer.from('secret'));
    await lock.unlock(Buffer.from('nope'));
    expect(slept).toEqual([100, 200, 100]);
  });

  it('treats passphrases longer than 72 bytes as different when they differ late', async () => {
    const lock = new LockState(async () => {});
    const long = 'p'.repeat(100);
    await lock.lock(Buffer.from(long));
    expect(await lock.unlock(Buffer.from(long.slice(0, 99) + 'q'))).toBe(false);
    expect(await lock.unlock(Buffer.from(long))).toBe(true);
  });

  it('serializes guesses so parallel wrong unlocks each wait their turn', async () => {
    const order: string[] = [];
    const lock = new LockState(async (ms) => {
      order.push(`sleep ${ms}`);
      await new Promise((r) => setImmediate(r));
    });
    await lock.lock(Buffer.from('s'));
    await Promise.all([lock.unlock(Buffer.from('a')), lock.unlock(Buffer.from('b')), lock.unlock(Buffer.from('c'))]);
    expect(order).toEqual(['sleep 100', 'sleep 200', 'sleep 300']);
  });

  it('caps the delay at 10 s', () => {
    expect(unlockDelayMs(1)).toBe(100);
    expect(unlockDelayMs(100)).toBe(10_000);
    expect(unlockDelayMs(1000)).toBe(10_000);
  });
});

describe('ActivityLog', () => {
  it('keeps only the newest entries, oldest first, and filters by key', () => {
    const log = new ActivityLog(3);
    const seen: number[] = [];
    log.subscribe((e) => seen.push(e.id));
    for (let i = 0; i < 5; i++) log.record({ client: 'c', operation: 'sign', fingerprint: i % 2 ? 'odd' : 'even', destination: null, outcome: 'allowed' });
    expect(log.size).toBe(3);
    expect(log.list().map((e) => e.id)).toEqual([3, 4, 5]);
    expect(log.list({ fingerprint: 'odd' }).map((e) => e.id)).toEqual([4]);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
