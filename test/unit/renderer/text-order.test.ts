import { describe, expect, it } from 'vitest';
import { ASCII_LOCALES, compareAsciiNames } from '../../../renderer/lib/text-order';

// The window sorts ASCII names without ICU (renderer/lib/text-order.ts); these tests hold that
// order to ICU's own (Node carries full ICU), locale by locale.

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
/** Where locales are known to reorder ASCII: digraphs, Turkish I, Estonian z, Lithuanian y. */
const TRICKY = ['aa', 'Aa', 'AA', 'ch', 'Ch', 'cs', 'dz', 'gy', 'll', 'ly', 'ny', 'sz', 'th', 'zs', 'dd', 'ff', 'ng', 'rh', 'i', 'I', 'y', 'z', 'w', 'v', 'ij'];

/** A small deterministic generator, so a failure names a reproducible pair. */
function* names(count: number): Generator<string> {
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < count; i++) {
    let s = '';
    const parts = Math.floor(next() * 4);
    for (let p = 0; p < parts; p++) s += next() < 0.4 ? TRICKY[Math.floor(next() * TRICKY.length)] : PRINTABLE[Math.floor(next() * PRINTABLE.length)];
    yield s;
  }
}

function disagreements(locale: string, sample: string[]): string[] {
  const icu = new Intl.Collator(locale);
  const out: string[] = [];
  for (let i = 1; i < sample.length; i++) {
    const [a, b] = [sample[i - 1]!, sample[i]!];
    if (compareAsciiNames(a, b) !== Math.sign(icu.compare(a, b))) out.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  return out;
}

const SAMPLE = [...names(20_000), ...TRICKY.flatMap((a) => TRICKY.map((b) => a + b)), 'id_ed25519', 'id-ed25519', 'id.ed25519', 'deploy@ci', 'Deploy@ci', 'key 2', 'key10', 'key2'];

describe('compareAsciiNames', () => {
  it.each(ASCII_LOCALES)('orders printable ASCII as ICU does for %s', (locale) => {
    expect(disagreements(locale, SAMPLE)).toEqual([]);
  });

  it.each(['da', 'et', 'cs', 'tr', 'lt', 'hu', 'cy'])('would be wrong for %s, which is why it is not used there', (locale) => {
    expect(ASCII_LOCALES).not.toContain(locale);
    expect(disagreements(locale, SAMPLE).length).toBeGreaterThan(0);
  });

  it('sorts a list of key names the way localeCompare does', () => {
    const list = ['zeta', 'Alpha', 'alpha', 'id_rsa', 'id-rsa', 'id_ed25519', 'beta 2', 'beta10', '', 'deploy@ci'];
    expect([...list].sort(compareAsciiNames)).toEqual([...list].sort(new Intl.Collator('en').compare));
  });
});
