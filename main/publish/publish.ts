/**
 * "Add it for me": puts a public key on GitHub, GitLab or Bitbucket as an account key, a
 * commit-signing key or a repository deploy key, then proves it with the connection test
 * (docs/publish.md §1). In order:
 *
 * 1. read the public half of the key (no passphrase: only public facts leave the machine);
 * 2. sign in (sign-in.ts) with the scopes this kind of key needs, and no more;
 * 3. list what is there (every page): a key already present is reported "already there", never
 *    added twice;
 * 4. add it; the provider's refusals (key in use elsewhere, no admin rights, expired token,
 *    rate limit) become KeyDockErrors that say what to do;
 * 5. run the connection test against the provider's SSH host and report "works as ACCOUNT" or
 *    "deploy key for OWNER/REPO" (signing keys do not log in, so they are not tested).
 */
import { hostname } from 'node:os';
import type { TestReport, TestStep } from '../../shared/contract/connect';
import type { PublishStep } from '../../shared/contract/publish';
import { runConnectionTest } from '../connect/tester';
import { KeyDockError } from '../util/errors';
import { keysPageUrl, scopesFor, type Endpoint, type ProviderId, type PublishKind } from './endpoints';
import { PublishErrorCode } from './http';
import { defaultTitle, readPublicKeyToPublish, type PublicKeyToPublish } from './public-key';
import { checkRepo, type ProviderApi, type RemoteKey, type Target } from './remote';
import { endpointFor, signedInApi, type PublishServices, type SignInDriver, type SignInReason } from './sign-in';
import { forgetToken } from './token-store';

export interface PublishRequest {
  provider: ProviderId;
  /** GitHub Enterprise / self-managed GitLab API address. */
  api?: string;
  /** A private key file or its .pub. */
  keyPath: string;
  kind: PublishKind;
  /** OWNER/REPO, for kind "deploy". */
  repo?: string;
  /** Deploy keys: allow pushing (default read-only). */
  readWrite?: boolean;
  title?: string;
  /** Run the connection test afterwards (default true; never for signing keys). */
  test?: boolean;
  /** Correlates publish:progress (and tester:progress) events with the window's run. */
  runId?: string;
  testTimeoutMs?: number;
}

export interface PublishTestResult {
  /** The connection works and the server accepted THIS key. */
  works: boolean;
  /** ssh got in, but with another key offered first. */
  otherKeyAccepted: string | null;
  /** Who the server says we are (account, or "deployment key for OWNER/REPO"). */
  account: string | null;
  host: string;
  message: string;
  diagnosis: { code: string; message: string; fix: string } | null;
}

export interface PublishOutcome {
  provider: ProviderId;
  server: string;
  kind: PublishKind;
  repo: string | null;
  status: 'added' | 'already-there';
  /** The account signed in (GitHub login, GitLab username, Bitbucket name). */
  account: string;
  key: { fingerprint: string; type: string; title: string; id: string; readOnly: boolean | null };
  test: PublishTestResult | null;
  /** Where the key can be seen (or removed) on the provider's web site. */
  keysPage: string;
  summary: string;
}

export interface PublishHooks {
  signIn: SignInDriver;
  onStep?: (step: PublishStep) => void;
  onTestStep?: (step: TestStep) => void;
}

function usage(message: string, hint: string): KeyDockError {
  return new KeyDockError('publish-usage', message, hint, { exitCode: 2 });
}

