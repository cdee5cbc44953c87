/**
 * Signing in to a provider the way each supports for a desktop app (docs/publish.md §3):
 *
 * - GitHub: the OAuth device flow (device-flow.ts) when KeyDock has an OAuth app client ID for
 *   the server; otherwise, and with --token-stdin, a personal access token the user creates on
 *   the page KeyDock opens (prefilled with the scopes needed).
 * - GitLab: a personal access token (scope api) made on the page KeyDock opens, prefilled with
 *   ?name=KeyDock&scopes=api. GitLab has a device flow since 17.1, but it needs an OAuth app
 *   registered on every GitLab server, which KeyDock cannot ship for self-managed instances.
 * - Bitbucket Cloud: an Atlassian API token (or an app password) with the SSH-key scopes, used
 *   with basic auth and the account e-mail (or username).
 *
 * A token is checked with the provider before it is stored, and stored only in the keychain
 * (token-store.ts). A stored token the provider rejects (401) is forgotten and sign-in restarts.
 * For the window, SignInSessions keeps each sign-in's device code in memory (never the token),
 * and polls the provider no faster than it asked, whatever the window does.
 */
import { randomBytes } from 'node:crypto';
import type { Runtime } from '../config/runtime';
import type { SecretStore } from '../secrets/store';
import { KeyDockError } from '../util/errors';
import { BitbucketApi } from './bitbucket';
import { pollDeviceToken, requestDeviceCode, slowedInterval, type DeviceCode } from './device-flow';
import { resolveEndpoint, scopesCover, scopesFor, tokenPageUrl, type Endpoint, type ProviderId, type PublishKind } from './endpoints';
import { GitHubApi } from './github';
import { GitLabApi } from './gitlab';
import { PublishErrorCode, type FetchLike } from './http';
import type { Identity, ProviderApi } from './remote';
import { forgetToken, loadToken, saveToken, type StoredToken } from './token-store';

/**
 * KeyDock's OAuth app on github.com (device flow enabled). Empty until the app is registered;
 * then GitHub sign-in uses the device flow. KEYDOCK_GITHUB_CLIENT_ID overrides it (GitHub
 * Enterprise servers need an OAuth app of their own).
 */
export const KEYDOCK_GITHUB_CLIENT_ID = '';

/** What publish/ needs from the world: the runtime (env, paths, events), the keychain, fetch. */
export interface PublishServices {
  runtime: Runtime;
  secrets: SecretStore;
  fetch?: FetchLike;
}

export function endpointFor(s: PublishServices, provider: ProviderId, api?: string): Endpoint {
  return resolveEndpoint(provider, api, s.runtime.env.KEYDOCK_PUBLISH_OAUTH_BASE || undefined);
}

/** The OAuth client ID for GitHub's device flow, or null when only tokens can be used. */
export function githubClientId(env: NodeJS.ProcessEnv, e: Endpoint): string | null {
  const fromEnv = env.KEYDOCK_GITHUB_CLIENT_ID?.trim();
  if (fromEnv) return fromEnv;
  return e.custom ? null : KEYDOCK_GITHUB_CLIENT_ID || null;
}

export function apiFor(e: Endpoint, t: StoredToken, fetchImpl?: FetchLike): ProviderApi {
  switch (e.provider) {
    case 'github':
      return new GitHubApi(e, t.token, fetchImpl);
    case 'gitlab':
      return new GitLabApi(e, t.token, fetchImpl);
    case 'bitbucket':
      if (!t.username) throw new KeyDockError('publish-username-required', 'Bitbucket needs the account e-mail (API token) or username (app password) with the token.', 'Pass --username EMAIL (and the token on stdin with --token-stdin).', { exitCode: 2 });
      return new BitbucketApi(e, t.username, t.token, fetchImpl);
  }
}

function hasCode(e: unknown, code: string): boolean {
  return e instanceof KeyDockError && e.code === code;
}

