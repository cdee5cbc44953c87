/**
 * Where each provider lives: its REST API, its web pages (sign-in, token pages) and the SSH host
 * the connection test checks afterwards; which scopes each kind of key needs; how a token is
 * named in the keychain. `--api URL` points at GitHub Enterprise Server or a self-managed GitLab
 * (docs/publish.md §2); the SSH host then comes from that URL.
 *
 * Facts checked against the providers' documentation (docs/publish.md §7 lists them all):
 * - GitHub REST base https://api.github.com, Enterprise Server http(s)://HOSTNAME/api/v3:
 *   https://docs.github.com/en/rest/users/keys
 * - GitHub OAuth scopes (write:public_key lists and creates account keys, write:ssh_signing_key
 *   signing keys, repo is what deploy keys need):
 *   https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps
 * - GitLab REST base https://gitlab.example.com/api/v4; a personal access token page prefilled
 *   with ?name=…&scopes=…:
 *   https://docs.gitlab.com/user/profile/personal_access_tokens/#prefill-personal-access-token-name-and-scopes
 * - Bitbucket Cloud REST base https://api.bitbucket.org/2.0; API tokens and their scopes:
 *   https://support.atlassian.com/bitbucket-cloud/docs/api-token-permissions/
 *   https://support.atlassian.com/bitbucket-cloud/docs/using-api-tokens/
 */
import { KeyDockError } from '../util/errors';

export type ProviderId = 'github' | 'gitlab' | 'bitbucket';
export const PROVIDER_IDS: readonly ProviderId[] = ['github', 'gitlab', 'bitbucket'];

/** What a key is for: logging in to the account, signing commits, or one repository. */
export type PublishKind = 'account' | 'signing' | 'deploy';

export interface Endpoint {
  provider: ProviderId;
  /** Display name: GitHub, GitHub Enterprise (host), GitLab, … */
  name: string;
  /** REST API base, no trailing slash. */
  apiBase: string;
  /** Web base (sign-in pages, token pages), no trailing slash. */
  webBase: string;
  /** Where the OAuth device flow endpoints live (GitHub: the web base). */
  oauthBase: string;
  /** host[:port] of the API, part of the keychain account name. */
  apiHost: string;
  /** Host the connection test connects to (github.com, or the Enterprise host). */
  sshHost: string;
  /** True when --api named a server other than the provider's public one. */
  custom: boolean;
}

const DEFAULTS: Record<ProviderId, { name: string; api: string; web: string; ssh: string; apiPath: string }> = {
  github: { name: 'GitHub', api: 'https://api.github.com', web: 'https://github.com', ssh: 'github.com', apiPath: '/api/v3' },
  gitlab: { name: 'GitLab', api: 'https://gitlab.com/api/v4', web: 'https://gitlab.com', ssh: 'gitlab.com', apiPath: '/api/v4' },
  bitbucket: { name: 'Bitbucket', api: 'https://api.bitbucket.org/2.0', web: 'https://bitbucket.org', ssh: 'bitbucket.org', apiPath: '/2.0' },
};

export function isProviderId(v: unknown): v is ProviderId {
  return typeof v === 'string' && (PROVIDER_IDS as readonly string[]).includes(v);
}

export function providerName(id: ProviderId): string {
  return DEFAULTS[id].name;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.has(hostname.toLowerCase());
}

function badApi(url: string, why: string): KeyDockError {
  return new KeyDockError('publish-bad-api-url', `"${url.slice(0, 200)}" cannot be used as an API address: ${why}.`, 'Give the server address, e.g. --api https://github.example.com or --api https://gitlab.example.com.', { exitCode: 2 });
}

/**
 * Parses a base URL the user (or a test) gave: https only, except plain http to this machine
 * (tokens never travel unencrypted over a network); no user name, query or fragment.
 */
export function parseBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw badApi(text, 'it is not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) throw badApi(text, 'only https:// addresses are allowed (http:// only for this machine)');
  if (url.username || url.password) throw badApi(text, 'it contains a user name or password');
  if (url.search || url.hash) throw badApi(text, 'it has a query or fragment');
  return url;
}

function trimSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

/**
 * The endpoints for PROVIDER, optionally at --api URL. `oauthBaseOverride` (env
 * KEYDOCK_PUBLISH_OAUTH_BASE) moves only the device-flow endpoints and is honoured for
 * addresses on this machine only: it exists for tests.
 */
export function resolveEndpoint(provider: ProviderId, apiUrl?: string, oauthBaseOverride?: string): Endpoint {
  const d = DEFAULTS[provider];
  let apiBase = d.api;
  let webBase = d.web;
  let sshHost = d.ssh;
  let custom = false;
  if (apiUrl && trimSlash(apiUrl.trim()) !== d.api) {
    const url = parseBaseUrl(apiUrl);
    custom = true;
    let path = trimSlash(url.pathname);
    // A bare server address means its standard API path (GitHub Enterprise /api/v3, GitLab /api/v4).
    if (!path && provider !== 'bitbucket') path = d.apiPath;
    apiBase = `${url.origin}${path}`;
    // The web pages live at the server root (GitLab may sit under a relative URL root before /api/v4).
    const prefix = path.endsWith(d.apiPath) ? path.slice(0, -d.apiPath.length) : '';
    webBase = `${url.origin}${prefix}`;
    sshHost = url.hostname.replace(/^\[(.*)\]$/, '$1');
  }
  let oauthBase = webBase;
  if (oauthBaseOverride) {
    const o = parseBaseUrl(oauthBaseOverride);
    if (!isLoopbackHost(o.hostname)) throw badApi(oauthBaseOverride, 'KEYDOCK_PUBLISH_OAUTH_BASE may only name this machine (it is for tests)');
    oauthBase = `${o.origin}${trimSlash(o.pathname)}`;
  }
  const apiHost = new URL(apiBase).host;
  const name = custom ? `${d.name} (${new URL(apiBase).host})` : d.name;
  return { provider, name, apiBase, webBase, oauthBase, apiHost, sshHost, custom };
}

