import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { Settings } from '../../../shared/contract/app';

// Packaged builds never open DevTools: the window factory asks Electron whether it runs packaged
// rather than an environment variable that nothing sets.
it('turns DevTools off in packaged builds', () => {
  const source = readFileSync('main/app/window.ts', 'utf8');
  expect(source).toMatch(/devTools: !app\.isPackaged,/);
  expect(source).not.toMatch(/KEYDOCK_PACKAGED/);
});

it('bounds every settings string the window or a file can set', () => {
  expect(Settings.safeParse({ managedAgentId: 'x'.repeat(1_000_000) }).success).toBe(false);
  expect(Settings.safeParse({ managedAgentId: '/run/user/1000/keydock/agent.sock' }).success).toBe(true);
  expect(Settings.safeParse({ setupProgress: { provider: 'p'.repeat(65), step: 1, keyPath: null } }).success).toBe(false);
  expect(Settings.safeParse({ setupProgress: { provider: 'github', step: 1, keyPath: 'k'.repeat(4097) } }).success).toBe(false);
});
