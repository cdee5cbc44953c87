/**
 * The one way publish/ talks to a provider: JSON over fetch with a time limit, the token in a
 * header and never in a URL, a log or an error message, answers of bounded size, and the
 * refusals every provider shares (expired token, rate limit, unreachable server) turned into
 * KeyDockErrors. Pagination links are followed only on the API's own origin, so a token is never
 * sent to another server.
 *
 * Rate limits: GitHub answers 403 or 429 with `x-ratelimit-remaining: 0` and
 * `x-ratelimit-reset` (epoch seconds), or a `retry-after` header
 * (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api); GitLab answers
 * 429 with `Retry-After` and `RateLimit-Remaining: 0`
 * (https://docs.gitlab.com/security/rate_limits/); Bitbucket answers 429
 * (https://support.atlassian.com/bitbucket-cloud/docs/api-request-limits/).
 */
import { KeyDockError } from '../util/errors';
import type { Endpoint } from './endpoints';

export const PublishErrorCode = {
  tokenRejected: 'publish-token-rejected',
  rateLimited: 'publish-rate-limited',
  unreachable: 'publish-unreachable',
  badAnswer: 'publish-bad-answer',
  refused: 'publish-refused',
  keyInUse: 'publish-key-in-use',
  noAdmin: 'publish-no-admin-rights',
  notSignedIn: 'publish-not-signed-in',
  signInExpired: 'publish-sign-in-expired',
  signInDenied: 'publish-sign-in-denied',
  unsupported: 'publish-unsupported',
  scopeMissing: 'publish-scope-missing',
} as const;

/** Most an answer may be (a page of 100 keys is far below this). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const TIMEOUT_MS = 20_000;
/** Pages followed at most when listing keys (100 per page where the provider allows it). */
export const MAX_PAGES = 50;

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when it was not JSON, or null for an empty body. */
  body: unknown;
  url: string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  /** JSON body. */
  json?: unknown;
  /** application/x-www-form-urlencoded body. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Reads at most MAX_BODY_BYTES of a response. */
