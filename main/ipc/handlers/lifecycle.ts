import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { lifecycleChannels } from '../../../shared/contract/lifecycle';
import type { AppContext } from '../../context';
import { checkKeyPathFromRenderer } from '../../keys/ipc-paths';
import { gitSigningStatus, setupGitSigning } from '../../lifecycle/git-signing';
import { planRotation } from '../../lifecycle/plan';
import { KeyDockError } from '../../util/errors';
import type { Handlers } from '../router';

type LifecycleHandlers = Pick<Handlers, keyof typeof lifecycleChannels>;

/** A repository folder from the window: a full path to an existing folder (Git checks the rest). */
async function checkRepoPath(path: string): Promise<string> {
  const refuse = (why: string) => new KeyDockError('repo-path-refused', why, 'Choose the folder of a Git repository.', { exitCode: 2 });
  if (!isAbsolute(path) || path.includes('\0')) throw refuse(`"${path.slice(0, 200)}" is not a full folder path.`);
  const st = await stat(path).catch(() => null);
  if (!st?.isDirectory()) throw refuse(`${path} is not a folder.`);
  return path;
}

/**
 * Key lifecycle for the window: the rotation plan (read-only: it changes nothing) and Git
 * signing. Running a rotation stays in the CLI until its window is designed.
 */
export function createLifecycleHandlers(ctx: AppContext): LifecycleHandlers {
  return {
    'lifecycle:plan-rotation': async (req) =>
      planRotation(ctx, { keyPath: await checkKeyPathFromRenderer(req.keyPath, 'private'), ...(req.type ? { type: req.type } : {}), servers: req.servers }),
    'lifecycle:git-signing-status': async (req) => gitSigningStatus(ctx, req.repo ? { repo: await checkRepoPath(req.repo) } : {}),
    'lifecycle:git-signing-setup': async (req) =>
      setupGitSigning(ctx, {
        ...(req.keyPath ? { keyPath: await checkKeyPathFromRenderer(req.keyPath, 'private-or-public') } : {}),
        ...(req.fingerprint ? { fingerprint: req.fingerprint } : {}),
        ...(req.repo ? { repo: await checkRepoPath(req.repo) } : {}),
        signCommits: req.signCommits,
        signTags: req.signTags,
        ...(req.email ? { email: req.email } : {}),
      }),
  };
}
