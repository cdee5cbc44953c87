import { describe, expect, it } from 'vitest';
import { keychainFirst, passphrasePromptText, type PassphrasePrompt } from '../../../main/agent/server/encrypted-keys';

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

  it('never answers a security key PIN from the keychain, and asks for it as a PIN', async () => {
    const asked: string[] = [];
    const ask = keychainFirst(async (p) => (asked.push(passphrasePromptText(p)), '1234'), async () => 'remembered file passphrase');
    expect(await ask({ ...prompt(0), secret: 'security-key-pin' }, signal)).toBe('1234');
    expect(asked).toEqual(['Enter the PIN of the security key for work (SHA256:abc):']);
    expect(passphrasePromptText({ ...prompt(1), secret: 'security-key-pin' })).toMatch(/^Wrong PIN\. /);
    expect(passphrasePromptText(prompt(0))).toMatch(/^Enter passphrase to decrypt key work/);
  });
});
