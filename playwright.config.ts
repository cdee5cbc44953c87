import { defineConfig } from '@playwright/test';

// UI tests drive the real renderer in Debian's Chromium against real services through the
// loopback bridge; e2e tests drive the packaged Electron app where a binary exists.
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export default defineConfig({
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  outputDir: 'test-results',
  use: {
    headless: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'ui',
      testDir: 'test/ui',
      use: {
        browserName: 'chromium',
        // The environment is fixed here, at load time: a test that points process.env at its own
        // keyring's D-Bus must not hand that bus to the browser (it dies when the bus stops).
        launchOptions: { executablePath: process.env.KEYDOCK_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, env: { ...process.env } as Record<string, string> },
        viewport: { width: 1040, height: 720 },
      },
    },
    {
      name: 'e2e',
      testDir: 'test/e2e',
    },
  ],
});
