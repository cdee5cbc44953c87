/**
 * GitHub's OAuth device flow (RFC 8628 as GitHub implements it), the sign-in GitHub offers a
 * desktop app without a client secret:
 *
 * 1. POST {web}/login/device/code with client_id and scope → device_code, user_code,
 *    verification_uri, expires_in, interval.
 * 2. The user opens verification_uri and types user_code.
 * 3. POST {web}/login/oauth/access_token with client_id, device_code and
 *    grant_type=urn:ietf:params:oauth:grant-type:device_code, no sooner than `interval` seconds
 *    apart. Answers: access_token (+ scope), or error authorization_pending (keep polling),
 *    slow_down (5 more seconds on the interval from now on; the answer carries the new interval),
 *    expired_token (stop: start again), access_denied (stop: the user said no),
 *    incorrect_device_code / incorrect_client_credentials / unsupported_grant_type /
 *    device_flow_disabled (stop: KeyDock's mistake or configuration).
 *
 * Docs: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow
 * and RFC 8628 §3.4–3.5 (https://www.rfc-editor.org/rfc/rfc8628#section-3.5).
 */
import { KeyDockError } from '../util/errors';
import type { Endpoint } from './endpoints';
import { httpRequest, messageOf, PublishErrorCode, sleep, type FetchLike } from './http';

export const DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.5: a slow_down adds 5 seconds to the interval for this and every later request. */
export const SLOW_DOWN_STEP_SECONDS = 5;

export interface DeviceCode {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  /** Seconds the codes stay valid. */
  expiresIn: number;
  /** Seconds to wait between polls (at least). */
  interval: number;
}

export type PollAnswer =
  | { kind: 'token'; token: string; scopes: string[] }
  | { kind: 'pending' }
  | { kind: 'slow-down'; interval: number | null };

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length < 4096 ? v : null;
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;
}

/** Step 1: asks for a device code and the page the user types it into. */
export async function requestDeviceCode(fetchImpl: FetchLike, e: Endpoint, clientId: string, scopes: readonly string[]): Promise<DeviceCode> {
  const a = await httpRequest(fetchImpl, `${e.oauthBase}/login/device/code`, e.name, { form: { client_id: clientId, scope: scopes.join(' ') } });
  const b = (a.body && typeof a.body === 'object' ? a.body : {}) as Record<string, unknown>;
  const deviceCode = str(b.device_code);
  const userCode = str(b.user_code);
  const verificationUri = str(b.verification_uri);
  if (a.status !== 200 || !deviceCode || !userCode || !verificationUri) {
    const said = messageOf(a.body);
    if (b.error === 'device_flow_disabled') {
      throw new KeyDockError(PublishErrorCode.unsupported, `Signing in with a code is switched off for KeyDock’s app on ${e.name}.`, 'Use a personal access token instead: run the command again with --token-stdin.', { exitCode: 2 });
    }
    throw new KeyDockError(PublishErrorCode.refused, `${e.name} did not start the sign-in (HTTP ${a.status}${said ? `: ${said}` : ''}).`, e.custom ? 'GitHub Enterprise needs its own OAuth app: set KEYDOCK_GITHUB_CLIENT_ID to its client ID, or use --token-stdin with a personal access token.' : 'Try again, or use --token-stdin with a personal access token.');
  }
  // The page must be on the provider's web origin: KeyDock shows it to the user as "open this".
  let page: URL;
  try {
    page = new URL(verificationUri);
  } catch {
    throw new KeyDockError(PublishErrorCode.badAnswer, `${e.name} sent a sign-in page address KeyDock cannot read.`, 'Try again.');
  }
  if (page.origin !== new URL(e.oauthBase).origin && page.origin !== new URL(e.webBase).origin) {
    throw new KeyDockError(PublishErrorCode.badAnswer, `${e.name} sent a sign-in page on another server (${page.origin}).`, 'KeyDock did not show it. Check the --api address.');
  }
  return { deviceCode, userCode, verificationUri: page.toString(), expiresIn: num(b.expires_in, 900), interval: num(b.interval, 5) };
}

/** Step 3, once: asks whether the user has approved yet. Throws when the flow is over without a token. */
export async function pollDeviceToken(fetchImpl: FetchLike, e: Endpoint, clientId: string, deviceCode: string): Promise<PollAnswer> {
  const a = await httpRequest(fetchImpl, `${e.oauthBase}/login/oauth/access_token`, e.name, { form: { client_id: clientId, device_code: deviceCode, grant_type: DEVICE_GRANT_TYPE } });
  const b = (a.body && typeof a.body === 'object' ? a.body : {}) as Record<string, unknown>;
  const token = str(b.access_token);
  if (token) {
    const scope = typeof b.scope === 'string' ? b.scope : '';
    return { kind: 'token', token, scopes: scope.split(/[,\s]+/).filter(Boolean) };
  }
  // GitHub answers these with HTTP 200 and an `error` field; other servers use 400 (RFC 8628).
  switch (b.error) {
    case 'authorization_pending':
      return { kind: 'pending' };
    case 'slow_down':
      return { kind: 'slow-down', interval: typeof b.interval === 'number' && b.interval > 0 ? b.interval : null };
    case 'expired_token':
      throw new KeyDockError(PublishErrorCode.signInExpired, `The sign-in code for ${e.name} expired before it was entered.`, 'Start again; you have 15 minutes to enter the new code.');
    case 'access_denied':
      throw new KeyDockError(PublishErrorCode.signInDenied, `The sign-in to ${e.name} was cancelled on the web page.`, 'Start again and choose “Authorize” if you want KeyDock to add the key.');
    default: {
      const said = messageOf(a.body);
      throw new KeyDockError(PublishErrorCode.refused, `${e.name} ended the sign-in (HTTP ${a.status}${said ? `: ${said}` : ''}).`, 'Start the sign-in again; if it keeps failing, use --token-stdin with a personal access token.');
    }
  }
}

/** The interval after a slow_down: 5 s more, or what the server now asks if that is longer. */
export function slowedInterval(current: number, asked: number | null): number {
  return Math.max(current + SLOW_DOWN_STEP_SECONDS, asked ?? 0);
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Called before each wait with the seconds about to pass (progress for the CLI). */
  onWait?: (seconds: number) => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Polls at the interval the server asks until a token arrives, the code expires, or the user says no. */
export async function waitForDeviceToken(fetchImpl: FetchLike, e: Endpoint, clientId: string, code: DeviceCode, options: WaitOptions = {}): Promise<{ token: string; scopes: string[] }> {
  const now = options.now ?? Date.now;
  const pause = options.sleep ?? sleep;
  const deadline = now() + code.expiresIn * 1000;
  let interval = code.interval;
  for (;;) {
    if (now() + interval * 1000 > deadline) {
      throw new KeyDockError(PublishErrorCode.signInExpired, `The sign-in code for ${e.name} expired before it was entered.`, 'Start again; you have 15 minutes to enter the new code.');
    }
    options.onWait?.(interval);
    await pause(interval * 1000, options.signal);
    const answer = await pollDeviceToken(fetchImpl, e, clientId, code.deviceCode);
    if (answer.kind === 'token') return { token: answer.token, scopes: answer.scopes };
    if (answer.kind === 'slow-down') interval = slowedInterval(interval, answer.interval);
  }
}
