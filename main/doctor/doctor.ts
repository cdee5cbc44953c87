/**
 * `keydock doctor` and the app's Doctor page: runs every check, and applies one finding's
 * fix on request (only fixes marked safe: permissions, IdentitiesOnly with a backup of the
 * config). A fix is always applied to what a fresh run finds, never to stale results.
 */
import type { DoctorFinding } from '../../shared/contract/connect';
import type { Runtime } from '../config/runtime';
import { KeyDockError } from '../util/errors';
import {
  checkAgent,
  checkConfigValid,
  checkGitSsh,
  checkHostBlocks,
  checkIdentitiesOnly,
  checkIdentityFiles,
  checkPermissions,
  checkUnloadedKeys,
  gatherFacts,
  type CheckedFinding,
  type WindowsAclAccess,
} from './checks';
import type { FixChange } from './findings';
import { checkWhichAgent } from './which-agent';

export type { FixChange } from './findings';

export interface DoctorOptions {
  /** Like ssh -F (tests). */
  configFile?: string;
  /** How the Windows permission check reads ACLs and runs icacls (tests). */
  windowsAcl?: WindowsAclAccess;
}

const SEVERITY_ORDER: Record<DoctorFinding['severity'], number> = { error: 0, warning: 1, info: 2, ok: 3 };

/** Runs all checks; findings come worst first. */
export async function runDoctor(ctx: Runtime, options: DoctorOptions = {}): Promise<CheckedFinding[]> {
  const facts = await gatherFacts(ctx, options.configFile, { windowsAcl: options.windowsAcl });
  const groups = await Promise.all([Promise.resolve(checkConfigValid(facts)), checkPermissions(facts), checkAgent(facts), checkUnloadedKeys(facts), checkHostBlocks(facts), checkIdentityFiles(facts), checkIdentitiesOnly(facts), checkGitSsh(facts), checkWhichAgent(facts)]);
  return groups.flat().sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

/** Strips the fix function so findings can cross IPC. */
export function publicFinding(f: CheckedFinding): DoctorFinding {
  const { apply: _apply, ...rest } = f;
  return rest;
}

/** Applies the fix of finding ID and returns how it looks afterwards. */
export async function applyDoctorFix(ctx: Runtime, id: string, options: DoctorOptions = {}): Promise<DoctorFinding> {
  return (await applyDoctorFixWithChanges(ctx, id, options)).finding;
}

/** Applies the fix of finding ID; returns how it looks afterwards and what was changed (file, change, backup). */
export async function applyDoctorFixWithChanges(ctx: Runtime, id: string, options: DoctorOptions = {}): Promise<{ finding: DoctorFinding; changes: FixChange[] }> {
  const before = (await runDoctor(ctx, options)).find((f) => f.id === id);
  if (!before) throw new KeyDockError('finding-gone', 'That problem is no longer found.', 'Run the doctor again to see the current state.');
  if (!before.apply) throw new KeyDockError('no-automatic-fix', `KeyDock cannot fix "${before.title}" by itself.`, before.fix ?? 'Follow the advice shown with the finding.');
  const changes = await before.apply();
  const after = (await runDoctor(ctx, options)).find((f) => f.id === id);
  return { finding: after ? publicFinding(after) : { id, severity: 'ok', title: before.title, message: 'Fixed.', fix: null, canFix: false }, changes };
}
