/**
 * Git commit and tag signing with an SSH key (Git ≥ 2.34): `gpg.format ssh`, `user.signingkey`
 * (the key's public file, or the `key::TYPE BASE64` literal when the key lives only in the
 * agent), `commit.gpgsign` / `tag.gpgsign`, and an allowed-signers file so `git verify-commit`
 * and `git log --show-signature` can check signatures locally. Setup proves itself: a signed
 * commit in a scratch repository, verified with `git verify-commit`. Status says what is set
 * and whether signing works right now (it makes and verifies such a commit, without a
 * terminal, so it never stops to ask for a passphrase).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { GitSigningSetupResult, GitSigningStatus } from '../../shared/contract/lifecycle';
import type { Runtime } from '../config/runtime';
import type { AgentManager } from '../agent/manager';
import { probeAgent } from '../agent/probe';
import { GIT_HOST_PRESETS } from '../connect/git-hosts';
import { fingerprintSha256, parsePublicKeyLine, plainBlobOf, publicKeyLine } from '../keys/format';
import { inspectIdentityFile } from '../keys/identity-file';
import { plainTypeOf } from '../keys/public-blob';
import { expandTilde } from '../openssh/ssh-config';
import { KeyDockError } from '../util/errors';
import { addSignerLine, checkPrincipal, listsSigner, signerLine } from './allowed-signers';
import type { KeyRef } from './authorized-keys';
import { execTool, lastLine } from './exec';
import { checkRepository, gitConfigGet, gitConfigSet, gitEnv, gitVersion, SSH_SIGNING_MIN_GIT, versionAtLeast, type GitScope } from './git';

export type SigningRuntime = Runtime & { agents: AgentManager };

/** What Git should sign with, and what it is. */
export interface SigningKey {
  /** The value for user.signingkey. */
  value: string;
  kind: 'file' | 'literal';
  key: KeyRef;
  fingerprint: string;
  publicKey: string;
}

/** Where each provider takes a *signing* key (the same pages as authentication keys, another key type). */
export function signingKeyPages(): GitSigningStatus['signingKeyPages'] {
  const help: Record<string, string> = {
    github: 'Choose "Signing Key" as the key type (an authentication key does not verify commits).',
    gitlab: 'Choose "Signing" (or "Authentication & Signing") as the usage type.',
    bitbucket: 'Add it under SSH keys; Bitbucket uses your account SSH keys to verify signed commits pushed from the command line.',
  };
  return GIT_HOST_PRESETS.map((p) => ({ provider: p.id, name: p.name, url: p.addKeyUrl, help: help[p.id] ?? '' }));
}

/** A signing key that names the key itself (`key::TYPE BASE64`; before Git 2.35 the bare key). */
export function literalSigningKey(key: KeyRef, git: string | null): string {
  return versionAtLeast(git, [2, 35]) ? `key::${key.type} ${key.blob}` : `${key.type} ${key.blob}`;
}

/** The key a user.signingkey value names: a literal key, or a file (`~` expanded). */
export function parseSigningKeyValue(value: string, home: string): { kind: 'literal'; key: KeyRef } | { kind: 'file'; path: string } {
  const v = value.trim();
  const literal = v.startsWith('key::') ? v.slice(5) : /^(ssh-|ecdsa-|sk-)/.test(v) ? v : null;
  if (literal !== null) {
    const parsed = parsePublicKeyLine(literal);
    return { kind: 'literal', key: { type: plainTypeOf(parsed.type), blob: plainBlobOf(parsed.blob).toString('base64') } };
  }
  const p = expandTilde(v, home);
  return { kind: 'file', path: isAbsolute(p) ? p : resolve(home, p) };
}

