import { describe, expect, it } from 'vitest';
import { keychainFirst, type PassphrasePrompt } from '../../../main/agent/server/encrypted-keys';

// A key kept encrypted until first use opens with a remembered passphrase without asking anyone;
// when that passphrase is wrong (or none is remembered), the person is asked as for a first try.
describe('keychainFirst', () => {
  const prompt = (attempt: number): PassphrasePrompt => ({ fingerprint: 'SHA256:abc', comment: 'work', attempt });
  const signal = new AbortController().signal;

  it('answers from the keychain without asking', async () => {
    const asked: number[] = [];
    const ask = keychainFirst(async (p) => (asked.push(p.attempt), 'typed'), async (fp) => (fp === 'SHA256:abc' ? 'remembered' : null));
    expect(await ask(prompt(0), signal)).toBe('remembered');
    expect(asked).toEqual([]);
    // The remembered one was wrong: the person's first question, not "wrong passphrase".
    expect(await ask(prompt(1), signal)).toBe('typed');
    expect(asked).toEqual([0]);
  });

  it('asks at once when nothing is remembered or the keychain fails', async () => {
    const asked: number[] = [];
    const none = keychainFirst(async (p) => (asked.push(p.attempt), 'typed'), async () => null);
    expect(await none(prompt(0), signal)).toBe('typed');
    const broken = keychainFirst(async (p) => (asked.push(p.attempt), 'typed'), async () => {
      throw new Error('no Secret Service');
    });
    expect(await broken(prompt(0), signal)).toBe('typed');
    expect(asked).toEqual([0, 0]);
  });
});
