/**
 * A provider token lives in the OS keychain only (docs/architecture.md §7.1): service
 * "KeyDock publish", account PROVIDER:API-HOST (github:api.github.com, gitlab:gitlab.example.com).
 * Never in a file, a log, an event or an IPC answer. A token the provider rejects is forgotten.
 */
import type { SecretStore } from '../secrets/store';
import { TOKEN_SERVICE, tokenAccount, type Endpoint } from './endpoints';

export interface StoredToken {
  token: string;
  /** Bitbucket: the Atlassian e-mail (API token) or Bitbucket username (app password) for basic auth. */
  username?: string;
  /** Scopes the token was granted, when the provider said (GitHub). */
  scopes?: string[];
  /** How it was obtained. */
  method: 'device' | 'token';
}

export async function loadToken(secrets: SecretStore, e: Endpoint): Promise<StoredToken | null> {
  const raw = await secrets.get(TOKEN_SERVICE, tokenAccount(e));
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<StoredToken>;
    if (typeof v.token !== 'string' || !v.token) return null;
    return {
      token: v.token,
      ...(typeof v.username === 'string' ? { username: v.username } : {}),
      ...(Array.isArray(v.scopes) ? { scopes: v.scopes.filter((s): s is string => typeof s === 'string') } : {}),
      method: v.method === 'device' ? 'device' : 'token',
    };
  } catch {
    return null;
  }
}

export async function saveToken(secrets: SecretStore, e: Endpoint, t: StoredToken): Promise<void> {
  await secrets.set(TOKEN_SERVICE, tokenAccount(e), JSON.stringify(t));
}

/** Forgets the token; true when there was one. */
export async function forgetToken(secrets: SecretStore, e: Endpoint): Promise<boolean> {
  return secrets.delete(TOKEN_SERVICE, tokenAccount(e));
}
