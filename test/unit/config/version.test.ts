import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { KEYDOCK_VERSION } from '../../../main/util/version';

// Bundles inline the version from package.json; this keeps the one reader honest.
it('KEYDOCK_VERSION is the version in package.json', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string };
  expect(KEYDOCK_VERSION).toBe(pkg.version);
});
