/**
 * What publish/ needs from each provider's REST API, in one shape: who the token belongs to,
 * which keys are there (all pages), and adding one. Each provider file (github.ts, gitlab.ts,
 * bitbucket.ts) turns its own answers and refusals into this shape and into KeyDockErrors.
 */
import { fingerprintSha256, parsePublicKeyLine, plainBlobOf } from '../keys/format';
import { KeyDockError } from '../util/errors';
import type { Endpoint, PublishKind } from './endpoints';
import { PublishErrorCode } from './http';

export type Target = { kind: 'account' } | { kind: 'signing' } | { kind: 'deploy'; repo: string; readWrite: boolean };

export interface RemoteKey {
  id: string;
  title: string;
  /** SHA256 fingerprint of the key as the provider lists it; null when KeyDock cannot read it. */
  fingerprint: string | null;
  /** Deploy keys: read-only? (null when the provider does not say.) */
  readOnly: boolean | null;
  /** GitLab: auth, signing or auth_and_signing. */
  usage: string | null;
}

export interface Identity {
  /** The account name (GitHub login, GitLab username, Bitbucket nickname or display name). */
  login: string;
  /** GitHub: scopes of an OAuth or classic token (X-OAuth-Scopes); null when the provider does not say. */
  scopes: string[] | null;
}

export interface ProviderApi {
  readonly endpoint: Endpoint;
  whoami(): Promise<Identity>;
  listKeys(target: Target): Promise<RemoteKey[]>;
  addKey(target: Target, publicKey: string, title: string): Promise<RemoteKey>;
}

/** The SHA256 fingerprint of a listed key line (comments and certificates tolerated); null if unreadable. */
export function fingerprintOfListed(keyText: unknown): string | null {
  if (typeof keyText !== 'string' || !keyText.trim()) return null;
  try {
    return fingerprintSha256(plainBlobOf(parsePublicKeyLine(keyText).blob));
  } catch {
    return null;
  }
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

export function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** OWNER/REPO (GitLab: GROUP/SUBGROUP/PROJECT): checked before it goes into a URL. */
export function checkRepo(e: Endpoint, repo: string): string {
  const clean = repo.trim().replace(/\.git$/, '').replace(/^\/+|\/+$/g, '');
  const parts = clean.split('/');
  const segment = /^[A-Za-z0-9_.-]+$/;
  const nested = e.provider === 'gitlab';
  if ((nested ? parts.length < 2 : parts.length !== 2) || !parts.every((p) => segment.test(p) && p !== '.' && p !== '..')) {
    throw new KeyDockError('publish-bad-repo', `"${repo.slice(0, 200)}" is not a repository name KeyDock can use.`, nested ? 'Write it as GROUP/PROJECT (or GROUP/SUBGROUP/PROJECT), as in its URL.' : 'Write it as OWNER/REPO, as in its URL.', { exitCode: 2 });
  }
  return clean;
}

/** "This key is already in use" in plain words, with what to do, for each kind of key. */
export function keyInUseError(e: Endpoint, kind: PublishKind, said: string, repo?: string): KeyDockError {
  const where = e.provider === 'github' ? 'GitHub lets one public key belong to one place only: one account, or one repository’s deploy keys.' : `${e.name} lets one public key be registered only once.`;
  if (kind === 'deploy') {
    return new KeyDockError(
      PublishErrorCode.keyInUse,
      `${e.name} refused the key for ${repo}: it is already in use — on an account (yours or someone else’s) or as the deploy key of another repository${said ? ` (${e.name} said: “${said}”)` : ''}. ${where}`,
      `Make a key just for this repository and publish that one: keydock setup-host ${e.provider} --repo ${repo} creates it with its own Host alias.`,
    );
  }
  return new KeyDockError(
    PublishErrorCode.keyInUse,
    `${e.name} refused the key: it is already in use — on another ${e.name} account, or as a repository’s deploy key${said ? ` (${e.name} said: “${said}”)` : ''}. ${where}`,
    'Use a different key for this account (keydock keygen makes one), or remove this key from the account or repository that has it, then try again.',
  );
}

/** No admin rights on the repository (or it does not exist for this account). */
export function noAdminError(e: Endpoint, repo: string, status: number, said: string, needs: string, page: string): KeyDockError {
  return new KeyDockError(
    PublishErrorCode.noAdmin,
    `${e.name} did not let KeyDock manage the deploy keys of ${repo} (HTTP ${status}${said ? `: ${said}` : ''}): the repository does not exist under that name, or your account lacks ${needs} on it.`,
    `Check the name; adding a deploy key needs ${needs}. Ask an owner to give you that role, or to add the key at ${page}.`,
  );
}

/** The token lacks a scope the request needs; KeyDock can sign in again asking for it. */
export function scopeMissingError(e: Endpoint, scopes: readonly string[], status: number): KeyDockError {
  return new KeyDockError(PublishErrorCode.scopeMissing, `${e.name} refused: KeyDock’s sign-in does not include ${scopes.join(', ')} (HTTP ${status}).`, `Sign in again allowing ${scopes.join(', ')} (keydock publish --sign-out --to ${e.provider}, then publish again).`);
}
