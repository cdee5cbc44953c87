// A rotation's saved state: CONFIGDIR/rotations/<id>.json (0600, written through safe-write
// after every step), so a rotation stopped at any point — Ctrl-C, a crash, SIGKILL, a wait for
// the user — can be resumed or rolled back. It holds public facts only (paths, fingerprints,
// public key lines, what each step changed); never a passphrase or a private key.
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { RotationPlan } from '../../shared/contract/lifecycle';
import { KeyDockError } from '../util/errors';
import { readUserFile, readUserFileIfExists } from '../util/read-file';
import { safeWriteFile } from '../util/safe-write';

export const StepStatus = z.enum(['pending', 'started', 'done', 'skipped', 'waiting', 'failed', 'undone']);
export type StepStatus = z.infer<typeof StepStatus>;

export const StepState = z.object({
  id: z.string(),
  title: z.string(),
  status: StepStatus,
  detail: z.string().optional(),
  /** What the step did, for the report and for undoing it. */
  data: z.record(z.string(), z.unknown()).optional(),
});
export type StepState = z.infer<typeof StepState>;

export const RotationState = z.object({
  version: z.literal(1),
  id: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: z.enum(['in-progress', 'waiting', 'failed', 'done', 'rolling-back', 'rolled-back']),
  plan: RotationPlan,
  options: z.object({ authorizedKeysFile: z.string(), configFile: z.string() }),
  newKey: z.object({ path: z.string(), publicPath: z.string(), fingerprint: z.string(), publicKey: z.string() }).nullable(),
  steps: z.array(StepState),
  /** What the user still has to do, collected as steps run. */
  todo: z.array(z.string()),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string() }).nullable().optional(),
});
export type RotationState = z.infer<typeof RotationState>;

const MAX_STATE_BYTES = 4 * 1024 * 1024;

export function rotationsDir(configDir: string): string {
  return join(configDir, 'rotations');
}

export function stateFile(configDir: string, id: string): string {
  return join(rotationsDir(configDir), `${id}.json`);
}

export async function saveState(configDir: string, state: RotationState): Promise<void> {
  state.updatedAt = new Date().toISOString();
  await safeWriteFile(stateFile(configDir, state.id), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, forceMode: true, createParents: true });
}

export async function loadState(path: string): Promise<RotationState> {
  const bytes = await readUserFile(path, { maxBytes: MAX_STATE_BYTES, what: 'rotation state file' });
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new KeyDockError('rotation-state-damaged', `${path} is not valid JSON.`, 'Move the file away to start over; nothing else was changed by reading it.', { cause: e });
  }
  const parsed = RotationState.safeParse(json);
  if (!parsed.success) throw new KeyDockError('rotation-state-damaged', `${path} is not a rotation KeyDock can read (${parsed.error.issues[0]?.message ?? 'bad content'}).`, 'Move the file away to start over.');
  return parsed.data;
}

/** Every saved rotation, newest first. */
export async function listStates(configDir: string): Promise<RotationState[]> {
  let names: string[];
  try {
    names = await readdir(rotationsDir(configDir));
  } catch {
    return [];
  }
  const out: RotationState[] = [];
  for (const n of names) {
    if (!/^[A-Za-z0-9_-]+\.json$/.test(n) || n.endsWith('.report.json')) continue;
    try {
      out.push(await loadState(join(rotationsDir(configDir), n)));
    } catch {
      // Someone else's file, or damaged: not a rotation to resume.
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process works on a rotation at a time: ROTATION.lock holds the pid of the one that does.
 * A lock left by a process that is gone (killed) is taken over at once.
 */
export async function lockRotation(configDir: string, id: string): Promise<() => Promise<void>> {
  const path = join(rotationsDir(configDir), `${id}.lock`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await safeWriteFile(path, `${process.pid}\n`, { exclusive: true, mode: 0o600, createParents: true });
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    } catch (e) {
      if (!(e instanceof KeyDockError) || e.code !== 'file-exists') throw e;
    }
    const held = Number((await readUserFileIfExists(path, { maxBytes: 64 }))?.toString('utf8').trim());
    if (Number.isInteger(held) && held > 0 && alive(held)) {
      throw new KeyDockError('rotation-running', `Another KeyDock process (pid ${held}) is working on this rotation right now.`, 'Wait for it to finish (or stop it), then try again.', { exitCode: 2 });
    }
    await unlink(path).catch(() => undefined);
  }
  throw new KeyDockError('rotation-running', 'Could not take over the lock of this rotation.', `Remove ${path} if no KeyDock process is running, then try again.`, { exitCode: 2 });
}
