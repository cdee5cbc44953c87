/**
 * GitLab's REST API v4 for keys (GitLab.com and self-managed, same paths under /api/v4):
 *
 * - GET /user → username. https://docs.gitlab.com/api/users/#get-the-current-user
 * - GET/POST /user/keys {title, key, usage_type: auth | signing | auth_and_signing}; 201 on
 *   success, 400 {"message":{"fingerprint_sha256":["has already been taken"]}} (older versions:
 *   "fingerprint"/"key") when the key is registered anywhere. https://docs.gitlab.com/api/user_keys/
 * - GET/POST /projects/:id/deploy_keys {title, key, can_push}, :id the URL-encoded full path
 *   (group%2Fproject); needs the Maintainer role: 404 "404 Project Not Found" when the project
 *   is hidden, 403 "403 Forbidden" without the role. https://docs.gitlab.com/api/deploy_keys/ and
 *   https://docs.gitlab.com/api/rest/#namespaced-paths
 * - Pagination: page/per_page (max 100), X-Next-Page (empty on the last page) and Link.
 *   https://docs.gitlab.com/api/rest/#pagination
 * - Auth: PRIVATE-TOKEN header with a personal access token (scope api).
 *   https://docs.gitlab.com/api/rest/authentication/#personalprojectgroup-access-tokens
 */
import { keysPageUrl, type Endpoint } from './endpoints';
import { ApiClient, messageOf, nextLink, MAX_PAGES, unexpectedAnswer, type ApiAnswer, type FetchLike } from './http';
import { fingerprintOfListed, keyInUseError, noAdminError, obj, scopeMissingError, str, type Identity, type ProviderApi, type RemoteKey, type Target } from './remote';

function pathFor(target: Target): string {
  return target.kind === 'deploy' ? `/projects/${encodeURIComponent(target.repo)}/deploy_keys` : '/user/keys';
}

function toRemote(v: unknown): RemoteKey {
  const k = obj(v);
  return {
    id: str(k.id),
    title: str(k.title),
    fingerprint: fingerprintOfListed(k.key),
    readOnly: typeof k.can_push === 'boolean' ? !k.can_push : null,
    usage: typeof k.usage_type === 'string' ? k.usage_type : null,
  };
}

export class GitLabApi implements ProviderApi {
  private readonly client: ApiClient;

  constructor(
    readonly endpoint: Endpoint,
    token: string,
    fetchImpl?: FetchLike,
  ) {
    this.client = new ApiClient(endpoint, { 'PRIVATE-TOKEN': token }, fetchImpl);
  }

  async whoami(): Promise<Identity> {
    const a = await this.client.request('/user');
    if (a.status === 403) throw scopeMissingError(this.endpoint, ['api'], a.status);
    if (a.status !== 200) throw unexpectedAnswer(this.endpoint, 'say who is signed in', a);
    return { login: str(obj(a.body).username), scopes: null };
  }

  private refusal(target: Target, a: ApiAnswer, what: string): Error {
    const said = messageOf(a.body);
    if (target.kind === 'deploy' && (a.status === 404 || a.status === 403)) {
      return noAdminError(this.endpoint, target.repo, a.status, said, 'the Maintainer role', keysPageUrl(this.endpoint, 'deploy', target.repo));
    }
    // "insufficient_scope" answers are 403s: the token was made without the api scope.
    if (a.status === 403) return scopeMissingError(this.endpoint, ['api'], a.status);
    return unexpectedAnswer(this.endpoint, what, a);
  }

  async listKeys(target: Target): Promise<RemoteKey[]> {
    const out: RemoteKey[] = [];
    let url: string | null = this.client.url(pathFor(target), { per_page: '100' });
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const a: ApiAnswer = await this.client.request(url);
      if (a.status !== 200 || !Array.isArray(a.body)) throw this.refusal(target, a, 'list the keys');
      out.push(...a.body.map(toRemote));
      const next = a.headers.get('x-next-page')?.trim();
      url = next && /^\d+$/.test(next) ? this.client.url(pathFor(target), { per_page: '100', page: next }) : next === '' ? null : nextLink(a.headers.get('link'));
    }
    return out;
  }

  async addKey(target: Target, publicKey: string, title: string): Promise<RemoteKey> {
    const body: Record<string, unknown> = { title, key: publicKey };
    if (target.kind === 'deploy') body.can_push = target.readWrite;
    else body.usage_type = target.kind === 'signing' ? 'signing' : 'auth';
    const a = await this.client.request(pathFor(target), { method: 'POST', json: body });
    if (a.status === 201 || a.status === 200) return toRemote(a.body);
    const said = messageOf(a.body);
    if (a.status === 400 && /already been taken|already exists|already in use/i.test(said)) throw keyInUseError(this.endpoint, target.kind, said, target.kind === 'deploy' ? target.repo : undefined);
    throw this.refusal(target, a, 'add the key');
  }
}