/** The keychain entry of a provider's token: service "KeyDock publish", account PROVIDER:API-HOST. */
export const TOKEN_SERVICE = 'KeyDock publish';
export function tokenAccount(e: Endpoint): string {
  return `${e.provider}:${e.apiHost}`;
}

/** The scopes (GitHub OAuth / Bitbucket API token) a kind of key needs, and nothing more. */
export function scopesFor(provider: ProviderId, kind: PublishKind): string[] {
  switch (provider) {
    case 'github':
      // write:* also lists (GitHub's scope table: "Create, list, and view details").
      return kind === 'account' ? ['write:public_key'] : kind === 'signing' ? ['write:ssh_signing_key'] : ['repo'];
    case 'gitlab':
      // Personal access tokens have no narrower scope that may add SSH or deploy keys.
      return ['api'];
    case 'bitbucket':
      // "write" does not include "read" for Bitbucket API tokens; the user is read to name the account.
      return kind === 'deploy' ? ['read:user:bitbucket', 'admin:repository:bitbucket', 'read:ssh-key:bitbucket', 'write:ssh-key:bitbucket'] : ['read:user:bitbucket', 'read:ssh-key:bitbucket', 'write:ssh-key:bitbucket'];
  }
}

/** Does a token holding HAVE cover NEED? GitHub's broader scopes include the narrower ones. */
export function scopesCover(provider: ProviderId, have: readonly string[] | undefined, need: readonly string[]): boolean {
  if (!have) return provider !== 'github';
  const implied = new Set(have);
  for (const s of have) {
    if (s === 'admin:public_key') implied.add('write:public_key');
    if (s === 'admin:ssh_signing_key') implied.add('write:ssh_signing_key');
  }
  return need.every((s) => implied.has(s));
}

/** The page where the user creates a token by hand (GitLab, Bitbucket, or GitHub without device flow). */
export function tokenPageUrl(e: Endpoint, kind: PublishKind): string {
  switch (e.provider) {
    case 'github': {
      const u = new URL(`${e.webBase}/settings/tokens/new`);
      u.searchParams.set('description', 'KeyDock');
      u.searchParams.set('scopes', scopesFor('github', kind).join(','));
      return u.toString();
    }
    case 'gitlab': {
      const u = new URL(`${e.webBase}/-/user_settings/personal_access_tokens`);
      u.searchParams.set('name', 'KeyDock');
      u.searchParams.set('scopes', 'api');
      return u.toString();
    }
    case 'bitbucket':
      // API tokens are made on the Atlassian account page (scopes are ticked there, not prefilled).
      return e.custom ? `${e.webBase}/account/settings/api-tokens` : 'https://id.atlassian.com/manage-profile/security/api-tokens';
  }
}

/** The providers' public help pages (hints and the window link to them); the same for Enterprise and self-managed servers. */
const HELP_PAGES: Record<ProviderId, string> = {
  github: 'https://docs.github.com',
  gitlab: 'https://docs.gitlab.com',
  bitbucket: 'https://support.atlassian.com',
};

/** A server the user named with `--api URL` (or in the window's "Add it for me"): GitHub Enterprise, self-managed GitLab. */
export interface ConfiguredServer {
  provider: ProviderId;
  api: string;
}

/**
 * Every web page KeyDock may send the user to for PROVIDER (at API, else the public service):
 * the web base (key pages, the device-flow page), the token pages of every kind of key
 * (Atlassian's id.atlassian.com for Bitbucket API tokens, its app-password page on bitbucket.org)
 * and the help pages. The Electron glue's allow-list of external pages is built from this
 * (main/app/external-pages.ts), so it cannot drift from the pages sign-in hands out.
 */
export function pageUrls(provider: ProviderId, api?: string): string[] {
  const e = resolveEndpoint(provider, api);
  const kinds: PublishKind[] = ['account', 'signing', 'deploy'];
  const pages = [e.webBase, e.oauthBase, HELP_PAGES[provider], ...kinds.map((k) => tokenPageUrl(e, k)), keysPageUrl(e, 'account')];
  if (provider === 'bitbucket') pages.push(`${e.webBase}/account/settings/app-passwords/`);
  return [...new Set(pages)];
}

/** Where the user adds the key by hand: the fallback a refusal's hint points to. */
export function keysPageUrl(e: Endpoint, kind: PublishKind, repo?: string): string {
  switch (e.provider) {
    case 'github':
      return kind === 'deploy' && repo ? `${e.webBase}/${repo}/settings/keys` : `${e.webBase}/settings/keys`;
    case 'gitlab':
      return kind === 'deploy' && repo ? `${e.webBase}/${repo}/-/settings/repository` : `${e.webBase}/-/user_settings/ssh_keys`;
    case 'bitbucket':
      return kind === 'deploy' && repo ? `${e.webBase}/${repo}/admin/access-keys/` : `${e.webBase}/account/settings/ssh-keys/`;
  }
}
