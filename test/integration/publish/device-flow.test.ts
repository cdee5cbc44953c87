import { afterEach, describe, expect, it } from 'vitest';
import { requestDeviceCode, waitForDeviceToken } from '../../../main/publish/device-flow';
import { resolveEndpoint } from '../../../main/publish/endpoints';
import { startGitHostApi, type DeviceStep, type GitHostApi } from '../../support/git-host-api';

/**
 * GitHub's device flow against the local fake, timed: KeyDock waits the interval the server
 * asks before every poll, adds 5 seconds after slow_down (the real increment: no speed-up knob),
 * and stops on expired_token and access_denied. The fake records when each request arrived.
 */
describe('GitHub device flow polling', () => {
  let fake: GitHostApi | null = null;
  afterEach(async () => {
    await fake?.stop();
    fake = null;
  });

  const flow = async (script: DeviceStep[]) => {
    fake = await startGitHostApi({ provider: 'github', users: [{ login: 'octocat' }], device: { clientId: 'Iv1.timing', interval: 1, script, user: 'octocat' } });
    const e = resolveEndpoint('github', fake.apiUrl);
    const code = await requestDeviceCode(fetch, e, 'Iv1.timing', ['write:public_key']);
    expect(code).toMatchObject({ userCode: 'WDJB-MJHT', interval: 1, expiresIn: 900, verificationUri: `${fake.origin}/login/device` });
    return { e, code, fake };
  };
  // Timers may fire a millisecond or two early relative to another process's clock reading.
  const SLACK_MS = 15;

  it('waits the interval before each poll and 5 s more after slow_down', async () => {
    const { e, code, fake: f } = await flow(['pending', 'slow_down']);
    const waits: number[] = [];
    const token = await waitForDeviceToken(fetch, e, 'Iv1.timing', code, { onWait: (s) => waits.push(s) });
    expect(token.token).toBe(f.issuedTokens[0]);
    expect(token.scopes).toEqual(['write:public_key']);
    expect(waits).toEqual([1, 1, 6]);
    const [p1, p2, p3] = f.polls as [number, number, number];
    expect(f.polls).toHaveLength(3);
    expect(p1 - (f.deviceCodeAt as number)).toBeGreaterThanOrEqual(1000 - SLACK_MS);
    expect(p2 - p1).toBeGreaterThanOrEqual(1000 - SLACK_MS);
    expect(p3 - p2).toBeGreaterThanOrEqual(6000 - SLACK_MS);
    // Every poll names the grant type and the device code the server handed out, never a secret.
    for (const r of f.requests.filter((q) => q.url === '/login/oauth/access_token')) {
      expect(Object.fromEntries(new URLSearchParams(r.body))).toEqual({ client_id: 'Iv1.timing', device_code: code.deviceCode, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' });
    }
  }, 30_000);

  it('stops at expired_token with a plain error and polls no more', async () => {
    const { e, code, fake: f } = await flow(['pending', 'expired_token']);
    await expect(waitForDeviceToken(fetch, e, 'Iv1.timing', code)).rejects.toMatchObject({ code: 'publish-sign-in-expired', message: expect.stringContaining('expired before it was entered') });
    expect(f.polls).toHaveLength(2);
    expect(f.issuedTokens).toEqual([]);
  }, 30_000);

  it('stops at access_denied', async () => {
    const { e, code, fake: f } = await flow(['access_denied']);
    await expect(waitForDeviceToken(fetch, e, 'Iv1.timing', code)).rejects.toMatchObject({ code: 'publish-sign-in-denied' });
    expect(f.polls).toHaveLength(1);
  }, 30_000);

  it('an unknown client id is refused before any polling', async () => {
    fake = await startGitHostApi({ provider: 'github', users: [], device: { clientId: 'Iv1.right', user: 'octocat' } });
    await expect(requestDeviceCode(fetch, resolveEndpoint('github', fake.apiUrl), 'Iv1.wrong', ['repo'])).rejects.toMatchObject({ code: 'publish-refused' });
    expect(fake.polls).toEqual([]);
  });
});
