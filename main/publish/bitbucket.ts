/**
 * Bitbucket Cloud's REST API 2.0 for keys:
 *
 * - GET /user → username, uuid, display_name (scope read:user:bitbucket).
 *   https://developer.atlassian.com/cloud/bitbucket/rest/api-group-users/#api-user-get
 * - GET/POST /users/{selected_user}/ssh-keys {key, label}; selected_user is the account UUID in
 *   braces (URL-encoded) or the Atlassian account id (scopes read/write:ssh-key:bitbucket).
 *   https://developer.atlassian.com/cloud/bitbucket/rest/api-group-ssh/
 * - GET/POST /repositories/{workspace}/{repo_slug}/deploy-keys {key, label}: always read-only
 *   ("access keys"), admin of the repository (admin:repository:bitbucket).
 *   https://developer.atlassian.com/cloud/bitbucket/rest/api-group-deployments/
 * - Pagination: {values, pagelen, next}; follow `next` until it is absent.
 *   https://developer.atlassian.com/cloud/bitbucket/rest/intro/#pagination
 * - Errors: {"type":"error","error":{"message":…}}.
 * - Auth: basic auth, Atlassian e-mail + API token (app passwords: Bitbucket username + app
 *   password, until Atlassian switches them off).
 *   https://support.atlassian.com/bitbucket-cloud/docs/using-api-tokens/
 *
 * Bitbucket has no separate commit-signing keys in this API; publish says so before signing in.
 */
import { keysPageUrl, type Endpoint } from './endpoints';
import { ApiClient, messageOf, MAX_PAGES, unexpectedAnswer, type ApiAnswer, type FetchLike } from './http';
import { fingerprintOfListed, keyInUseError, noAdminError, obj, scopeMissingError, str, type Identity, type ProviderApi, type RemoteKey, type Target } from './remote';

function toRemote(v: unknown): RemoteKey {
  const k = obj(v);
  return { id: str(k.uuid) || str(k.id), title: str(k.label), fingerprint: fingerprintOfListed(k.key), readOnly: null, usage: null };
}

export class BitbucketApi implements ProviderApi {
  private readonly client: ApiClient;
  private userId: string | null = null;

  constructor(
    readonly endpoint: Endpoint,
    username: string,
    token: string,
    fetchImpl?: FetchLike,
  ) {
    this.client = new ApiClient(endpoint, { Authorization: `Basic ${Buffer.from(`${username}:${token}`, 'utf8').toString('base64')}` }, fetchImpl);
  }

  async whoami(): Promise<Identity> {
    const a = await this.client.request('/user');
    if (a.status === 403) throw scopeMissingError(this.endpoint, ['read:user:bitbucket'], a.status);
    if (a.status !== 200) throw unexpectedAnswer(this.endpoint, 'say who is signed in', a);
    const u = obj(a.body);
    this.userId = str(u.uuid) || str(u.account_id) || null;
    return { login: str(u.username) || str(u.nickname) || str(u.display_name), scopes: null };
  }

  private async pathFor(target: Target): Promise<string> {
    if (target.kind === 'deploy') {
      const [ws, slug] = target.repo.split('/') as [string, string];
      return `/repositories/${encodeURIComponent(ws)}/${encodeURIComponent(slug)}/deploy-keys`;
    }
    if (!this.userId) await this.whoami();
    return `/users/${encodeURIComponent(this.userId ?? '')}/ssh-keys`;
  }

  private refusal(target: Target, a: ApiAnswer, what: string): Error {
    const said = messageOf(a.body);
    if (target.kind === 'deploy' && (a.status === 404 || a.status === 403)) {
      return noAdminError(this.endpoint, target.repo, a.status, said, 'admin rights', keysPageUrl(this.endpoint, 'deploy', target.repo));
    }
    if (a.status === 403) return scopeMissingError(this.endpoint, ['read:ssh-key:bitbucket', 'write:ssh-key:bitbucket'], a.status);
    return unexpectedAnswer(this.endpoint, what, a);
  }

  async listKeys(target: Target): Promise<RemoteKey[]> {
    const out: RemoteKey[] = [];
    let url: string | null = this.client.url(await this.pathFor(target), { pagelen: '100' });
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const a: ApiAnswer = await this.client.request(url);
      const values = obj(a.body).values;
      if (a.status !== 200 || !Array.isArray(values)) throw this.refusal(target, a, 'list the keys');
      // Bitbucket deploy keys cannot push; account keys have no such flag.
      out.push(...values.map((v) => ({ ...toRemote(v), readOnly: target.kind === 'deploy' ? true : null })));
      const next = obj(a.body).next;
      url = typeof next === 'string' && next ? next : null;
    }
    return out;
  }

  async addKey(target: Target, publicKey: string, title: string): Promise<RemoteKey> {
    const a = await this.client.request(await this.pathFor(target), { method: 'POST', json: { key: publicKey, label: title } });
    if (a.status === 201 || a.status === 200) return { ...toRemote(a.body), readOnly: target.kind === 'deploy' ? true : null };
    const said = messageOf(a.body);
    if (a.status === 400 && /already/i.test(said)) throw keyInUseError(this.endpoint, target.kind, said, target.kind === 'deploy' ? target.repo : undefined);
    throw this.refusal(target, a, 'add the key');
  }
}