/** Checks a new token with the provider and stores it in the keychain; a rejected token is never stored. */
export async function acceptToken(s: PublishServices, e: Endpoint, t: StoredToken, need: readonly string[]): Promise<{ api: ProviderApi; identity: Identity }> {
  const api = apiFor(e, t, s.fetch);
  let identity: Identity;
  try {
    identity = await api.whoami();
  } catch (err) {
    if (hasCode(err, PublishErrorCode.tokenRejected)) {
      throw new KeyDockError(PublishErrorCode.tokenRejected, `${e.name} did not accept that token.`, e.provider === 'bitbucket' ? 'Check the e-mail (or username) and that the token was copied whole, then try again.' : 'Check that the whole token was copied and that it has not expired, then try again.', { cause: err });
    }
    throw err;
  }
  const scopes = identity.scopes ?? t.scopes;
  if (e.provider === 'github' && scopes && !scopesCover('github', scopes, need)) {
    throw new KeyDockError(PublishErrorCode.scopeMissing, `That ${e.name} sign-in does not allow ${need.join(', ')}.`, `Create a token with ${need.join(', ')} (KeyDock opens the page prefilled) and try again.`);
  }
  await saveToken(s.secrets, e, { ...t, ...(scopes ? { scopes } : {}) });
  return { api, identity };
}

export type SignInReason = 'no-token' | 'rejected' | 'scopes';
/** Gets a new token interactively (the CLI) or explains how to sign in (the window). */
export type SignInDriver = (e: Endpoint, need: readonly string[], reason: SignInReason) => Promise<StoredToken>;

/**
 * An API client signed in for NEED: the stored token when the provider still accepts it (and it
 * has the scopes), else a new one from SIGN-IN. `force` skips the stored token.
 */
export async function signedInApi(s: PublishServices, e: Endpoint, need: readonly string[], signIn: SignInDriver, force: SignInReason | null = null): Promise<{ api: ProviderApi; identity: Identity; fresh: boolean }> {
  let reason: SignInReason | null = force;
  if (!reason) {
    const stored = await loadToken(s.secrets, e);
    if (!stored) reason = 'no-token';
    else if (e.provider === 'github' && stored.scopes && !scopesCover('github', stored.scopes, need)) reason = 'scopes';
    else {
      const api = apiFor(e, stored, s.fetch);
      try {
        const identity = await api.whoami();
        if (e.provider === 'github' && identity.scopes && !scopesCover('github', identity.scopes, need)) reason = 'scopes';
        else return { api, identity, fresh: false };
      } catch (err) {
        if (!hasCode(err, PublishErrorCode.tokenRejected)) throw err;
        // Expired or revoked: forget it and sign in again.
        await forgetToken(s.secrets, e);
        reason = 'rejected';
      }
    }
  }
  const fresh = await signIn(e, need, reason);
  return { ...(await acceptToken(s, e, fresh, need)), fresh: true };
}

/** How the window signs in: a device code to show, or a token page to open. */
export type StartAnswer =
  | { state: 'signed-in'; account: string }
  | { state: 'device'; sessionId: string; userCode: string; verificationUri: string; expiresIn: number; interval: number; scopes: string[] }
  | { state: 'token'; sessionId: string; tokenUrl: string; scopes: string[]; needsUsername: boolean };

export type PollAnswer = { state: 'pending'; retryAfter: number } | { state: 'signed-in'; account: string };

interface Session {
  endpoint: Endpoint;
  need: string[];
  expiresAt: number;
  device: (DeviceCode & { clientId: string; nextPollAt: number }) | null;
}

const MAX_SESSIONS = 8;
const TOKEN_SESSION_MS = 30 * 60_000;

