import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { KEYDOCK_VERSION } from '../../../main/context';

// The version is a constant so the CLI bundle needs no package.json at run time; it must not drift.
it('KEYDOCK_VERSION is the version in package.json', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { version: string };
  expect(KEYDOCK_VERSION).toBe(pkg.version);
});
