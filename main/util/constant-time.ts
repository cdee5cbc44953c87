import { createHash, timingSafeEqual } from 'node:crypto';

// One comparison for access tokens and other secrets, so no caller hand-rolls its own.

/** The bytes a secret stands for; null for a string with lone surrogates, which UTF-8 cannot carry. */
function bytesOf(secret: string | Buffer): Buffer | null {
  if (typeof secret !== 'string') return secret;
  const bytes = Buffer.from(secret, 'utf8');
  // Every lone surrogate encodes as U+FFFD, so two different such strings would look alike.
  return bytes.toString('utf8') === secret ? bytes : null;
}

/**
 * Whether two secrets are equal (strings compare as their UTF-8 bytes). Both sides are hashed
 * first, so the time taken says nothing about how many leading bytes match, nor whether the
 * lengths do; only each input's own length shows.
 */
export function equalSecrets(a: string | Buffer, b: string | Buffer): boolean {
  const x = bytesOf(a);
  const y = bytesOf(b);
  if (x === null || y === null) return false;
  const sameDigest = timingSafeEqual(createHash('sha256').update(x).digest(), createHash('sha256').update(y).digest());
  return sameDigest && x.length === y.length;
}
