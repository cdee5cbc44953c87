import { describe, expect, it } from 'vitest';
import { equalSecrets } from '../../../main/util/constant-time';

// The one comparison the router and the bridge use for their access tokens.
describe('equalSecrets', () => {
  it('is true only for the same secret, as strings or bytes', () => {
    expect(equalSecrets('s3cret-token', 's3cret-token')).toBe(true);
    expect(equalSecrets(Buffer.from('s3cret-token'), 's3cret-token')).toBe(true);
    expect(equalSecrets('s3cret-token', Buffer.from('s3cret-token'))).toBe(true);
    expect(equalSecrets('', '')).toBe(true);
    expect(equalSecrets('clé', Buffer.from('clé', 'utf8'))).toBe(true);
    expect(equalSecrets('s3cret-token', 's3cret-tokeN')).toBe(false);
    expect(equalSecrets('s3cret-token', 'S3cret-token')).toBe(false);
  });

  it('answers false, never throws, when the lengths differ', () => {
    expect(equalSecrets('s3cret-token', 's3cret')).toBe(false);
    expect(equalSecrets('s3cret', 's3cret-token')).toBe(false);
    expect(equalSecrets('', 'x')).toBe(false);
    expect(equalSecrets(Buffer.alloc(0), Buffer.alloc(32))).toBe(false);
    expect(equalSecrets('a'.repeat(10_000), 'a')).toBe(false);
  });

  it('does not take strings that differ only in lone surrogates for the same secret', () => {
    expect(equalSecrets('a\uD800', 'a\uDC00')).toBe(false);
    expect(equalSecrets('a\uD800', 'a\uFFFD')).toBe(false);
  });
});
