// Git's own configuration, read and written through the `git` command (never by editing
// .gitconfig directly: includes, conditional includes and GIT_CONFIG_GLOBAL are Git's business).
import { KeyDockError } from '../util/errors';
import { execTool, lastLine } from './exec';

/** Where a setting lives: the user's global file, or one repository's own config. */
export type GitScope = { kind: 'global' } | { kind: 'repo'; path: string };

/** SSH signing (gpg.format ssh) arrived in Git 2.34. */
export const SSH_SIGNING_MIN_GIT: readonly [number, number] = [2, 34];

function scopeArgs(scope: GitScope, write: boolean): string[] {
  if (scope.kind === 'global') return ['config', '--global'];
  return ['-C', scope.path, 'config', ...(write ? ['--local'] : [])];
}

function gitEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, GIT_TERMINAL_PROMPT: '0' };
}

/** The installed Git's version ("2.39.5"), or null when there is no git. */
export async function gitVersion(env: NodeJS.ProcessEnv): Promise<string | null> {
  try {
    const r = await execTool('git', ['--version'], { env: gitEnv(env), timeoutMs: 15_000 });
    return /git version (\d+\.\d+(?:\.\d+)?)/.exec(r.stdout)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Whether VERSION is at least MIN. */
export function versionAtLeast(version: string | null, min: readonly [number, number]): boolean {
  if (!version) return false;
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > min[0] || (a === min[0] && b >= min[1]);
}

/**
 * One setting: in a repository the value Git would use there (its own config, else the global
 * one), globally the global file's value; null when unset.
 */
export async function gitConfigGet(env: NodeJS.ProcessEnv, scope: GitScope, key: string): Promise<string | null> {
  const r = await execTool('git', [...scopeArgs(scope, false), '--get', key], { env: gitEnv(env), timeoutMs: 15_000 });
  if (r.code === 0) return r.stdout.replace(/\r?\n$/, '');
  if (r.code === 1) return null;
  throw gitFailed(`read ${key}`, r.stderr, scope);
}

/** Sets one setting in the scope's own file. */
export async function gitConfigSet(env: NodeJS.ProcessEnv, scope: GitScope, key: string, value: string): Promise<void> {
  const r = await execTool('git', [...scopeArgs(scope, true), key, value], { env: gitEnv(env), timeoutMs: 15_000 });
  if (r.code !== 0) throw gitFailed(`set ${key}`, r.stderr, scope);
}

/** Checks that PATH is inside a Git working tree (for --repo). */
export async function checkRepository(env: NodeJS.ProcessEnv, path: string): Promise<void> {
  const r = await execTool('git', ['-C', path, 'rev-parse', '--git-dir'], { env: gitEnv(env), timeoutMs: 15_000 });
  if (r.code !== 0) {
    throw new KeyDockError('not-a-repository', `${path} is not a Git repository.`, 'Give the folder of a repository (one where `git status` works), or use --global.', { exitCode: 2 });
  }
}

function gitFailed(what: string, stderr: string, scope: GitScope): KeyDockError {
  const where = scope.kind === 'global' ? 'your global Git config' : `the Git config of ${scope.path}`;
  return new KeyDockError('git-config-failed', `Git could not ${what} in ${where}: ${lastLine(stderr) || 'no reason given'}.`, 'Run the same `git config` command yourself to see what Git says.');
}

export { gitEnv };
