/**
 * A local imitation of the parts of GitHub's, GitLab's and Bitbucket Cloud's web APIs that
 * `keydock publish` uses, on 127.0.0.1 (node:http, nothing reaches the internet). Written from
 * the providers' published API documentation (docs/publish.md §7 lists the pages):
 *
 * GitHub (GitHub Enterprise Server layout: web at /, REST at /api/v3)
 * - POST /login/device/code, POST /login/oauth/access_token: the OAuth device flow. Answers
 *   are HTTP 200 JSON; polls follow a script (`pending`, `slow_down`, `expired_token`,
 *   `access_denied`, `approve`) and a poll sooner than the interval is answered `slow_down`
 *   as GitHub does. `slow_down` carries the new interval (old + 5 s).
 * - GET /user (X-OAuth-Scopes), GET/POST /user/keys, GET/POST /user/ssh_signing_keys,
 *   GET/POST /repos/{owner}/{repo}/keys. A missing scope or a hidden repository is 404
 *   {"message":"Not Found"}; a reader of the repository gets 403 "Must have admin rights to
 *   Repository."; a key registered anywhere is 422 "Validation Failed" with
 *   errors[].message "key is already in use"; 401 {"message":"Bad credentials"}; rate limit
 *   403 with x-ratelimit-remaining: 0 and x-ratelimit-reset.
 * - Pagination: per_page (capped by `pageSize`) and Link rel="next"/"last".
 * GitLab (REST at /api/v4)
 * - GET /user, GET/POST /user/keys (usage_type), GET/POST /projects/:id/deploy_keys with :id
 *   the URL-encoded path; 404 "404 Project Not Found", 403 "403 Forbidden" below Maintainer;
 *   a registered key is 400 {"message":{"fingerprint_sha256":["has already been taken"]}};
 *   401 "401 Unauthorized"; rate limit 429 with Retry-After and RateLimit-Remaining: 0.
 * - Pagination: X-Page, X-Per-Page, X-Total, X-Next-Page ('' on the last page), Link.
 * Bitbucket Cloud (REST at /2.0)
 * - GET /user, GET/POST /users/{uuid}/ssh-keys, GET/POST /repositories/{ws}/{slug}/deploy-keys;
 *   basic auth (e-mail + API token); errors {"type":"error","error":{"message":…}};
 *   pagination {values, pagelen, page, size, next}; rate limit 429 with Retry-After.
 *
 * Every request is recorded with its time, so tests can check polling intervals and that no
 * token ever appears in a URL. `onKeyAdded` lets a test register the key with a local sshd.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export type FakeProvider = 'github' | 'gitlab' | 'bitbucket';
export type DeviceStep = 'pending' | 'slow_down' | 'expired_token' | 'access_denied' | 'approve';

export interface FakeUser {
  login: string;
  /** A token the user already has (personal access token). */
  token?: string;
  /** GitHub: scopes of that token (null/undefined = a fine-grained token that reports none). */
  scopes?: string[];
  /** Bitbucket: the Atlassian e-mail used with the API token. */
  email?: string;
}

export interface FakeRepo {
  /** OWNER/REPO (GitLab: GROUP/…/PROJECT). */
  path: string;
  admins: string[];
  /** Can see the repository but may not manage its keys. */
  readers?: string[];
}

export interface AddedKey {
  kind: 'account' | 'signing' | 'deploy';
  /** The login (account, signing) or repository path (deploy). */
  owner: string;
  key: string;
  title: string;
  readOnly: boolean;
}

export interface GitHostApiOptions {
  provider: FakeProvider;
  users: FakeUser[];
  repos?: FakeRepo[];
  /** Largest page the fake hands out, whatever per_page asks (exercises pagination). */
  pageSize?: number;
  device?: {
    clientId: string;
    /** Seconds between polls the server asks for (GitHub says 5; tests use 1). */
    interval?: number;
    expiresIn?: number;
    /** What successive polls answer; after the script runs out: approve. */
    script?: DeviceStep[];
    /** Who approves the code. */
    user: string;
  };
  onKeyAdded?: (k: AddedKey) => Promise<void> | void;
}