/** Sign-ins the window started, keyed by a random id; the device code never leaves main. */
export class SignInSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly s: PublishServices,
    private readonly now: () => number = Date.now,
  ) {}

  private sweep(): void {
    const t = this.now();
    for (const [id, x] of this.sessions) if (x.expiresAt <= t) this.sessions.delete(id);
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
  }

  async start(req: { provider: ProviderId; api?: string; kind: PublishKind }): Promise<StartAnswer> {
    const e = endpointFor(this.s, req.provider, req.api);
    const need = scopesFor(e.provider, req.kind);
    const refuse: SignInDriver = async () => {
      throw new KeyDockError(PublishErrorCode.notSignedIn, 'not signed in');
    };
    try {
      const { identity } = await signedInApi(this.s, e, need, refuse);
      return { state: 'signed-in', account: identity.login };
    } catch (err) {
      if (!hasCode(err, PublishErrorCode.notSignedIn)) throw err;
    }
    this.sweep();
    const sessionId = randomBytes(16).toString('hex');
    const clientId = e.provider === 'github' ? githubClientId(this.s.runtime.env, e) : null;
    if (clientId) {
      const code = await requestDeviceCode(this.s.fetch ?? fetch, e, clientId, need);
      this.sessions.set(sessionId, { endpoint: e, need, expiresAt: this.now() + code.expiresIn * 1000, device: { ...code, clientId, nextPollAt: this.now() + code.interval * 1000 } });
      return { state: 'device', sessionId, userCode: code.userCode, verificationUri: code.verificationUri, expiresIn: code.expiresIn, interval: code.interval, scopes: need };
    }
    this.sessions.set(sessionId, { endpoint: e, need, expiresAt: this.now() + TOKEN_SESSION_MS, device: null });
    return { state: 'token', sessionId, tokenUrl: tokenPageUrl(e, req.kind), scopes: need, needsUsername: e.provider === 'bitbucket' };
  }

  /** One step: a device sign-in asks the provider (if its interval has passed); a token sign-in checks the token given. */
  async poll(req: { sessionId: string; token?: string; username?: string }): Promise<PollAnswer> {
    this.sweep();
    const x = this.sessions.get(req.sessionId);
    if (!x) throw new KeyDockError(PublishErrorCode.signInExpired, 'This sign-in is over (it expired, finished or was never started).', 'Start the sign-in again.');
    const e = x.endpoint;
    if (!x.device) {
      if (!req.token) throw new KeyDockError('publish-token-required', `Paste the token you created on ${e.name}.`, 'Create it on the page KeyDock opened, then paste it here.', { exitCode: 2 });
      if (e.provider === 'bitbucket' && !req.username) throw new KeyDockError('publish-username-required', 'Bitbucket needs your Atlassian account e-mail with the API token.', 'Type the e-mail you sign in to Bitbucket with.', { exitCode: 2 });
      const { identity } = await acceptToken(this.s, e, { token: req.token, ...(req.username ? { username: req.username } : {}), method: 'token' }, x.need);
      this.sessions.delete(req.sessionId);
      return { state: 'signed-in', account: identity.login };
    }
    const d = x.device;
    const wait = d.nextPollAt - this.now();
    if (wait > 0) return { state: 'pending', retryAfter: Math.ceil(wait / 1000) };
    let answer;
    try {
      answer = await pollDeviceToken(this.s.fetch ?? fetch, e, d.clientId, d.deviceCode);
    } catch (err) {
      this.sessions.delete(req.sessionId);
      throw err;
    }
    if (answer.kind === 'token') {
      this.sessions.delete(req.sessionId);
      const { identity } = await acceptToken(this.s, e, { token: answer.token, scopes: answer.scopes, method: 'device' }, x.need);
      return { state: 'signed-in', account: identity.login };
    }
    if (answer.kind === 'slow-down') d.interval = slowedInterval(d.interval, answer.interval);
    d.nextPollAt = this.now() + d.interval * 1000;
    return { state: 'pending', retryAfter: d.interval };
  }

  /** Forgets a sign-in the window gave up on. */
  cancel(sessionId: string): void {
    this.sessions.delete(sessionId);
  }
}

/** Forgets the stored token of PROVIDER (at API); true when there was one. */
export async function signOut(s: PublishServices, provider: ProviderId, api?: string): Promise<boolean> {
  return forgetToken(s.secrets, endpointFor(s, provider, api));
}
