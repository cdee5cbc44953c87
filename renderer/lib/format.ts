// Small text helpers shared by the views: plain words for machine values.

/** `SHA256:abcdef…wxyz`: enough to recognise a key at a glance; the full one is copyable. */
export function shortFingerprint(fp: string): string {
  const [algo, rest] = fp.includes(':') ? [fp.slice(0, fp.indexOf(':')), fp.slice(fp.indexOf(':') + 1)] : ['', fp];
  if (rest.length <= 14) return fp;
  return `${algo ? algo + ':' : ''}${rest.slice(0, 8)}…${rest.slice(-4)}`;
}

// Key type labels are shared with the CLI, so they live in shared/.
export { keyTypeLabel } from '../../shared/key-types';

/** Agents report expiry as epoch seconds or ms; accept both. */
export function toMs(epoch: number): number {
  return epoch < 1e12 ? epoch * 1000 : epoch;
}

/** "in 4 min", "in 2 h 5 min", "now". */
export function timeLeft(untilMs: number, now: number): string {
  const s = Math.round((untilMs - now) / 1000);
  if (s <= 0) return 'now';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} days`;
}

export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The file name part of a path (either separator), for compact display. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** Durations offered for "forget this key after…"; 0 = keep until removed. */
export const LIFETIME_CHOICES: Array<{ minutes: number; label: string }> = [
  { minutes: 0, label: 'Until I remove it' },
  { minutes: 15, label: '15 minutes' },
  { minutes: 60, label: '1 hour' },
  { minutes: 240, label: '4 hours' },
  { minutes: 480, label: '8 hours' },
  { minutes: 1440, label: '1 day' },
];

/** Lets each id stay unique without crypto.randomUUID (missing outside secure contexts). */
export function randomId(prefix: string): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