/** Refuses combinations a provider cannot do before anything is sent. */
export function checkRequest(e: Endpoint, req: PublishRequest): Target {
  if (req.kind === 'deploy') {
    if (!req.repo) throw usage('A deploy key needs the repository it is for.', 'Add --repo OWNER/REPO.');
    if (req.readWrite && e.provider === 'bitbucket') {
      throw new KeyDockError(PublishErrorCode.unsupported, 'Bitbucket deploy keys (access keys) are always read-only; they cannot push.', 'Leave out --read-write, or publish the key as an account key to push with it.', { exitCode: 2 });
    }
    return { kind: 'deploy', repo: checkRepo(e, req.repo), readWrite: !!req.readWrite };
  }
  if (req.repo) throw usage('--repo is for deploy keys; a signing or account key belongs to the account.', 'Leave out --repo, or --signing.');
  if (req.readWrite) throw usage('--read-write is only for deploy keys.', 'Add --repo OWNER/REPO, or leave out --read-write.');
  if (req.kind === 'signing' && e.provider === 'bitbucket') {
    throw new KeyDockError(PublishErrorCode.unsupported, 'Bitbucket Cloud has no separate commit-signing keys that KeyDock can add.', 'Publish it as an account key (without --signing), or use GitHub or GitLab for SSH commit signing.', { exitCode: 2 });
  }
  return { kind: req.kind };
}

function describeKind(target: Target, readOnly: boolean | null): string {
  if (target.kind === 'account') return 'account key';
  if (target.kind === 'signing') return 'signing key';
  return `${readOnly === false ? 'read-write' : 'read-only'} deploy key of ${target.repo}`;
}

/** A key already there, or an error when it is there for another use (GitLab usage types). */
function alreadyThere(e: Endpoint, target: Target, key: PublicKeyToPublish, listed: RemoteKey[]): RemoteKey | null {
  const hit = listed.find((k) => k.fingerprint === key.fingerprint);
  if (!hit) return null;
  if (hit.usage && target.kind !== 'deploy') {
    const wanted = target.kind === 'signing' ? 'signing' : 'auth';
    if (hit.usage !== wanted && hit.usage !== 'auth_and_signing') {
      throw new KeyDockError(
        PublishErrorCode.keyInUse,
        `The key is already on your ${e.name} account (“${hit.title}”), but for ${hit.usage === 'signing' ? 'signing only' : 'logging in only'}.`,
        `Delete it at ${keysPageUrl(e, target.kind)} and publish again, or add it there with the usage “Authentication & Signing”.`,
      );
    }
  }
  return hit;
}

function testVerdict(e: Endpoint, target: Target, key: PublicKeyToPublish, login: string, r: TestReport): PublishTestResult {
  const accepted = r.acceptedKey?.fingerprint ?? null;
  const ours = accepted === key.fingerprint;
  const host = r.port === 22 ? r.host : `${r.host}:${r.port}`;
  const base = { host, account: r.account, diagnosis: r.diagnosis ? { code: r.diagnosis.code, message: r.diagnosis.message, fix: r.diagnosis.fix } : null };
  if (r.ok && ours) {
    if (target.kind === 'deploy') {
      const named = r.deployKeyRepo && r.deployKeyRepo.toLowerCase() !== target.repo.toLowerCase() ? ` (the server named ${r.deployKeyRepo})` : '';
      return { ...base, works: true, otherKeyAccepted: null, message: `works: deploy key for ${target.repo}${named}` };
    }
    return { ...base, works: true, otherKeyAccepted: null, message: `works as ${r.account ?? login}` };
  }
  if (r.ok) {
    return {
      ...base,
      works: false,
      otherKeyAccepted: accepted,
      message: `ssh reaches ${host} as ${r.account ?? 'someone'}, but with another key (${accepted}): ssh offers that one before this key. Load this key into your agent, or give ${e.sshHost} its own key with keydock setup-host ${e.provider}.`,
    };
  }
  return { ...base, works: false, otherKeyAccepted: null, message: r.diagnosis ? `${r.diagnosis.message} ${r.diagnosis.fix}` : `the connection to ${host} does not work yet.` };
}

function hasCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof KeyDockError && codes.includes(err.code);
}