async function readBody(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new KeyDockError(PublishErrorCode.badAnswer, 'The server sent a far larger answer than expected.', 'Check the --api address; it should be the provider’s REST API.');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A plain HTTP request (no token) with the shared time limit and error handling. */
export async function httpRequest(fetchImpl: FetchLike, url: string, serverName: string, options: RequestOptions = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'KeyDock', ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  let res: Response;
  try {
    res = await fetchImpl(url, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    const why = e instanceof Error && e.name === 'TimeoutError' ? 'it did not answer within 20 seconds' : `the connection failed (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message})`;
    throw new KeyDockError(PublishErrorCode.unreachable, `KeyDock could not reach ${serverName} at ${new URL(url).origin}: ${why}.`, 'Check your network connection (and proxy), and the --api address if you gave one.', { cause: e, exitCode: 2 });
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw new KeyDockError(PublishErrorCode.refused, `${serverName} answered with a redirect to ${res.headers.get('location')?.slice(0, 200) ?? 'another address'} (HTTP ${res.status}).`, 'KeyDock does not follow redirects with your token. If a repository was renamed or moved, use its new name; check the --api address.');
  }
  const text = await readBody(res);
  let parsed: unknown = null;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed, url };
}

/** The provider's own words from an error body (GitHub/GitLab `message`, Bitbucket `error.message`). */
export function messageOf(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.message === 'string') return b.message;
    if (b.message && typeof b.message === 'object') {
      // GitLab validation errors: {"message": {"fingerprint_sha256": ["has already been taken"]}}
      return Object.entries(b.message as Record<string, unknown>)
        .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`)
        .join('; ');
    }
    const err = b.error;
    if (err && typeof err === 'object' && typeof (err as Record<string, unknown>).message === 'string') return (err as Record<string, string>).message as string;
    if (typeof b.error_description === 'string') return b.error_description;
    if (typeof b.error === 'string') return b.error;
  }
  return '';
}

/** Seconds until a rate limit lifts, from the headers the providers document; null when unknown. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | null {
  const ra = headers.get('retry-after');
  if (ra && /^\d+$/.test(ra.trim())) return Number(ra.trim());
  const reset = headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset');
  if (reset && /^\d+$/.test(reset.trim())) {
    const n = Number(reset.trim());
    // Epoch seconds (GitHub, GitLab) or, if small, seconds from now.
    return n > 1e9 ? Math.max(0, Math.ceil(n - now / 1000)) : n;
  }
  return null;
}

/** Is this answer a rate limit (and not some other 403)? */
export function isRateLimited(a: ApiAnswer): boolean {
  if (a.status === 429) return true;
  if (a.status !== 403) return false;
  const remaining = a.headers.get('x-ratelimit-remaining') ?? a.headers.get('ratelimit-remaining');
  if (remaining !== null && remaining.trim() === '0') return true;
  if (a.headers.get('retry-after')) return true;
  return /rate limit/i.test(messageOf(a.body));
}

export function rateLimitError(e: Endpoint, a: ApiAnswer): KeyDockError {
  const secs = retryAfterSeconds(a.headers);
  const when = secs === null ? 'in a while' : secs < 90 ? `in ${secs} seconds` : `in about ${Math.ceil(secs / 60)} minutes`;
  return new KeyDockError(PublishErrorCode.rateLimited, `${e.name} is limiting how many requests you can make right now (HTTP ${a.status}).`, `Try again ${when}; nothing was changed.`);
}

export function tokenRejectedError(e: Endpoint): KeyDockError {
  return new KeyDockError(PublishErrorCode.tokenRejected, `${e.name} no longer accepts KeyDock’s sign-in (the token expired or was revoked).`, 'KeyDock forgot it; sign in again.');
}

export function unexpectedAnswer(e: Endpoint, what: string, a: ApiAnswer): KeyDockError {
  const said = messageOf(a.body);
  return new KeyDockError(PublishErrorCode.refused, `${e.name} refused to ${what} (HTTP ${a.status}${said ? `: ${said}` : ''}).`, 'Check the message above; if it persists, add the key on the provider’s web page instead.');
}

/** An API client for one provider: base URL, auth headers, shared refusals, pagination. */
export class ApiClient {
  constructor(
    readonly endpoint: Endpoint,
    private readonly authHeaders: Record<string, string>,
    private readonly fetchImpl: FetchLike = fetch,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  /** An absolute URL for PATH (relative to the API base) or a pagination link on the same origin. */
  url(pathOrUrl: string, query?: Record<string, string>): string {
    let u: URL;
    if (/^https?:\/\//i.test(pathOrUrl)) {
      u = new URL(pathOrUrl);
      const base = new URL(this.endpoint.apiBase);
      // Never send the token anywhere but the API's own origin.
      if (u.origin !== base.origin) throw new KeyDockError(PublishErrorCode.badAnswer, `${this.endpoint.name} pointed KeyDock at another server (${u.origin}).`, 'KeyDock did not follow it. Check the --api address.');
    } else {
      u = new URL(`${this.endpoint.apiBase}${pathOrUrl}`);
    }
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u.toString();
  }

  /** One request; 401 and rate limits become errors here, every other status is the caller's. */
  async request(pathOrUrl: string, options: RequestOptions & { query?: Record<string, string> } = {}): Promise<ApiAnswer> {
    const a = await httpRequest(this.fetchImpl, this.url(pathOrUrl, options.query), this.endpoint.name, { ...options, headers: { ...this.extraHeaders, ...this.authHeaders, ...options.headers } });
    if (a.status === 401) throw tokenRejectedError(this.endpoint);
    if (isRateLimited(a)) throw rateLimitError(this.endpoint, a);
    if (a.status >= 500) throw new KeyDockError(PublishErrorCode.unreachable, `${this.endpoint.name} had a problem answering (HTTP ${a.status}).`, 'Try again in a minute; nothing was changed.', { exitCode: 1 });
    return a;
  }
}

/** The URL of rel="next" in an RFC 8288 Link header (GitHub, GitLab), or null. */
export function nextLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;(.*)/.exec(part.trim());
    if (m && /\brel="?([^";]*\s)?next(\s[^";]*)?"?/.test(m[2] as string)) return m[1] as string;
  }
  return null;
}

/** Sleeps MS milliseconds; rejects early when SIGNAL aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