export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  time: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface StoredKey extends AddedKey {
  id: number;
  blob: string;
  created: string;
  usage: string;
}

export interface GitHostApi {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** What `--api` gets: GitHub …/api/v3, GitLab …/api/v4, Bitbucket …/2.0. */
  apiUrl: string;
  requests: RecordedRequest[];
  /** Times (ms) of the device-flow polls, in order. */
  polls: number[];
  /** Time (ms) the device code was handed out. */
  deviceCodeAt: number | null;
  keys(): AddedKey[];
  /** A key that is already registered somewhere (before the test's publish). */
  seedKey(k: AddedKey): void;
  /** Every API request answers with the provider's rate-limit refusal while true. */
  rateLimited: boolean;
  /** Makes a token invalid (expired or revoked). */
  revoke(token: string): void;
  /** Tokens the device flow issued. */
  issuedTokens: string[];
  stop(): Promise<void>;
}

function blobOf(key: string): string | null {
  const m = /^\s*(?:ssh-|ecdsa-|sk-)[a-z0-9@.-]+\s+([A-Za-z0-9+/]+={0,2})(\s|$)/.exec(key);
  return m ? (m[1] as string) : null;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string | undefined): Record<string, unknown> {
  if (!text) return {};
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Starts the fake on 127.0.0.1 (random port). */
export async function startGitHostApi(options: GitHostApiOptions): Promise<GitHostApi> {
  const provider = options.provider;
  const pageSize = options.pageSize ?? 100;
  const tokens = new Map<string, { login: string; scopes: string[] | null }>();
  for (const u of options.users) if (u.token) tokens.set(u.token, { login: u.login, scopes: u.scopes ?? null });
  const stored: StoredKey[] = [];
  let nextId = 1;
  const requests: RecordedRequest[] = [];
  const polls: number[] = [];
  const issuedTokens: string[] = [];
  const device = options.device;
  const script = [...(device?.script ?? [])];
  let deviceState: { code: string; interval: number; scope: string; lastPoll: number; over: boolean } | null = null;
  let origin = '';

  const uuidOf = (login: string) => `{${createHash('sha256').update(login).digest('hex').slice(0, 8)}-0000-4000-8000-${createHash('sha256').update(login).digest('hex').slice(0, 12)}}`;

  const addKey = async (k: AddedKey, usage = 'auth_and_signing'): Promise<StoredKey> => {
    const s: StoredKey = { ...k, id: nextId++, blob: blobOf(k.key) ?? '', created: new Date().toISOString(), usage };
    stored.push(s);
    await options.onKeyAdded?.(k);
    return s;
  };

  /** Who is calling, from the provider's auth header; null = 401. */
  const caller = (req: IncomingMessage): { login: string; scopes: string[] | null } | null => {
    if (provider === 'bitbucket') {
      const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      if (!m) return null;
      const [email, ...rest] = Buffer.from(m[1] as string, 'base64').toString('utf8').split(':');
      const t = tokens.get(rest.join(':'));
      const u = options.users.find((x) => x.login === t?.login);
      return t && u && (u.email ?? u.login) === email ? t : null;
    }
    const header = provider === 'gitlab' ? ((req.headers['private-token'] as string | undefined) ?? req.headers.authorization?.replace(/^Bearer /, '')) : req.headers.authorization?.replace(/^(Bearer|token) /, '');
    return header ? (tokens.get(header) ?? null) : null;
  };

  /** One page of ITEMS and the headers/fields that say where the next is. */
  const page = <T>(url: URL, items: T[], perParam: string, pageParam: string) => {
    const per = Math.max(1, Math.min(pageSize, Number(url.searchParams.get(perParam) ?? (provider === 'bitbucket' ? 10 : 30)) || 30));
    const n = Math.max(1, Number(url.searchParams.get(pageParam) ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / per));
    const at = (p: number) => {
      const u = new URL(url.toString(), origin);
      u.searchParams.set(pageParam, String(p));
      return `${origin}${u.pathname}${u.search}`;
    };
    return { slice: items.slice((n - 1) * per, n * per), n, last, per, at, total: items.length };
  };

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      requests.push({ method: req.method ?? '', url: req.url ?? '', time: Date.now(), headers: { ...req.headers }, body });
      const url = new URL(req.url ?? '/', origin);
      const p = url.pathname;
      const data = parseBody(body, req.headers['content-type']);

      // --- GitHub OAuth device flow (on the web origin) ---
      if (provider === 'github' && p === '/login/device/code' && req.method === 'POST') {
        if (!device || data.client_id !== device.clientId) return json(res, 200, { error: 'Not Found' });
        deviceState = { code: randomBytes(20).toString('hex'), interval: device.interval ?? 5, scope: String(data.scope ?? ''), lastPoll: Date.now(), over: false };
        api.deviceCodeAt = Date.now();
        return json(res, 200, { device_code: deviceState.code, user_code: 'WDJB-MJHT', verification_uri: `${origin}/login/device`, expires_in: device.expiresIn ?? 900, interval: deviceState.interval });
      }
      if (provider === 'github' && p === '/login/oauth/access_token' && req.method === 'POST') {
        polls.push(Date.now());
        if (!device || data.client_id !== device.clientId) return json(res, 200, { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' });
        if (data.grant_type !== 'urn:ietf:params:oauth:grant-type:device_code') return json(res, 200, { error: 'unsupported_grant_type', error_description: 'The grant type is not supported.' });
        if (!deviceState || data.device_code !== deviceState.code) return json(res, 200, { error: 'incorrect_device_code', error_description: 'The device_code provided is not valid.' });
        if (deviceState.over) return json(res, 200, { error: 'expired_token', error_description: 'The device_code has expired.' });
        const tooSoon = Date.now() - deviceState.lastPoll < deviceState.interval * 1000 - 50;
        deviceState.lastPoll = Date.now();
        const stepNow: DeviceStep = tooSoon ? 'slow_down' : (script.shift() ?? 'approve');
        switch (stepNow) {
          case 'pending':
            return json(res, 200, { error: 'authorization_pending', error_description: 'The authorization request is still pending.' });
          case 'slow_down':
            deviceState.interval += 5;
            return json(res, 200, { error: 'slow_down', error_description: 'Too many requests have been made in the same timeframe.', interval: deviceState.interval });
          case 'expired_token':
            deviceState.over = true;
            return json(res, 200, { error: 'expired_token', error_description: 'The device_code has expired.' });
          case 'access_denied':
            deviceState.over = true;
            return json(res, 200, { error: 'access_denied', error_description: 'The user has denied your application access.' });
          case 'approve': {
            deviceState.over = true;
            const token = `gho_${randomBytes(18).toString('hex')}`;
            const scopes = deviceState.scope.split(/[\s,]+/).filter(Boolean);
            tokens.set(token, { login: device.user, scopes });
            issuedTokens.push(token);
            return json(res, 200, { access_token: token, token_type: 'bearer', scope: scopes.join(',') });
          }
        }
      }

      const base = provider === 'github' ? '/api/v3' : provider === 'gitlab' ? '/api/v4' : '/2.0';
      if (!p.startsWith(`${base}/`)) return json(res, 404, { message: 'Not Found' });
      const rest = p.slice(base.length);

      if (api.rateLimited) {
        if (provider === 'github') {
          return json(res, 403, { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' }, { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 120) });
        }
        res.writeHead(429, { 'Content-Type': 'text/plain', 'Retry-After': '30', 'RateLimit-Remaining': '0' });
        return res.end('Retry later\n');
      }
      const who = caller(req);
      if (!who) {
        if (provider === 'github') return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
        if (provider === 'gitlab') return json(res, 401, { message: '401 Unauthorized' });
        return json(res, 401, { type: 'error', error: { message: 'Unauthorized' } });
      }
      const me = who;
      const scopeHeader: Record<string, string> = provider === 'github' && me.scopes ? { 'X-OAuth-Scopes': me.scopes.join(', '), 'X-Accepted-OAuth-Scopes': '' } : {};
      const has = (...any: string[]) => me.scopes === null || any.some((s) => me.scopes?.includes(s));
      const inUse = (blob: string, except?: (k: StoredKey) => boolean) => stored.some((k) => k.blob === blob && k.kind !== 'signing' && !(except?.(k) ?? false));

      if (provider === 'github') return github();
      if (provider === 'gitlab') return gitlab();
      return bitbucket();

      async function github() {
        const list = (items: StoredKey[]) => {
          const pg = page(url, items, 'per_page', 'page');
          const links = [];
          if (pg.n < pg.last) links.push(`<${pg.at(pg.n + 1)}>; rel="next"`, `<${pg.at(pg.last)}>; rel="last"`);
          return json(
            res,
            200,
            pg.slice.map((k) => ({ id: k.id, key: `${k.key.split(/\s+/).slice(0, 2).join(' ')}`, title: k.title, created_at: k.created, ...(k.kind === 'deploy' ? { read_only: k.readOnly, verified: true } : { verified: true, read_only: false }) })),
            { ...scopeHeader, ...(links.length ? { Link: links.join(', ') } : {}) },
          );
        };
        const created = (k: StoredKey) => json(res, 201, { id: k.id, key: k.key.split(/\s+/).slice(0, 2).join(' '), title: k.title, created_at: k.created, read_only: k.readOnly, verified: true }, scopeHeader);
        const inUse422 = (doc: string) =>
          json(res, 422, { message: 'Validation Failed', errors: [{ resource: 'PublicKey', code: 'custom', field: 'key', message: 'key is already in use' }], documentation_url: doc, status: '422' }, scopeHeader);
        const notFound = () => json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' }, scopeHeader);
        const invalidKey = () => json(res, 422, { message: 'Validation Failed', errors: [{ resource: 'PublicKey', code: 'custom', field: 'key', message: 'key is invalid. You must supply a key in OpenSSH public key format' }], status: '422' }, scopeHeader);

        if (rest === '/user' && req.method === 'GET') return json(res, 200, { login: me.login, id: 1000 + options.users.findIndex((u) => u.login === me.login), type: 'User' }, scopeHeader);
        if (rest === '/user/keys' || rest === '/user/ssh_signing_keys') {
          const kind = rest === '/user/keys' ? 'account' : 'signing';
          const family = kind === 'account' ? 'public_key' : 'ssh_signing_key';
          if (req.method === 'GET') {
            if (!has(`read:${family}`, `write:${family}`, `admin:${family}`)) return notFound();
            return list(stored.filter((k) => k.kind === kind && k.owner === me.login));
          }
          if (req.method === 'POST') {
            if (!has(`write:${family}`, `admin:${family}`)) return notFound();
            const blob = blobOf(String(data.key ?? ''));
            if (!blob) return invalidKey();
            const taken = kind === 'signing' ? stored.some((k) => k.kind === 'signing' && k.blob === blob) : inUse(blob);
            if (taken) return inUse422(`https://docs.github.com/rest/users/${kind === 'account' ? 'keys#create-a-public-ssh-key-for-the-authenticated-user' : 'ssh-signing-keys'}`);
            return created(await addKey({ kind, owner: me.login, key: String(data.key), title: String(data.title ?? ''), readOnly: false }));
          }
        }
        const m = /^\/repos\/([^/]+)\/([^/]+)\/keys$/.exec(rest);
        if (m) {
          const path = `${decodeURIComponent(m[1] as string)}/${decodeURIComponent(m[2] as string)}`;
          const repo = options.repos?.find((r) => r.path.toLowerCase() === path.toLowerCase());
          if (!repo || !has('repo')) return notFound();
          if (!repo.admins.includes(me.login)) {
            if (repo.readers?.includes(me.login)) return json(res, 403, { message: 'Must have admin rights to Repository.', documentation_url: 'https://docs.github.com/rest/deploy-keys/deploy-keys#create-a-deploy-key', status: '403' }, scopeHeader);
            return notFound();
          }
          if (req.method === 'GET') return list(stored.filter((k) => k.kind === 'deploy' && k.owner === repo.path));
          if (req.method === 'POST') {
            const blob = blobOf(String(data.key ?? ''));
            if (!blob) return invalidKey();
            if (inUse(blob)) return inUse422('https://docs.github.com/rest/deploy-keys/deploy-keys#create-a-deploy-key');
            return created(await addKey({ kind: 'deploy', owner: repo.path, key: String(data.key), title: String(data.title ?? ''), readOnly: data.read_only !== false }));
          }
        }
        return notFound();
      }

      async function gitlab() {
        const list = (items: StoredKey[], deploy: boolean) => {
          const pg = page(url, items, 'per_page', 'page');
          const links = [`<${pg.at(1)}>; rel="first"`, `<${pg.at(pg.last)}>; rel="last"`];
          if (pg.n < pg.last) links.unshift(`<${pg.at(pg.n + 1)}>; rel="next"`);
          return json(
            res,
            200,
            pg.slice.map((k) => (deploy ? { id: k.id, title: k.title, key: k.key, fingerprint_sha256: `SHA256:${k.blob.slice(0, 10)}`, created_at: k.created, can_push: !k.readOnly } : { id: k.id, title: k.title, key: k.key, created_at: k.created, expires_at: null, usage_type: k.usage })),
            {
              'X-Page': String(pg.n),
              'X-Per-Page': String(pg.per),
              'X-Total': String(pg.total),
              'X-Total-Pages': String(pg.last),
              'X-Next-Page': pg.n < pg.last ? String(pg.n + 1) : '',
              'X-Prev-Page': pg.n > 1 ? String(pg.n - 1) : '',
              Link: links.join(', '),
            },
          );
        };
        const taken = () => json(res, 400, { message: { fingerprint_sha256: ['has already been taken'] } });
        if (rest === '/user' && req.method === 'GET') return json(res, 200, { id: 10 + options.users.findIndex((u) => u.login === me.login), username: me.login, name: me.login, state: 'active' });
        if (rest === '/user/keys') {
          if (req.method === 'GET') return list(stored.filter((k) => k.kind !== 'deploy' && k.owner === me.login), false);
          if (req.method === 'POST') {
            const blob = blobOf(String(data.key ?? ''));
            if (!blob) return json(res, 400, { message: { key: ['is invalid'] } });
            if (inUse(blob) || stored.some((k) => k.blob === blob)) return taken();
            const usage = String(data.usage_type ?? 'auth_and_signing');
            const k = await addKey({ kind: usage === 'signing' ? 'signing' : 'account', owner: me.login, key: String(data.key), title: String(data.title ?? ''), readOnly: false }, usage);
            return json(res, 201, { id: k.id, title: k.title, key: k.key, created_at: k.created, expires_at: null, usage_type: k.usage });
          }
        }
        const m = /^\/projects\/([^/]+)\/deploy_keys$/.exec(rest);
        if (m) {
          const path = decodeURIComponent(m[1] as string);
          const repo = options.repos?.find((r) => r.path === path);
          if (!repo || (!repo.admins.includes(me.login) && !repo.readers?.includes(me.login))) return json(res, 404, { message: '404 Project Not Found' });
          if (!repo.admins.includes(me.login)) return json(res, 403, { message: '403 Forbidden' });
          if (req.method === 'GET') return list(stored.filter((k) => k.kind === 'deploy' && k.owner === repo.path), true);
          if (req.method === 'POST') {
            const blob = blobOf(String(data.key ?? ''));
            if (!blob) return json(res, 400, { message: { key: ['is invalid'] } });
            // A user's key can never be a deploy key; a deploy key may be enabled in several projects.
            if (stored.some((k) => k.blob === blob && k.kind !== 'deploy')) return json(res, 400, { message: { 'deploy_key.fingerprint_sha256': ['has already been taken'] } });
            if (stored.some((k) => k.blob === blob && k.kind === 'deploy' && k.owner === repo.path)) return json(res, 400, { message: { 'deploy_key.fingerprint_sha256': ['has already been taken'] } });
            const k = await addKey({ kind: 'deploy', owner: repo.path, key: String(data.key), title: String(data.title ?? ''), readOnly: data.can_push !== true });
            return json(res, 201, { id: k.id, title: k.title, key: k.key, created_at: k.created, can_push: !k.readOnly });
          }
        }
        return json(res, 404, { message: '404 Not Found' });
      }

      async function bitbucket() {
        const err = (status: number, message: string) => json(res, status, { type: 'error', error: { message } });
        const list = (items: StoredKey[], deploy: boolean) => {
          const pg = page(url, items, 'pagelen', 'page');
          return json(res, 200, {
            pagelen: pg.per,
            size: pg.total,
            page: pg.n,
            values: pg.slice.map((k) => (deploy ? { id: k.id, key: k.key.split(/\s+/).slice(0, 2).join(' '), label: k.title, type: 'deploy_key', created_on: k.created } : { uuid: `{key-${k.id}}`, key: k.key.split(/\s+/).slice(0, 2).join(' '), label: k.title, type: 'ssh_key', created_on: k.created })),
            ...(pg.n < pg.last ? { next: pg.at(pg.n + 1) } : {}),
          });
        };
        if (rest === '/user' && req.method === 'GET') return json(res, 200, { type: 'user', username: me.login, display_name: me.login, uuid: uuidOf(me.login), account_id: `557058:${me.login}` });
        const mk = /^\/users\/([^/]+)\/ssh-keys$/.exec(rest);
        if (mk) {
          const selected = decodeURIComponent(mk[1] as string);
          const owner = options.users.find((u) => uuidOf(u.login) === selected || `557058:${u.login}` === selected);
          if (!owner) return err(404, 'User not found');
          if (owner.login !== me.login) return err(403, 'You may not access the SSH keys of another account.');
          if (req.method === 'GET') return list(stored.filter((k) => k.kind === 'account' && k.owner === me.login), false);
          if (req.method === 'POST') {
            const blob = blobOf(String(data.key ?? ''));
            if (!blob) return err(400, 'The SSH key is invalid.');
            if (inUse(blob)) return err(400, 'Someone has already added that SSH key to another account.');
            const k = await addKey({ kind: 'account', owner: me.login, key: String(data.key), title: String(data.label ?? ''), readOnly: false });
            return json(res, 201, { type: 'ssh_key', uuid: `{key-${k.id}}`, key: k.key, label: k.title, created_on: k.created });
          }
        }
        const md = /^\/repositories\/([^/]+)\/([^/]+)\/deploy-keys$/.exec(rest);
        if (md) {
          const path = `${decodeURIComponent(md[1] as string)}/${decodeURIComponent(md[2] as string)}`;
          const repo = options.repos?.find((r) => r.path === path);
          if (!repo || (!repo.admins.includes(me.login) && !repo.readers?.includes(me.login))) return err(404, 'Repository not found');
          if (!repo.admins.includes(me.login)) return err(403, 'Your credentials lack one or more required privilege scopes.');
          if (req.method === 'GET') return list(stored.filter((k) => k.kind === 'deploy' && k.owner === repo.path), true);
          if (req.method === 'POST') {
            const blob = blobOf(String(data.key ?? ''));
            if (!blob) return err(400, 'The key is invalid.');
            if (inUse(blob)) return err(400, 'This key is already in use.');
            const k = await addKey({ kind: 'deploy', owner: repo.path, key: String(data.key), title: String(data.label ?? ''), readOnly: true });
            return json(res, 200, { id: k.id, key: k.key, label: k.title, type: 'deploy_key', created_on: k.created });
          }
        }
        return err(404, 'Resource not found');
      }
    })().catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { message: String(e) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  const api: GitHostApi = {
    origin,
    apiUrl: `${origin}${provider === 'github' ? '/api/v3' : provider === 'gitlab' ? '/api/v4' : '/2.0'}`,
    requests,
    polls,
    deviceCodeAt: null,
    keys: () => stored.map(({ kind, owner, key, title, readOnly }) => ({ kind, owner, key, title, readOnly })),
    seedKey(k) {
      stored.push({ ...k, id: nextId++, blob: blobOf(k.key) ?? '', created: new Date().toISOString(), usage: k.kind === 'signing' ? 'signing' : 'auth_and_signing' });
    },
    rateLimited: false,
    revoke(token) {
      tokens.delete(token);
    },
    issuedTokens,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}