/** Publishes the key of REQ (see the file comment); the outcome says what was done and whether ssh works with it. */
export async function publishKey(s: PublishServices, req: PublishRequest, hooks: PublishHooks): Promise<PublishOutcome> {
  const step = (name: string, ok: boolean, detail?: string) => {
    const st: PublishStep = { name, ok, ...(detail ? { detail } : {}) };
    hooks.onStep?.(st);
    if (req.runId) s.runtime.events.emit('publish:progress', { runId: req.runId, step: st });
  };
  const e = endpointFor(s, req.provider, req.api);
  const target = checkRequest(e, req);
  const key = await readPublicKeyToPublish(req.keyPath, s.runtime.platform);
  step('Read key', true, `${key.type} ${key.fingerprint}`);
  const need = scopesFor(e.provider, target.kind);
  const title = (req.title?.trim() || defaultTitle(key, hostname() || 'this computer')).slice(0, 200);

  let force: SignInReason | null = null;
  let session: { api: ProviderApi; login: string };
  let status: PublishOutcome['status'];
  let remote: RemoteKey;
  for (let round = 0; ; round++) {
    let phase = 'Look for the key';
    const signed = await signedInApi(s, e, need, hooks.signIn, force);
    session = { api: signed.api, login: signed.identity.login };
    step('Sign in', true, `${e.name} as ${session.login}`);
    try {
      const listed = await session.api.listKeys(target);
      const hit = alreadyThere(e, target, key, listed);
      step('Look for the key', true, hit ? `already there as “${hit.title}”` : `${listed.length} key(s), this one is not among them`);
      if (hit) {
        status = 'already-there';
        remote = hit;
      } else {
        phase = 'Add key';
        remote = await session.api.addKey(target, key.line, title);
        status = 'added';
        step('Add key', true, `${describeKind(target, remote.readOnly ?? (target.kind === 'deploy' ? !target.readWrite : null))} “${remote.title || title}”`);
      }
      break;
    } catch (err) {
      // A stored token that expired meanwhile or lacks a scope: sign in once more and retry.
      if (round === 0 && !signed.fresh && hasCode(err, PublishErrorCode.tokenRejected, PublishErrorCode.scopeMissing)) {
        if (hasCode(err, PublishErrorCode.tokenRejected)) await forgetToken(s.secrets, e);
        force = hasCode(err, PublishErrorCode.tokenRejected) ? 'rejected' : 'scopes';
        continue;
      }
      if (hasCode(err, PublishErrorCode.tokenRejected)) await forgetToken(s.secrets, e);
      step(phase, false, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  const readOnly = remote.readOnly ?? (target.kind === 'deploy' ? !target.readWrite : null);
  const what = describeKind(target, readOnly);
  let summary =
    status === 'added'
      ? `Added ${key.fingerprint} to ${e.name} as ${target.kind === 'deploy' ? `a ${what}` : `an ${what} of ${session.login}`}.`
      : `${key.fingerprint} is already on ${e.name} as ${target.kind === 'deploy' ? `a ${what}` : `an ${what} of ${session.login}`} (“${remote.title}”); nothing added.`;
  if (status === 'already-there' && target.kind === 'deploy' && target.readWrite && readOnly) {
    summary += ` It is read-only there; to let it push, delete it at ${keysPageUrl(e, 'deploy', target.repo)} and publish again with --read-write.`;
  }

  let test: PublishTestResult | null = null;
  if (target.kind === 'signing') {
    summary += ' To sign commits with it: git config --global gpg.format ssh && git config --global user.signingkey ' + key.path.replace(/(\.pub)?$/, '.pub');
  } else if (req.test !== false) {
    const report = await runConnectionTest(s.runtime, e.sshHost, {
      preset: e.provider,
      ...(req.runId ? { runId: req.runId } : {}),
      ...(req.testTimeoutMs ? { timeoutMs: req.testTimeoutMs } : {}),
      ...(hooks.onTestStep ? { onStep: hooks.onTestStep } : {}),
    });
    test = testVerdict(e, target, key, session.login, report);
    step('Test connection', test.works, test.message);
    summary += ` Connection test: ${test.message}`;
  }

  return {
    provider: e.provider,
    server: e.name,
    kind: target.kind,
    repo: target.kind === 'deploy' ? target.repo : null,
    status,
    account: session.login,
    key: { fingerprint: key.fingerprint, type: key.type, title: remote.title || title, id: remote.id, readOnly },
    test,
    keysPage: keysPageUrl(e, target.kind, target.kind === 'deploy' ? target.repo : undefined),
    summary,
  };
}
