// Sorting names the way the user's locale does (what localeCompare gives) without paying for
// ICU on a fresh page: creating the first Intl.Collator loads ICU's collation data, 15–70 ms of
// the main thread in a new Chromium renderer, right when the first list of keys is drawn.
// Names made only of printable ASCII, in a locale that does not reorder ASCII, are compared
// with the table below, which gives the same order; anything else goes to a real collator.

/**
 * Printable ASCII in the order of Unicode's root collation (CLDR), which these characters keep
 * in the locales of ASCII_LOCALES: space, punctuation and symbols, digits, then letters, each
 * letter's lower and upper case at one place (case decides only between otherwise equal names,
 * lower case first). test/unit/renderer/text-order.test.ts checks it against ICU.
 */
const ROOT_ORDER = ` _-,;:!?.'"()[]{}@*/\\&#%\`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz`;

/** Languages whose collation keeps ASCII in root order (Danish "aa", Estonian "z", Czech "ch", Turkish "I"… do not). */
export const ASCII_LOCALES: readonly string[] = ['en', 'de', 'fr', 'it', 'nl', 'pt', 'es', 'ca', 'pl', 'ru', 'uk', 'el', 'ja', 'zh', 'ko'];

const PRIMARY = new Uint8Array(128).fill(0xff);
for (let i = 0; i < ROOT_ORDER.length; i++) {
  const code = ROOT_ORDER.charCodeAt(i);
  PRIMARY[code] = i;
  if (code >= 0x61 && code <= 0x7a) PRIMARY[code - 0x20] = i;
}

const isPrintableAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);
const isUpper = (code: number) => code >= 0x41 && code <= 0x5a;

/** Root collation for two printable-ASCII names (symbols, digits, letters; then case), as -1, 0 or 1. */
export function compareAsciiNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = PRIMARY[a.charCodeAt(i)]! - PRIMARY[b.charCodeAt(i)]!;
    if (d !== 0) return Math.sign(d);
  }
  if (a.length !== b.length) return Math.sign(a.length - b.length);
  for (let i = 0; i < n; i++) {
    const d = Number(isUpper(a.charCodeAt(i))) - Number(isUpper(b.charCodeAt(i)));
    if (d !== 0) return d;
  }
  return 0;
}

let collator: Intl.Collator | undefined;
let asciiLocale: boolean | undefined;

function localeKeepsAscii(): boolean {
  if (asciiLocale === undefined) {
    // Through globalThis: this module is also type-checked with the Node tests, which have no DOM types.
    const { navigator } = globalThis as { navigator?: { language?: string } };
    const language = (navigator?.language || 'en').toLowerCase().split('-')[0]!;
    asciiLocale = ASCII_LOCALES.includes(language);
  }
  return asciiLocale;
}

/** Orders names as `a.localeCompare(b)` does in the user's locale. */
export function compareNames(a: string, b: string): number {
  if (localeKeepsAscii() && isPrintableAscii(a) && isPrintableAscii(b)) return compareAsciiNames(a, b);
  return (collator ??= new Intl.Collator()).compare(a, b);
}
