/**
 * GitHub's REST API for keys (GitHub.com and GitHub Enterprise Server, same paths under /api/v3):
 *
 * - GET /user → login; classic and OAuth tokens report their scopes in X-OAuth-Scopes.
 *   https://docs.github.com/en/rest/users/users#get-the-authenticated-user
 * - GET/POST /user/keys {title, key} (write:public_key), 201 on success, 422 "Validation Failed"
 *   with errors[].message "key is already in use" when the key is on any account or deploy key.
 *   https://docs.github.com/en/rest/users/keys
 * - GET/POST /user/ssh_signing_keys {title, key} (write:ssh_signing_key).
 *   https://docs.github.com/en/rest/users/ssh-signing-keys
 * - GET/POST /repos/{owner}/{repo}/keys {title, key, read_only} (repo scope, admin of the
 *   repository); 404 when the repository is hidden from the account or it is not an admin.
 *   https://docs.github.com/en/rest/deploy-keys/deploy-keys
 * - Pagination: per_page (max 100) and the Link header's rel="next".
 *   https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
 * - Headers: Authorization: Bearer, Accept: application/vnd.github+json, X-GitHub-Api-Version.
 *   https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api
 */
import { keysPageUrl, type Endpoint } from './endpoints';
import { ApiClient, messageOf, nextLink, MAX_PAGES, unexpectedAnswer, type ApiAnswer, type FetchLike } from './http';
import { fingerprintOfListed, keyInUseError, noAdminError, obj, scopeMissingError, str, type Identity, type ProviderApi, type RemoteKey, type Target } from './remote';

function pathFor(target: Target): string {
  if (target.kind === 'account') return '/user/keys';
  if (target.kind === 'signing') return '/user/ssh_signing_keys';
  const [owner, repo] = target.repo.split('/') as [string, string];
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/keys`;
}

function toRemote(v: unknown): RemoteKey {
  const k = obj(v);
  return { id: str(k.id), title: str(k.title), fingerprint: fingerprintOfListed(k.key), readOnly: typeof k.read_only === 'boolean' ? k.read_only : null, usage: null };
}

/** The validation messages of a 422 (GitHub: {"message":"Validation Failed","errors":[{"message":…}]}). */
function validationMessages(body: unknown): string[] {
  const errors = obj(body).errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((x) => (typeof x === 'string' ? x : str(obj(x).message))).filter(Boolean);
}

export class GitHubApi implements ProviderApi {
  private readonly client: ApiClient;

  constructor(
    readonly endpoint: Endpoint,
    token: string,
    fetchImpl?: FetchLike,
  ) {
    this.client = new ApiClient(endpoint, { Authorization: `Bearer ${token}` }, fetchImpl, { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' });
  }

  async whoami(): Promise<Identity> {
    const a = await this.client.request('/user');
    if (a.status !== 200) throw unexpectedAnswer(this.endpoint, 'say who is signed in', a);
    const scopes = a.headers.get('x-oauth-scopes');
    return { login: str(obj(a.body).login), scopes: scopes === null ? null : scopes.split(',').map((s) => s.trim()).filter(Boolean) };
  }

  private refusal(target: Target, a: ApiAnswer, what: string): Error {
    const said = messageOf(a.body);
    if (target.kind === 'deploy' && (a.status === 404 || a.status === 403)) {
      return noAdminError(this.endpoint, target.repo, a.status, said, 'admin rights', keysPageUrl(this.endpoint, 'deploy', target.repo));
    }
    // Without the scope GitHub hides the endpoint (404) or refuses it (403).
    if (a.status === 404 || a.status === 403) return scopeMissingError(this.endpoint, [target.kind === 'account' ? 'write:public_key' : 'write:ssh_signing_key'], a.status);
    return unexpectedAnswer(this.endpoint, what, a);
  }

  async listKeys(target: Target): Promise<RemoteKey[]> {
    const out: RemoteKey[] = [];
    let url: string | null = this.client.url(pathFor(target), { per_page: '100' });
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const a: ApiAnswer = await this.client.request(url);
      if (a.status !== 200 || !Array.isArray(a.body)) throw this.refusal(target, a, 'list the keys');
      out.push(...a.body.map(toRemote));
      url = nextLink(a.headers.get('link'));
    }
    return out;
  }

  async addKey(target: Target, publicKey: string, title: string): Promise<RemoteKey> {
    const body: Record<string, unknown> = { title, key: publicKey };
    if (target.kind === 'deploy') body.read_only = !target.readWrite;
    const a = await this.client.request(pathFor(target), { method: 'POST', json: body });
    if (a.status === 201 || a.status === 200) return toRemote(a.body);
    if (a.status === 422) {
      const msgs = validationMessages(a.body);
      const inUse = msgs.find((m) => /already in use/i.test(m));
      if (inUse) throw keyInUseError(this.endpoint, target.kind, inUse, target.kind === 'deploy' ? target.repo : undefined);
      throw unexpectedAnswer(this.endpoint, 'add the key', { ...a, body: { message: [messageOf(a.body), ...msgs].filter(Boolean).join(': ') } });
    }
    throw this.refusal(target, a, 'add the key');
  }
}
