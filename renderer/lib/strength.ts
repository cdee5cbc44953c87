// A passphrase strength estimate for the meter: rough entropy from length and character
// variety, with penalties for repeats and very common choices. It nudges, it does not forbid.

const COMMON = ['password', 'passphrase', '123456', 'qwerty', 'letmein', 'github', 'gitlab', 'bitbucket', 'secret', 'admin', 'welcome', 'iloveyou'];

export interface Strength {
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  advice: string;
}

/** Scores a passphrase 0–4 with a plain-words label and one piece of advice. */
export function passphraseStrength(p: string): Strength {
  if (!p) return { score: 0, label: 'No passphrase', advice: 'Without a passphrase, anyone who copies the key file can use it.' };
  let pool = 0;
  if (/[a-z]/.test(p)) pool += 26;
  if (/[A-Z]/.test(p)) pool += 26;
  if (/[0-9]/.test(p)) pool += 10;
  if (/[^A-Za-z0-9]/.test(p)) pool += 33;
  const unique = new Set(p).size;
  let bits = Math.log2(Math.max(pool, 2)) * Math.min(p.length, unique * 2);
  const lower = p.toLowerCase();
  if (COMMON.some((c) => lower.includes(c))) bits -= 20;
  if (/^(.)\1+$/.test(p)) bits = 4;
  const words = p.trim().split(/[\s\-_.]+/).filter((w) => w.length >= 3).length;
  if (words >= 4) bits = Math.max(bits, 60);
  if (bits < 28) return { score: 1, label: 'Weak', advice: 'Easy to guess. Use a longer phrase, for example four unrelated words.' };
  if (bits < 45) return { score: 2, label: 'Fair', advice: 'Could be longer. A few more words make it much harder to guess.' };
  if (bits < 65) return { score: 3, label: 'Good', advice: 'A solid passphrase.' };
  return { score: 4, label: 'Strong', advice: 'A strong passphrase.' };
}
