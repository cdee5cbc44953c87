/**
 * One key per repository or account: writes a `Host` alias that pins a dedicated key
 * (`github.com-myrepo` → HostName github.com, IdentityFile, IdentitiesOnly yes) and says
 * exactly what to do next: the public key to paste, where to paste it, the remote URL to
 * use, and what read-only vs write access means for a deployment key.
 */
import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Runtime } from '../config/runtime';
import { KeyDockError } from '../util/errors';
import { publicKeyLine, fingerprintSha256 } from '../keys/format';
import { GIT_HOST_PRESETS, type GitHostPreset } from './git-hosts';
import { inspectIdentityFile } from '../keys/identity-file';
import { addHostAlias, hostsUsingIdentityFile } from '../openssh/ssh-config-edit';
import { expandTilde } from '../openssh/ssh-config';

export interface SetupHostRequest {
  /** github, gitlab, bitbucket, or a host name. */
  provider: string;
  /** `owner/repo` for a deployment key; omit for an account key. */
  repo?: string;
  /** A label for an account key (second account, work account). */
  account?: string;
  alias?: string;
  /** Use this existing key instead of generating one. */
  keyPath?: string;
  /** Like ssh -F (tests). */
  configFile?: string;
}

/** Creates a new key at PATH and returns its public key line; supplied by the key service. */
export type KeyGenerator = (path: string, comment: string) => Promise<void>;

export interface SetupHostResult {
  alias: string;
  hostname: string;
  user: string;
  keyPath: string;
  publicKey: string;
  fingerprint: string;
  configFile: string;
  backupFile: string | null;
  remoteUrl: string | null;
  addKeyUrl: string | null;
  accessHelp: string;
  generated: boolean;
}

function presetFor(provider: string): GitHostPreset | undefined {
  const p = provider.toLowerCase();
  return GIT_HOST_PRESETS.find((x) => x.id === p || x.host === p);
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The Host alias a request gets (HOST-OWNER-REPO for a deploy key, HOST-LABEL for an account), its host and user; nothing is touched. */
export function hostAliasFor(req: Pick<SetupHostRequest, 'provider' | 'repo' | 'account' | 'alias'>): { alias: string; hostname: string; user: string; port: number | undefined; preset: GitHostPreset | undefined } {
  const preset = presetFor(req.provider);
  const hostname = preset?.host ?? req.provider.toLowerCase();
  if (!/^[a-z0-9.-]+$/.test(hostname)) {
    throw new KeyDockError('invalid-host', `"${req.provider}" is not a provider or host name.`, 'Use github, gitlab, bitbucket or a host such as git.example.com.', { exitCode: 2 });
  }
  if (req.repo !== undefined && !/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(req.repo)) {
    throw new KeyDockError('invalid-repo', `"${req.repo}" is not OWNER/REPO.`, 'Give the repository as owner/repo, e.g. octocat/hello-world.', { exitCode: 2 });
  }
  if (!req.repo && !req.account && !req.alias) {
    throw new KeyDockError('setup-target-needed', 'Say what the key is for: a repository (--repo owner/repo) or an account label (--account work).', 'A dedicated key needs a name for its Host alias.', { exitCode: 2 });
  }
  // HOST-OWNER-REPO for a deploy key (me/repo and other/repo never collide), HOST-LABEL for an account.
  const label = slug(req.repo ? req.repo.replace(/\//g, '-') : (req.account ?? ''));
  const alias = req.alias ?? `${hostname}-${label}`;
  return { alias, hostname, user: preset?.user ?? 'git', port: preset?.port, preset };
}

/** Sets up a dedicated key and Host alias for one repository or account (see the file comment). */
export async function setupHost(ctx: Runtime, req: SetupHostRequest, generate: KeyGenerator | null): Promise<SetupHostResult> {
  const { alias, hostname, user, preset } = hostAliasFor(req);

  let keyPath: string;
  let generated = false;
  if (req.keyPath) {
    keyPath = expandTilde(req.keyPath, ctx.paths.home);
    if (!isAbsolute(keyPath)) keyPath = join(process.cwd(), keyPath);
  } else {
    keyPath = join(ctx.paths.sshDir, `id_ed25519_${slug(alias)}`);
    if (await exists(keyPath)) {
      // Never point at the old file for a repository: one deploy key cannot serve two repositories.
      throw new KeyDockError(
        'file-exists',
        `${keyPath} already exists.`,
        req.repo
          ? `Choose another --alias for a new key, or remove ${keyPath} (and its Host block) if it is left over. A deploy key serves one repository only: GitHub refuses a key that is already a deploy key elsewhere.`
          : `Use it with --key ${keyPath}, or choose another --alias.`,
        { exitCode: 2 },
      );
    }
    if (!generate) {
      throw new KeyDockError('keygen-unavailable', 'This build of KeyDock cannot create keys from setup-host yet.', 'Create the key on the Keys page (or with ssh-keygen) and pass it with --key.', { exitCode: 2 });
    }
    await generate(keyPath, `${alias} (KeyDock)`);
    generated = true;
  }
  const info = await inspectIdentityFile(keyPath);
  if (!info.exists || !info.blob) {
    throw new KeyDockError('key-unreadable', `Could not read a key at ${keyPath}.`, 'Check the path; KeyDock needs the key or its .pub next to it.', { exitCode: 2 });
  }

  const configFile = req.configFile ?? join(ctx.paths.sshDir, 'config');
  if (req.repo && req.keyPath) {
    const users = await hostsUsingIdentityFile(configFile, keyPath, ctx.paths.home, alias);
    if (users.length > 0) {
      throw new KeyDockError(
        'deploy-key-reused',
        `${keyPath} is already the key of "Host ${users.join('", "Host ')}" in ${configFile}; a deploy key can open only one repository (GitHub refuses to add a key that is a deploy key elsewhere).`,
        `Run it without a key file (keydock setup-host ${req.provider} --repo ${req.repo}) to create a new key for this repository.`,
        { exitCode: 2 },
      );
    }
  }
  const edit = await addHostAlias(configFile, { alias, hostname, user, port: preset?.port, identityFile: keyPath }, { home: ctx.paths.home, env: ctx.env, platform: ctx.platform });

  const deploy = !!req.repo;
  const addKeyUrl = preset ? (deploy ? preset.deployKeyUrl.replace('{repo}', req.repo as string) : preset.addKeyUrl) : null;
  const accessHelp = deploy
    ? `${preset?.deployKeyHelp ?? 'A deployment key opens one repository; most hosts make it read-only unless you allow write access when adding it.'} Give it write access only if this machine must push.`
    : 'An account key acts as you on every repository your account can reach; use a deployment key instead for a server that needs just one repository.';
  return {
    alias,
    hostname,
    user,
    keyPath,
    publicKey: publicKeyLine(info.blob, info.comment),
    fingerprint: fingerprintSha256(info.blob),
    configFile,
    backupFile: edit.backupFile,
    remoteUrl: req.repo ? `${user}@${alias}:${req.repo}.git` : null,
    addKeyUrl,
    accessHelp,
    generated,
  };
}