async function keyFromFile(path: string): Promise<{ key: KeyRef; fingerprint: string; publicKey: string; publicPath: string | null; privatePath: string | null } | null> {
  const isPub = path.endsWith('.pub');
  const privatePath = isPub ? path.slice(0, -4) : path;
  const publicPath = isPub ? path : `${path}.pub`;
  const info = await inspectIdentityFile(existsSync(publicPath) ? publicPath : privatePath);
  if (!info.blob) return null;
  const blob = plainBlobOf(info.blob);
  const line = publicKeyLine(blob, info.comment);
  return {
    key: { type: plainTypeOf(line.split(' ')[0] as string), blob: blob.toString('base64') },
    fingerprint: fingerprintSha256(blob),
    publicKey: line,
    publicPath: existsSync(publicPath) ? publicPath : null,
    privatePath: existsSync(privatePath) ? privatePath : null,
  };
}

async function agentKeys(rt: SigningRuntime): Promise<Array<{ fingerprint: string; publicKey: string; sourceFile: string | null; isCertificate: boolean }>> {
  try {
    return (await rt.agents.list()).identities.map((i) => ({ fingerprint: i.fingerprint, publicKey: i.publicKey, sourceFile: i.sourceFile ?? null, isCertificate: !!i.isCertificate }));
  } catch {
    return [];
  }
}

/**
 * Picks the signing key: a file given (its .pub when there is one, else the file), a key in
 * the agent by fingerprint (the literal form), else the agent's only key, else ~/.ssh/id_ed25519.
 */
export async function chooseSigningKey(rt: SigningRuntime, req: { keyPath?: string; fingerprint?: string }, git: string | null): Promise<SigningKey> {
  if (req.keyPath) {
    const p = expandTilde(req.keyPath, rt.paths.home);
    const abs = resolve(p);
    const f = await keyFromFile(abs);
    if (!f) throw new KeyDockError('key-unreadable', `Could not read a key at ${abs}.`, 'Give a private key file with its .pub beside it, or the .pub itself.', { exitCode: 2 });
    return { value: f.publicPath ?? (f.privatePath as string), kind: 'file', key: f.key, fingerprint: f.fingerprint, publicKey: f.publicKey };
  }
  const keys = (await agentKeys(rt)).filter((k) => !k.isCertificate);
  const fromAgent = (k: { fingerprint: string; publicKey: string }): SigningKey => {
    const parsed = parsePublicKeyLine(k.publicKey);
    const key = { type: plainTypeOf(parsed.type), blob: plainBlobOf(parsed.blob).toString('base64') };
    return { value: literalSigningKey(key, git), kind: 'literal', key, fingerprint: k.fingerprint, publicKey: k.publicKey };
  };
  if (req.fingerprint) {
    const k = keys.find((x) => x.fingerprint === req.fingerprint);
    if (!k) throw new KeyDockError('key-not-loaded', `No key ${req.fingerprint} is loaded in the agent.`, 'Load it first (keydock add FILE), or give the key file with --key.', { exitCode: 2 });
    return fromAgent(k);
  }
  if (keys.length === 1) {
    const k = keys[0] as (typeof keys)[number];
    if (k.sourceFile && existsSync(`${k.sourceFile}.pub`)) return chooseSigningKey(rt, { keyPath: `${k.sourceFile}.pub` }, git);
    return fromAgent(k);
  }
  const fallback = join(rt.paths.sshDir, 'id_ed25519.pub');
  if (keys.length === 0 && existsSync(fallback)) return chooseSigningKey(rt, { keyPath: fallback }, git);
  throw new KeyDockError(
    'signing-key-needed',
    keys.length > 1 ? `The agent holds ${keys.length} keys; KeyDock will not guess which one signs your commits.` : 'There is no key to sign with: the agent is empty and there is no ~/.ssh/id_ed25519.',
    'Name the key with --key FILE (or --key SHA256:… for a key in the agent).',
    { exitCode: 2 },
  );
}

function scopeOf(rt: Runtime, repo: string | undefined): GitScope {
  if (!repo) return { kind: 'global' };
  const p = expandTilde(repo, rt.paths.home);
  return { kind: 'repo', path: resolve(p) };
}

