import { realpath, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { RotationOutcome, RotationPlan, lifecycleChannels } from '../../../shared/contract/lifecycle';
import type { AppContext } from '../../context';
import { checkKeyPathFromRenderer } from '../../keys/ipc-paths';
import { gitSigningStatus, setupGitSigning } from '../../lifecycle/git-signing';
import { planRotation } from '../../lifecycle/plan';
import { rotateKey, type RotationIo } from '../../lifecycle/rotate';
import { listStates, type RotationState, type StepState } from '../../lifecycle/state';
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
 * The key path a saved rotation is looked up by. After the archive step the old key is no longer
 * there, so only the form is checked: the path just selects one of KeyDock's own state files.
 */
async function rotationKeyPaths(path: string): Promise<string[]> {
  if (!isAbsolute(path) || path.includes('\0')) throw new KeyDockError('key-path-refused', `"${path.slice(0, 200)}" is not a full path.`, 'Choose the key from the Keys list.', { exitCode: 2 });
  const real = await realpath(path).catch(() => null);
  return real && real !== path ? [path, real] : [path];
}

/** The unfinished rotation of one of PATHS, newest first; null when there is none. */
async function unfinishedRotation(ctx: AppContext, paths: string[]): Promise<RotationState | null> {
  const all = await listStates(ctx.paths.configDir);
  return all.find((s) => paths.includes(s.plan.oldKey.path) && s.status !== 'done' && s.status !== 'rolled-back') ?? null;
}

interface OutcomeSource {
  id: string | null;
  status: string;
  createdAt: string | null;
  plan: RotationPlan;
  steps: StepState[];
  newKey: RotationOutcome['newKey'];
  changes: RotationOutcome['changes'];
  todo: string[];
  archivedTo: string[];
  error: RotationOutcome['error'];
  reportFile: string | null;
}

/** What the window is told about a rotation: public facts only (no step data, never a passphrase). */
async function outcomeOf(ctx: AppContext, s: OutcomeSource): Promise<RotationOutcome> {
  const w = s.steps.find((x) => x.status === 'waiting' && /^githost\d+-wait$/.test(x.id));
  const host = w ? s.plan.gitHosts.find((g) => w.id.startsWith(`${g.id}-`)) : undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const o = s.plan.oldKey;
  return {
    id: s.id,
    status: s.status,
    createdAt: s.createdAt,
    steps: s.steps.map((x) => ({ id: x.id, title: x.title, status: x.status, ...(x.detail !== undefined ? { detail: x.detail } : {}) })),
    oldKey: { path: o.path, fingerprint: o.fingerprint, archivedTo: s.archivedTo },
    newKey: s.newKey,
    changes: s.changes,
    todo: s.todo,
    waiting:
      w && host
        ? { stepId: w.id, provider: host.provider, name: host.name, alias: host.alias, addKeyUrl: str(w.data?.addKeyUrl) ?? host.addKeyUrl, repo: str(w.data?.repo), account: str(w.data?.account) }
        : null,
    error: s.error,
    oldKeyNeedsPassphrase: o.encrypted && !(await ctx.remembered.isRemembered(o.fingerprint).catch(() => false)),
    reportFile: s.reportFile,
  };
}

/**
 * Key lifecycle for the window: the rotation plan (read-only), running / resuming / rolling back
 * a rotation with the same service as `keydock rotate` (main/lifecycle/rotate.ts), and Git
 * signing. The window has shown the plan before it asks to start, so the rotation's "go ahead?"
 * is answered yes; passphrases come in the request (used once, never sent back); a Git host's
 * "add the key on its page" step ends the call as waiting, and the window resumes it when the
 * user says the key is there.
 */
export function createLifecycleHandlers(ctx: AppContext): LifecycleHandlers {
  return {
    'lifecycle:plan-rotation': async (req) =>
      planRotation(ctx, {
        keyPath: await checkKeyPathFromRenderer(req.keyPath, 'private'),
        ...(req.type ? { type: req.type } : {}),
        servers: req.servers,
        skipServers: req.skipServers,
        ...(req.rememberNew !== undefined ? { rememberNew: req.rememberNew } : {}),
      }),
    'lifecycle:rotation-status': async (req) => {
      const found = await unfinishedRotation(ctx, await rotationKeyPaths(req.keyPath));
      if (!found) return { saved: null };
      const archive = found.steps.find((x) => x.id === 'archive');
      const moved = archive?.status === 'done' ? ((archive.data?.moves as Array<{ to: string }> | undefined) ?? []) : [];
      return {
        saved: await outcomeOf(ctx, {
          id: found.id,
          status: found.status,
          createdAt: found.createdAt,
          plan: found.plan,
          steps: found.steps,
          newKey: found.newKey,
          changes: [],
          todo: found.todo,
          archivedTo: moved.map((m) => m.to),
          error: found.error ?? null,
          reportFile: null,
        }),
      };
    },
    'lifecycle:rotate': async (req) => {
      let keyPath: string;
      if (req.action === 'start') keyPath = await checkKeyPathFromRenderer(req.keyPath, 'private');
      else {
        const paths = await rotationKeyPaths(req.keyPath);
        keyPath = (await unfinishedRotation(ctx, paths))?.plan.oldKey.path ?? (paths[paths.length - 1] as string);
      }
      const io: RotationIo = {
        confirm: async () => true,
        passphrase: async (which) => (which === 'new' ? (req.passphrase ?? null) : (req.oldPassphrase ?? null)),
        waitForUser: async () => false,
        progress: (message) => {
          if (req.runId) ctx.events.emit('lifecycle:rotation-progress', { runId: req.runId, message });
        },
      };
      const r = await rotateKey(
        ctx,
        {
          keyPath,
          ...(req.type ? { type: req.type } : {}),
          servers: req.servers,
          skipServers: req.skipServers,
          ...(req.rememberNew !== undefined ? { rememberNew: req.rememberNew } : {}),
          ...(req.authorizedKeysFile ? { authorizedKeysFile: req.authorizedKeysFile } : {}),
          resume: req.action === 'resume',
          rollback: req.action === 'rollback',
          yes: true,
        },
        io,
      );
      return outcomeOf(ctx, {
        id: r.id,
        status: r.status,
        createdAt: null,
        plan: r.plan,
        steps: r.steps,
        newKey: r.newKey,
        changes: r.changes,
        todo: r.todo,
        archivedTo: r.oldKey.archivedTo,
        error: null,
        reportFile: r.reportFile,
      });
    },
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