async function emailFor(rt: Runtime, scope: GitScope, given: string | undefined): Promise<string | null> {
  if (given) return checkPrincipal(given);
  const fromGit = await gitConfigGet(rt.env, scope, 'user.email');
  return fromGit ? fromGit.trim() : null;
}

export interface SigningProof {
  ok: boolean;
  detail: string;
}

/**
 * Makes a signed empty commit in a scratch repository with these settings and verifies it with
 * `git verify-commit`. Runs without a terminal: a key that needs a passphrase and is not in the
 * agent fails here instead of waiting for one (setup may still show an askpass window; status never).
 */
export async function proveSigning(rt: Runtime, s: { signingKey: string; email: string; allowedSignersFile: string; program: string | null; mayAsk?: boolean }): Promise<SigningProof> {
  const dir = await mkdtemp(join(tmpdir(), 'keydock-signing-'));
  // Status only looks: no askpass window either (ssh-keygen would open one where SSH_ASKPASS is set).
  const env = { ...gitEnv(rt.env), ...(s.mayAsk ? {} : { SSH_ASKPASS_REQUIRE: 'never' }) };
  const common = ['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${s.allowedSignersFile}`, '-c', `gpg.ssh.program=${s.program ?? 'ssh-keygen'}`, '-c', 'core.hooksPath=/dev/null'];
  try {
    const init = await execTool('git', ['-c', 'init.defaultBranch=main', 'init', '-q', dir], { env, timeoutMs: 30_000 });
    if (init.code !== 0) return { ok: false, detail: `git init failed: ${lastLine(init.stderr)}` };
    const commit = await execTool(
      'git',
      ['-C', dir, ...common, '-c', 'user.name=KeyDock signing check', '-c', `user.email=${s.email}`, '-c', `user.signingkey=${s.signingKey}`, '-c', 'commit.gpgsign=true', 'commit', '-q', '--allow-empty', '-S', '-m', 'KeyDock signing check'],
      { env, timeoutMs: 60_000, noTerminal: true },
    );
    if (commit.code !== 0) return { ok: false, detail: `git commit -S failed: ${lastLine(commit.stderr) || 'no reason given'}` };
    const verify = await execTool('git', ['-C', dir, ...common, 'verify-commit', 'HEAD'], { env, timeoutMs: 30_000, noTerminal: true });
    const said = lastLine(verify.stderr) || lastLine(verify.stdout);
    if (verify.code !== 0) return { ok: false, detail: `git verify-commit failed: ${said || 'no reason given'}` };
    return { ok: true, detail: said || 'Good signature' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function gitTooOld(version: string | null): KeyDockError {
  return new KeyDockError(
    'git-too-old',
    version ? `Git ${version} cannot sign with SSH keys; that needs Git 2.34 or newer.` : 'Git is not installed (or not on your PATH).',
    'Install a current Git, then run this again.',
    { exitCode: 2 },
  );
}

/** Sets up SSH commit signing and proves it (see the file comment). */
export async function setupGitSigning(
  rt: SigningRuntime,
  req: { keyPath?: string; fingerprint?: string; repo?: string; signCommits?: boolean; signTags?: boolean; email?: string },
): Promise<GitSigningSetupResult> {
  const version = await gitVersion(rt.env);
  if (!versionAtLeast(version, SSH_SIGNING_MIN_GIT)) throw gitTooOld(version);
  const scope = scopeOf(rt, req.repo);
  if (scope.kind === 'repo') await checkRepository(rt.env, scope.path);
  const email = await emailFor(rt, scope, req.email);
  if (!email) {
    throw new KeyDockError('email-needed', 'Git has no e-mail address for you (user.email), and none was given.', 'Pass --email you@example.com, or run git config --global user.email you@example.com.', { exitCode: 2 });
  }
  checkPrincipal(email);
  const key = await chooseSigningKey(rt, req, version);
  const configured = await gitConfigGet(rt.env, scope, 'gpg.ssh.allowedSignersFile');
  const allowedSignersFile = configured ? resolve(expandTilde(configured, rt.paths.home)) : join(rt.paths.sshDir, 'allowed_signers');
  const entry = signerLine(email, key.key);
  if (!(await listsSigner(allowedSignersFile, key.key, email))) await addSignerLine(allowedSignersFile, entry);

  const settings: Array<{ key: string; value: string }> = [
    { key: 'gpg.format', value: 'ssh' },
    { key: 'user.signingkey', value: key.value },
    { key: 'gpg.ssh.allowedSignersFile', value: allowedSignersFile },
  ];
  if (req.signCommits) settings.push({ key: 'commit.gpgsign', value: 'true' });
  if (req.signTags) settings.push({ key: 'tag.gpgsign', value: 'true' });
  for (const s of settings) await gitConfigSet(rt.env, scope, s.key, s.value);

  const program = await gitConfigGet(rt.env, scope, 'gpg.ssh.program');
  const proof = await proveSigning(rt, { signingKey: key.value, email, allowedSignersFile, program, mayAsk: true });
  return {
    scope: scope.kind,
    repo: scope.kind === 'repo' ? scope.path : null,
    signingKey: key.value,
    signingKeyKind: key.kind,
    fingerprint: key.fingerprint,
    publicKey: key.publicKey,
    email,
    allowedSignersFile,
    allowedSignersEntry: entry,
    settings,
    proof,
    signingKeyPages: signingKeyPages(),
  };
}

function truthy(v: string | null): boolean {
  return v !== null && ['true', 'yes', 'on', '1'].includes(v.trim().toLowerCase());
}

/** What is set for SSH signing in a scope, and whether it works now (see the file comment). */
export async function gitSigningStatus(rt: SigningRuntime, req: { repo?: string }): Promise<GitSigningStatus> {
  const version = await gitVersion(rt.env);
  const scope = scopeOf(rt, req.repo);
  if (scope.kind === 'repo') await checkRepository(rt.env, scope.path);
  const newEnough = versionAtLeast(version, SSH_SIGNING_MIN_GIT);
  const get = (k: string) => (version ? gitConfigGet(rt.env, scope, k) : Promise.resolve(null));
  const [format, signingKey, commitSign, tagSign, email, signersRaw, program] = await Promise.all([
    get('gpg.format'),
    get('user.signingkey'),
    get('commit.gpgsign'),
    get('tag.gpgsign'),
    get('user.email'),
    get('gpg.ssh.allowedSignersFile'),
    get('gpg.ssh.program'),
  ]);
  const problems: GitSigningStatus['problems'] = [];
  const fix = req.repo ? `keydock git-signing setup --repo ${req.repo}` : 'keydock git-signing setup';
  if (!version) problems.push({ code: 'git-missing', message: 'Git is not installed (or not on your PATH).', fix: 'Install Git 2.34 or newer.' });
  else if (!newEnough) problems.push({ code: 'git-too-old', message: `Git ${version} cannot sign with SSH keys (Git 2.34 or newer can).`, fix: 'Update Git.' });
  if (format !== 'ssh') problems.push({ code: 'format-not-ssh', message: format ? `gpg.format is "${format}", so Git signs with ${format}, not SSH.` : 'gpg.format is not set, so Git would sign with GnuPG.', fix });

  let key: KeyRef | null = null;
  let fingerprint: string | null = null;
  let kind: GitSigningStatus['signingKeyKind'] = 'none';
  let keyFile: GitSigningStatus['keyFile'] = null;
  if (!signingKey) problems.push({ code: 'no-signing-key', message: 'user.signingkey is not set.', fix });
  else {
    try {
      const parsed = parseSigningKeyValue(signingKey, rt.paths.home);
      if (parsed.kind === 'literal') {
        kind = 'literal';
        key = parsed.key;
      } else {
        kind = 'file';
        const f = await keyFromFile(parsed.path);
        const privatePath = parsed.path.endsWith('.pub') ? parsed.path.slice(0, -4) : parsed.path;
        const priv = existsSync(privatePath) ? await inspectIdentityFile(privatePath) : null;
        keyFile = { path: parsed.path, exists: existsSync(parsed.path), privateKey: !!priv?.exists && !privatePath.endsWith('.pub'), encrypted: !!priv?.encrypted };
        if (f) key = f.key;
        else problems.push({ code: 'key-file-missing', message: `user.signingkey names ${parsed.path}, which KeyDock cannot read.`, fix });
      }
    } catch {
      problems.push({ code: 'signing-key-unreadable', message: `user.signingkey ("${signingKey}") is neither a key file nor a key.`, fix });
    }
  }
  if (key) fingerprint = fingerprintSha256(Buffer.from(key.blob, 'base64'));

  const agentPath = rt.env.SSH_AUTH_SOCK || null;
  let reachable = false;
  let keyLoaded = false;
  if (agentPath) {
    const probe = await probeAgent(agentPath, 3000, 5000).catch(() => null);
    reachable = !!probe?.reachable;
    if (probe && probe.listed && fingerprint) keyLoaded = probe.keys.some((k) => fingerprintSha256(k.blob) === fingerprint);
  }
  if (kind === 'literal' && !keyLoaded) {
    problems.push({
      code: 'key-not-in-agent',
      message: agentPath ? (reachable ? 'user.signingkey names the key itself, and the agent does not hold it: Git cannot sign.' : `The agent at ${agentPath} does not answer, and user.signingkey names a key only an agent can sign with.`) : 'user.signingkey names the key itself, which only works with an agent (SSH_AUTH_SOCK is not set).',
      fix: 'Load the key into your agent (keydock add FILE), or set user.signingkey to its .pub file.',
    });
  }
  if (kind === 'file' && keyFile && !keyLoaded) {
    if (!keyFile.privateKey) problems.push({ code: 'private-key-missing', message: 'Only the public key file is there and the agent does not hold the key: Git cannot sign.', fix: 'Load the key into your agent (keydock add FILE).' });
    else if (keyFile.encrypted) problems.push({ code: 'passphrase-each-time', message: 'The key file has a passphrase and is not in the agent: every signature will ask for it.', fix: 'Load the key into your agent (keydock add FILE --remember).' });
  }

  const allowedSignersFile = signersRaw ? resolve(expandTilde(signersRaw, rt.paths.home)) : null;
  let listed = false;
  if (!allowedSignersFile) problems.push({ code: 'no-allowed-signers', message: 'gpg.ssh.allowedSignersFile is not set: git log --show-signature and git verify-commit cannot check signatures.', fix });
  else if (key && email) {
    listed = await listsSigner(allowedSignersFile, key, email).catch(() => false);
    if (!listed) problems.push({ code: 'signer-not-listed', message: `${allowedSignersFile} does not list your key for ${email}.`, fix });
  }

  let proof: SigningProof = { ok: false, detail: 'not tried: signing is not set up' };
  if (newEnough && format === 'ssh' && signingKey && email && allowedSignersFile) {
    proof = await proveSigning(rt, { signingKey, email, allowedSignersFile, program });
    if (!proof.ok && !problems.some((p) => p.code !== 'signer-not-listed')) problems.push({ code: 'signing-failed', message: proof.detail, fix });
  }
  return {
    scope: scope.kind,
    repo: scope.kind === 'repo' ? scope.path : null,
    gitVersion: version,
    gitNewEnough: newEnough,
    format,
    signingKey,
    signingKeyKind: kind,
    fingerprint,
    keyFile,
    commitSign: truthy(commitSign),
    tagSign: truthy(tagSign),
    email,
    allowedSignersFile,
    allowedSignerListed: listed,
    agent: { path: agentPath, reachable, keyLoaded },
    works: proof.ok,
    detail: proof.detail,
    problems,
    signingKeyPages: signingKeyPages(),
  };
}
