/**
 * Key rotation: replace a key everywhere it is used, one saved step at a time.
 *
 * Order (each step's state is saved before and after it, CONFIGDIR/rotations/<id>.json):
 *  1. generate      the successor key, with a passphrase (remembered if the old one was);
 *  2. per server    add the new key to authorized_keys (logged in with the old key; the new
 *                   line takes the old line's options), log in with the new key to prove it,
 *                   then remove the old key's line(s) — never before the proof;
 *  3. per Git host  the user adds the key on the provider's page (interactive: Enter;
 *                   otherwise the rotation stops, saved, until --resume), then the connection
 *                   test runs with the new key only;
 *  4. config        IdentityFile lines point at the new key (backup kept);
 *  5. agents        the new key goes in, the old one out;
 *  6. git-signing   user.signingkey and the allowed-signers entries follow the key;
 *  7. archive       the old pair moves to ~/.ssh/keydock-archive/<date>/ (never deleted);
 *  8. forget-old, report.
 * A rotation stopped anywhere can be resumed (each step is idempotent and knows what an
 * interrupted run of itself may have left) or rolled back to the start: every step is undone
 * in reverse order from what it saved (config from its backup, the key pair from the archive,
 * the old authorized_keys lines put back exactly, the new one removed when the old key still
 * opens the server, …). Whatever cannot be undone safely is listed for the user instead.
 *
 * Test hook: KEYDOCK_TEST_STOP_AFTER=<step id> (or `<step id>:started`, `undo-<step id>`)
 * makes the process SIGKILL itself right after that step was saved, as a crash would.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RotationPlan } from '../../shared/contract/lifecycle';
import { runConnectionTest } from '../connect/tester';
import { GIT_HOST_PRESETS } from '../connect/git-hosts';
import { parseTarget } from '../connect/target';
import { fingerprintSha256, parsePublicKeyLine } from '../keys/format';
import { generateKeyFiles } from '../keys/generate';
import { loadPrivateKeyFile } from '../keys/load';
import type { PassphraseProvider, PrivateKey } from '../keys/types';
import { expandTilde, resolveSshConfig } from '../openssh/ssh-config';
import { quoteConfigValue } from '../openssh/ssh-config-parse';
import { KeyDockError, toAppError } from '../util/errors';
import { safeWriteFile } from '../util/safe-write';
import { addSignerLine, removeSignerLine, signerEntries, successorEntry } from './allowed-signers';
import { planArchive, moveFiles, restoreFiles, type MovedFile } from './archive';
import { ADD_COMMAND, REMOVE_COMMAND, addInput, keyRefOf, parseAddOutput, parseRemoveOutput, removeInput, type KeyRef, type NumberedLine } from './authorized-keys';
import { findConfigUsages, rewriteConfigFile, styledPath, undoConfigEdit, type FileEdit } from './config-usage';
import { lastLine } from './exec';
import { gitConfigGet, gitConfigSet, gitVersion } from './git';
import { literalSigningKey, parseSigningKeyValue } from './git-signing';
import { planRotation, type LifecycleRuntime, type PlanRequest } from './plan';
import { describeFailure, identityFileFor, isSshFailure, resolveRemote, runRemote, type LoginKey, type RemoteHost } from './remote';
import { renderReport, type RotationReport } from './render';
import { listStates, loadState, lockRotation, rotationsDir, saveState, stateFile, type RotationState, type StepState } from './state';
import { OneKeyAgents } from './temp-agent';

/** How the rotation talks to the person running it (the CLI's terminal, or nobody). */
export interface RotationIo {
  /** Shows the plan; true = go ahead. */
  confirm(plan: RotationPlan): Promise<boolean>;
  /** A passphrase: 'create' for the new key (asked twice at a terminal), 'unlock' to open one; null when none can be had. */
  passphrase(which: 'new' | 'old', purpose: 'create' | 'unlock'): Promise<string | null>;
  /** Interactive: shows MESSAGE and waits for Enter (true). Otherwise returns false at once: the rotation stops, saved. */
  waitForUser(message: string): Promise<boolean>;
  progress(message: string): void;
}

export interface RotateRequest extends PlanRequest {
  dryRun?: boolean;
  resume?: boolean;
  rollback?: boolean;
  yes?: boolean;
  /** authorized_keys on the servers, relative to the account's home unless absolute. */
  authorizedKeysFile?: string;
}


export interface RotationResult extends RotationReport {
  mode: 'dry-run' | 'cancelled' | 'rotate' | 'rollback';
  plan: RotationPlan;
  steps: StepState[];
}

export const DEFAULT_AUTHORIZED_KEYS = '.ssh/authorized_keys';

type StepOutcome = { status: 'done' | 'skipped' | 'waiting'; detail?: string; data?: Record<string, unknown> };

function newRotationId(plan: RotationPlan): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const fp = plan.oldKey.fingerprint.replace(/^SHA256:/, '').replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  return `${t}-${fp}`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Finds the saved rotation of KEYPATH to resume or roll back. */
async function findRotation(rt: LifecycleRuntime, keyPath: string, forRollback: boolean): Promise<RotationState> {
  const all = (await listStates(rt.paths.configDir)).filter((s) => s.plan.oldKey.path === keyPath);
  const open = all.filter((s) => (forRollback ? s.status !== 'rolled-back' : s.status !== 'done' && s.status !== 'rolled-back' && s.status !== 'rolling-back'));
  const found = open[0];
  if (found) return found;
  if (!forRollback && all[0]?.status === 'rolling-back') {
    throw new KeyDockError('rotation-rolling-back', `The last rotation of ${keyPath} was being rolled back.`, `Finish that with keydock rotate ${keyPath} --rollback.`, { exitCode: 2 });
  }
  throw new KeyDockError(
    'rotation-not-found',
    all[0] ? `The last rotation of ${keyPath} is already ${all[0].status}; there is nothing to ${forRollback ? 'roll back' : 'resume'}.` : `KeyDock has no saved rotation of ${keyPath}.`,
    forRollback ? 'Nothing to undo.' : `Start one with keydock rotate ${keyPath}.`,
    { exitCode: 2 },
  );
}

/** --resume --skip-server NAME: the server's steps not done yet are skipped, and the user told what is left. */
function skipServers(state: RotationState, names: string[]): void {
  for (const server of state.plan.servers.filter((s) => names.includes(s.label) || names.includes(s.alias))) {
    let skipped = false;
    for (const s of state.steps) {
      if (!s.id.startsWith(`${server.id}-`) || s.status === 'done' || s.status === 'skipped') continue;
      Object.assign(s, { status: 'skipped', detail: 'left out with --skip-server' });
      skipped = true;
    }
    const text = `${server.label}: left out (--skip-server); add the new key there yourself and remove the old one.`;
    if (skipped && !state.todo.includes(text)) state.todo.push(text);
  }
}

/** Runs, resumes or rolls back a rotation (see the file comment). */
export async function rotateKey(rt: LifecycleRuntime, req: RotateRequest, io: RotationIo): Promise<RotationResult> {
  const keyPath = resolve(expandTilde(req.keyPath, rt.paths.home));
  if (req.resume || req.rollback) {
    const found = await findRotation(rt, keyPath, !!req.rollback);
    return withRotation(rt, found, io, (r) => (req.rollback ? r.rollback() : r.run()), req.rollback ? 'rollback' : 'rotate', (s) => {
      if (req.resume) skipServers(s, req.skipServers ?? []);
    });
  }
  const unfinished = (await listStates(rt.paths.configDir)).find((s) => s.plan.oldKey.path === keyPath && s.status !== 'done' && s.status !== 'rolled-back');
  if (unfinished && !req.dryRun) {
    throw new KeyDockError('rotation-unfinished', `A rotation of ${keyPath} (${unfinished.id}) is not finished (${unfinished.status}).`, `Continue it with --resume, or undo it with --rollback.`, { exitCode: 2 });
  }
  const plan = await planRotation(rt, { ...req, keyPath });
  const empty = { oldKey: { path: plan.oldKey.path, fingerprint: plan.oldKey.fingerprint, archivedTo: [] }, newKey: null, changes: [], todo: [], waitingFor: null, stateFile: null, reportFile: null };
  if (req.dryRun) return { mode: 'dry-run', status: 'planned', id: null, plan, steps: [], ...empty, todo: plan.notes };
  if (!req.yes && !(await io.confirm(plan))) return { mode: 'cancelled', status: 'cancelled', id: null, plan, steps: [], ...empty };
  const now = new Date().toISOString();
  const state: RotationState = {
    version: 1,
    id: newRotationId(plan),
    createdAt: now,
    updatedAt: now,
    status: 'in-progress',
    plan,
    options: { authorizedKeysFile: req.authorizedKeysFile ?? DEFAULT_AUTHORIZED_KEYS, configFile: req.configFile ?? join(rt.paths.sshDir, 'config') },
    newKey: null,
    steps: plan.steps.map((s) => ({ id: s.id, title: s.title, status: 'pending' })),
    todo: [],
    error: null,
  };
  return withRotation(rt, state, io, (r) => r.run(), 'rotate');
}

async function withRotation(
  rt: LifecycleRuntime,
  found: RotationState,
  io: RotationIo,
  body: (r: Rotation) => Promise<void>,
  mode: 'rotate' | 'rollback',
  prepare: (s: RotationState) => void = () => undefined,
): Promise<RotationResult> {
  const unlock = await lockRotation(rt.paths.configDir, found.id);
  let r: Rotation | null = null;
  try {
    // Read again under the lock: another process may have moved it on since it was found.
    const state = await loadState(stateFile(rt.paths.configDir, found.id)).catch(() => found);
    prepare(state);
    r = new Rotation(rt, state, io);
    await r.save();
    await body(r);
    return await r.result(mode);
  } finally {
    await r?.dispose();
    await unlock();
  }
}

class Rotation {
  private readonly agents: OneKeyAgents;
  private readonly pass: { new: string | null; old: string | null } = { new: null, old: null };
  private waitingFor: string | null = null;

  constructor(
    private readonly rt: LifecycleRuntime,
    readonly state: RotationState,
    private readonly io: RotationIo,
  ) {
    this.agents = new OneKeyAgents(rt.env);
  }

  get plan(): RotationPlan {
    return this.state.plan;
  }

  async save(): Promise<void> {
    await saveState(this.rt.paths.configDir, this.state);
  }

  async dispose(): Promise<void> {
    await this.agents.stop();
  }

  private hook(name: string): void {
    if (this.rt.env.KEYDOCK_TEST_STOP_AFTER === name) process.kill(process.pid, 'SIGKILL');
  }

  private todo(text: string): void {
    if (!this.state.todo.includes(text)) this.state.todo.push(text);
  }

  // ---- keys and logins ----

  private get oldRef(): KeyRef {
    return keyRefOf(this.plan.oldKey.publicKey);
  }

  private get newRef(): KeyRef {
    if (!this.state.newKey) throw new KeyDockError('rotation-state-damaged', 'The new key is not recorded in this rotation.', 'Roll it back with --rollback.');
    return keyRefOf(this.state.newKey.publicKey);
  }

  private provider(which: 'new' | 'old', fingerprint: string): PassphraseProvider {
    let sessionTried = false;
    const fallback: PassphraseProvider = async () => {
      const known = this.pass[which];
      if (!sessionTried && known !== null) {
        sessionTried = true;
        return known;
      }
      const p = await this.io.passphrase(which, 'unlock');
      if (p !== null) this.pass[which] = p;
      return p;
    };
    return this.rt.remembered.passphraseProvider(fingerprint, fallback, () => undefined);
  }

  private loadNew(): Promise<PrivateKey> {
    const k = this.state.newKey;
    if (!k) throw new KeyDockError('rotation-state-damaged', 'The new key is not recorded in this rotation.', 'Roll it back with --rollback.');
    return loadPrivateKeyFile(k.path, this.provider('new', k.fingerprint), { certificate: false });
  }

  private async newLogin(): Promise<LoginKey> {
    const k = this.state.newKey;
    if (!k) throw new KeyDockError('rotation-state-damaged', 'The new key is not recorded in this rotation.', 'Roll it back with --rollback.');
    const agent = await this.agents.socketFor('new', () => this.loadNew());
    return { file: identityFileFor(k.path, k.publicPath, true), agent };
  }

  /** Where the old private key is now: its own path, or the archive while it sits there. */
  private oldKeyFile(): string {
    const moved = (this.step('archive')?.data?.moves as MovedFile[] | undefined) ?? [];
    const p = this.plan.oldKey.path;
    if (existsSync(p)) return p;
    return moved.find((m) => m.from === p && existsSync(m.to))?.to ?? p;
  }

  /** The old key: from the agent that holds it, else its file (passphrase from the keychain, stdin or the terminal). */
  private async oldLogin(): Promise<LoginKey> {
    const o = this.plan.oldKey;
    try {
      const list = await this.rt.agents.list();
      if (list.identities.some((i) => i.fingerprint === o.fingerprint)) {
        return { file: identityFileFor(o.path, o.publicPath, true), agent: list.agent.path };
      }
    } catch {
      // No agent: the file below.
    }
    const file = this.oldKeyFile();
    const agent = await this.agents.socketFor('old', () => loadPrivateKeyFile(file, this.provider('old', o.fingerprint), { certificate: false }));
    const pub = existsSync(`${file}.pub`) ? `${file}.pub` : null;
    return { file: identityFileFor(file, pub, true), agent };
  }

  private async remote(server: RotationPlan['servers'][number]): Promise<RemoteHost> {
    const cf = this.customConfig().configFile;
    if (server.source === 'option') {
      const t = parseTarget(server.label);
      return resolveRemote(this.rt, server.label, { host: t.host, ...(t.user ? { user: t.user } : {}), ...(t.port ? { port: t.port } : {}) }, cf);
    }
    return resolveRemote(this.rt, server.label, { host: server.alias }, cf);
  }

  /** The -F file of this rotation, when it is not ~/.ssh/config. */
  private customConfig(): { configFile?: string } {
    const f = this.state.options.configFile;
    return f === join(this.rt.paths.sshDir, 'config') ? {} : { configFile: f };
  }

  private step(id: string): StepState | undefined {
    return this.state.steps.find((s) => s.id === id);
  }

  // ---- running ----

  async run(): Promise<void> {
    if (this.state.status === 'done') return;
    this.state.status = 'in-progress';
    this.state.error = null;
    await this.save();
    for (const s of this.state.steps) {
      if (s.status === 'done' || s.status === 'skipped' || s.status === 'undone') continue;
      const again = s.status !== 'pending';
      const wasWaiting = s.status === 'waiting';
      s.status = 'started';
      await this.save();
      this.hook(`${s.id}:started`);
      this.io.progress(s.title);
      let r: StepOutcome;
      try {
        r = await this.exec(s, again, wasWaiting);
      } catch (e) {
        s.status = 'failed';
        s.detail = message(e);
        this.state.status = 'failed';
        this.state.error = toAppError(e);
        await this.save();
        throw e;
      }
      s.status = r.status;
      if (r.detail !== undefined) s.detail = r.detail;
      if (r.data) s.data = { ...(s.data ?? {}), ...r.data };
      if (r.status === 'waiting') {
        this.state.status = 'waiting';
        await this.save();
        return;
      }
      await this.save();
      this.hook(s.id);
    }
    this.state.status = 'done';
    await this.save();
  }

  private exec(s: StepState, again: boolean, wasWaiting: boolean): Promise<StepOutcome> {
    const m = /^(server\d+|githost\d+)-(.+)$/.exec(s.id);
    if (m) {
      const which = m[1] as string;
      const action = m[2] as string;
      if (which.startsWith('server')) {
        const server = this.plan.servers.find((x) => x.id === which);
        if (!server) throw new KeyDockError('rotation-state-damaged', `Step ${s.id} names no server of the plan.`, 'Roll it back with --rollback.');
        if (action === 'add') return this.serverAdd(server);
        if (action === 'prove') return this.serverProve(server);
        return this.serverRemoveOld(server, s);
      }
      const host = this.plan.gitHosts.find((x) => x.id === which);
      if (!host) throw new KeyDockError('rotation-state-damaged', `Step ${s.id} names no Git host of the plan.`, 'Roll it back with --rollback.');
      return action === 'wait' ? this.gitHostWait(host, s, wasWaiting) : this.gitHostTest(host);
    }
    switch (s.id) {
      case 'generate':
        return this.generate(again);
      case 'remember':
        return this.remember();
      case 'config':
        return this.config(s);
      case 'agents':
        return this.swapAgents();
      case 'git-signing':
        return this.gitSigning(s);
      case 'archive':
        return this.archive(s);
      case 'forget-old':
        return this.forgetOld();
      case 'report':
        return this.writeReport();
      default:
        throw new KeyDockError('rotation-state-damaged', `Unknown step ${s.id}.`, 'Roll it back with --rollback.');
    }
  }

  private async generate(again: boolean): Promise<StepOutcome> {
    const p = this.plan.newKey;
    if (this.state.newKey) return { status: 'done' };
    if (again && existsSync(p.path) && existsSync(p.publicPath)) {
      // Made by the run that was stopped before it could note it.
      const line = (await readFile(p.publicPath, 'utf8')).trim();
      const parsed = parsePublicKeyLine(line);
      this.state.newKey = { path: p.path, publicPath: p.publicPath, fingerprint: fingerprintSha256(parsed.blob), publicKey: line };
      return { status: 'done', detail: 'made by the interrupted run' };
    }
    const pass = await this.io.passphrase('new', 'create');
    if (pass === null) {
      throw new KeyDockError('passphrase-required', 'The new key needs a passphrase, and there is no terminal to ask on.', 'Run keydock rotate at a terminal, or pipe the passphrase in with --passphrase-stdin.', { exitCode: 2 });
    }
    if (pass === '') throw new KeyDockError('passphrase-empty', 'The new key needs a passphrase; an empty one leaves it readable by anyone who copies the file.', 'Choose a passphrase (KeyDock can remember it in your keychain).', { exitCode: 2 });
    this.pass.new = pass;
    const g = await generateKeyFiles({
      path: p.path,
      type: p.type,
      ...(p.type === 'ed25519' ? {} : { bits: p.bits }),
      comment: p.comment,
      passphrase: pass,
      createParents: false,
    });
    this.state.newKey = { path: g.path, publicPath: g.publicPath, fingerprint: g.fingerprint, publicKey: g.publicKey };
    return { status: 'done', detail: g.fingerprint };
  }

  private async remember(): Promise<StepOutcome> {
    const k = this.state.newKey as NonNullable<RotationState['newKey']>;
    if (await this.rt.remembered.isRemembered(k.fingerprint)) return { status: 'done', data: { remembered: true } };
    const pass = this.pass.new ?? (await this.io.passphrase('new', 'unlock'));
    if (pass === null) {
      this.todo(`Remember the new key's passphrase: keydock add ${k.path} --remember`);
      return { status: 'skipped', detail: 'no passphrase at hand' };
    }
    // Only a passphrase that opens the key is worth remembering.
    const key = await loadPrivateKeyFile(k.path, async () => pass, { certificate: false, maxAttempts: 1 });
    try {
      await this.rt.remembered.remember({ path: k.path, fingerprint: k.fingerprint, comment: key.comment }, pass);
    } catch (e) {
      this.todo(`Remember the new key's passphrase: keydock add ${k.path} --remember (the keychain said: ${message(e)})`);
      return { status: 'skipped', detail: message(e) };
    }
    return { status: 'done', data: { remembered: true } };
  }

  private skipRest(serverId: string, why: string): void {
    for (const s of this.state.steps) if (s.id.startsWith(`${serverId}-`) && s.status === 'pending') Object.assign(s, { status: 'skipped', detail: why });
  }

  private async serverAdd(server: RotationPlan['servers'][number]): Promise<StepOutcome> {
    const host = await this.remote(server);
    const login = await this.oldLogin();
    const k = this.state.newKey as NonNullable<RotationState['newKey']>;
    const file = this.state.options.authorizedKeysFile;
    const r = await runRemote(this.rt, host, login, ADD_COMMAND, addInput(file, this.newRef, k.publicKey, this.oldRef));
    if (isSshFailure(r)) {
      const why = describeFailure(host, r);
      if (!/refused the key/.test(why)) throw new KeyDockError('server-unreachable', `Could not log in to ${server.label} with the old key: ${why}.`, `Fix that and run keydock rotate ${this.plan.oldKey.path} --resume; to leave this server out, add --skip-server ${server.alias}; or undo everything with --rollback.`);
      this.skipRest(server.id, 'the old key does not open this server');
      this.todo(`${server.label}: the old key does not open it (${why}); if the new key should, add it there yourself: ${k.publicKey}`);
      return { status: 'skipped', detail: why };
    }
    const out = parseAddOutput(r.stdout);
    if (!out || r.code !== 0) {
      this.skipRest(server.id, 'KeyDock could not change authorized_keys there');
      this.todo(`${server.label}: KeyDock's command did not run there (${lastLine(r.stderr) || 'a forced command on the old key?'}); add the new key to ${file} yourself and remove the old one: ${k.publicKey}`);
      return { status: 'skipped', detail: lastLine(r.stderr) || `exit ${r.code}` };
    }
    return { status: 'done', detail: out.kind === 'added' ? `added: ${out.line}` : 'the new key was already there', data: { added: out.kind === 'added', line: out.kind === 'added' ? out.line : null, oldLines: out.oldLines, file } };
  }

  private async serverProve(server: RotationPlan['servers'][number]): Promise<StepOutcome> {
    const host = await this.remote(server);
    const r = await runRemote(this.rt, host, await this.newLogin(), 'true');
    // Any exit but ssh's own 255 means the login worked (a forced command may answer otherwise).
    if (isSshFailure(r)) {
      throw new KeyDockError(
        'new-key-refused',
        `${server.label} does not let the new key in: ${describeFailure(host, r)}.`,
        `The old key was left in place. Check where the server reads authorized_keys (--authorized-keys-file), then --resume; or undo with --rollback.`,
      );
    }
    return { status: 'done', detail: 'the new key logs in' };
  }

  private async serverRemoveOld(server: RotationPlan['servers'][number], s: StepState): Promise<StepOutcome> {
    const host = await this.remote(server);
    const file = this.state.options.authorizedKeysFile;
    const r = await runRemote(this.rt, host, await this.newLogin(), REMOVE_COMMAND, removeInput(file, this.oldRef));
    if (isSshFailure(r)) throw new KeyDockError('new-key-refused', `${server.label} no longer lets the new key in: ${describeFailure(host, r)}.`, 'Nothing was removed. Check the server, then --resume.');
    const out = parseRemoveOutput(r.stdout);
    if (!out || r.code !== 0) {
      this.todo(`${server.label}: remove the old key's line from ${file} yourself (KeyDock's command did not run: ${lastLine(r.stderr) || `exit ${r.code}`}).`);
      return { status: 'skipped', detail: lastLine(r.stderr) || `exit ${r.code}` };
    }
    const removed = out.kind === 'removed' ? out.lines : ((s.data?.removed as NumberedLine[] | undefined) ?? []);
    // Does the old key still get in (another authorized_keys file, a line KeyDock cannot match)?
    let stillOpens = false;
    try {
      const check = await runRemote(this.rt, host, await this.oldLogin(), 'true');
      stillOpens = !isSshFailure(check);
    } catch {
      stillOpens = false;
    }
    if (stillOpens) this.todo(`${server.label}: the old key still logs in after its line was removed from ${file} (another authorized_keys file or a line KeyDock could not match); remove it there yourself.`);
    return { status: 'done', detail: `${removed.length} line(s) removed`, data: { removed, stillOpens } };
  }

  private gitHostPages(host: RotationPlan['gitHosts'][number], repo: string | null): { add: string; list: string } {
    if (repo) {
      const add = host.deployKeyUrl.replace('{repo}', repo);
      return { add, list: add.replace(/\/new$/, '') };
    }
    return { add: host.addKeyUrl, list: host.addKeyUrl.replace(/\/ssh\/new$/, '/keys') };
  }

  private async gitHostWait(host: RotationPlan['gitHosts'][number], s: StepState, wasWaiting: boolean): Promise<StepOutcome> {
    if (wasWaiting) return { status: 'done', detail: 'you came back with --resume' };
    // Which account (or repository, for a deploy key) does the old key open there?
    let account: string | null = (s.data?.account as string | null | undefined) ?? null;
    let repo: string | null = (s.data?.repo as string | null | undefined) ?? null;
    if (s.data?.account === undefined) {
      try {
        const report = await runConnectionTest(this.rt, host.alias, this.customConfig());
        account = report.account;
        repo = report.deployKeyRepo ?? null;
      } catch {
        // Unknown: the account page is shown.
      }
    }
    const pages = this.gitHostPages(host, repo);
    const k = this.state.newKey as NonNullable<RotationState['newKey']>;
    const text = [
      `Add the new key to ${host.name}${repo ? ` as a deploy key of ${repo}` : account ? ` (account ${account})` : ''}:`,
      `  ${pages.add}`,
      `  ${k.publicKey}`,
    ].join('\n');
    const data = { account, repo, addKeyUrl: pages.add, removeKeyUrl: pages.list };
    if (await this.io.waitForUser(`${text}\nPress Enter once it is added.`)) return { status: 'done', data };
    this.waitingFor = `${text}\nThen run: keydock rotate ${this.plan.oldKey.path} --resume`;
    return { status: 'waiting', detail: `waiting for you to add the key at ${pages.add}`, data };
  }

  private async gitHostTest(host: RotationPlan['gitHosts'][number]): Promise<StepOutcome> {
    const k = this.state.newKey as NonNullable<RotationState['newKey']>;
    const wait = this.step(`${host.id}-wait`)?.data ?? {};
    const r = await resolveSshConfig(host.alias, { home: this.rt.paths.home, env: this.rt.env, platform: this.rt.platform, ...this.customConfig() });
    const agent = await this.agents.socketFor('new', () => this.loadNew());
    const dir = await mkdtemp(join(tmpdir(), 'keydock-rotate-test-'));
    const q = quoteConfigValue;
    const cfg = join(dir, 'ssh_config');
    await writeFile(
      cfg,
      [
        `Host ${host.alias}`,
        `  HostName ${r.hostname}`,
        `  Port ${r.port}`,
        ...(r.sources.user ? [`  User ${q(r.user)}`] : []),
        `  IdentityFile ${q(k.path)}`,
        '  IdentitiesOnly yes',
        `  IdentityAgent ${q(agent)}`,
        `  UserKnownHostsFile ${r.userKnownHostsFiles.map(q).join(' ') || '/dev/null'}`,
        `  GlobalKnownHostsFile ${r.globalKnownHostsFiles.map(q).join(' ') || '/dev/null'}`,
        ...(r.hostKeyAlias ? [`  HostKeyAlias ${q(r.hostKeyAlias)}`] : []),
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    try {
      for (let attempt = 0; ; attempt++) {
        const report = await runConnectionTest(this.rt, host.alias, { configFile: cfg });
        const accepted = report.ok && report.acceptedKey?.fingerprint === k.fingerprint;
        if (accepted) {
          const list = (wait.removeKeyUrl as string | undefined) ?? this.gitHostPages(host, null).list;
          this.todo(`${host.name} (${host.alias}): the new key works; remove the old key ${this.plan.oldKey.fingerprint} at ${list}`);
          return { status: 'done', detail: `the new key works${report.account ? ` (${report.account})` : ''}`, data: { account: report.account } };
        }
        const why = report.diagnosis?.message ?? 'the connection test failed';
        if (attempt < 2 && (await this.io.waitForUser(`${host.name} does not accept the new key yet: ${why}\nAdd it at ${(wait.addKeyUrl as string | undefined) ?? host.addKeyUrl}, then press Enter to test again.`))) continue;
        throw new KeyDockError('new-key-not-accepted', `${host.name} (${host.alias}) does not accept the new key yet: ${why}`, `Add it at ${(wait.addKeyUrl as string | undefined) ?? host.addKeyUrl}, then run keydock rotate ${this.plan.oldKey.path} --resume.`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async config(s: StepState): Promise<StepOutcome> {
    const k = this.state.newKey as NonNullable<RotationState['newKey']>;
    const from = { privatePath: this.plan.oldKey.path, publicPath: `${this.plan.oldKey.path}.pub` };
    const to = { privatePath: k.path, publicPath: k.publicPath };
    const opts = { home: this.rt.paths.home, env: this.rt.env };
    const edits: FileEdit[] = [...((s.data?.edits as FileEdit[] | undefined) ?? [])];
    const found = await findConfigUsages(this.state.options.configFile, from, opts);
    const files = [...new Set(found.usages.map((u) => u.file))];
    for (const file of files) {
      const edit = await rewriteConfigFile(file, from, to, {
        ...opts,
        beforeWrite: async (e) => {
          // Saved before the file is written: a stop right after the write can still be undone.
          edits.push(e);
          s.data = { ...(s.data ?? {}), edits };
          await this.save();
        },
      });
      if (edit) {
        edits[edits.length - 1] = edit;
        s.data = { ...(s.data ?? {}), edits };
        await this.save();
      }
    }
    // Checked the way ssh reads it: every host that used the old key now uses the new one.
    const hosts = [...new Set(this.plan.configLines.flatMap((l) => l.hosts))];
    const resolveOpts = { home: this.rt.paths.home, env: this.rt.env, platform: this.rt.platform, ...this.customConfig() };
    for (const alias of hosts) {
      const r = await resolveSshConfig(alias, resolveOpts);
      const ids = r.identityFiles.map((f) => resolve(f));
      if (ids.includes(from.privatePath) || ids.includes(from.publicPath)) {
        throw new KeyDockError('ssh-config-edit-ineffective', `After the edit, ssh would still use the old key for ${alias}.`, `Check the IdentityFile lines for ${alias} (the previous files are kept as *.keydock-backup), then --resume.`);
      }
    }
    return { status: 'done', detail: `${edits.reduce((n, e) => n + e.edits.length, 0)} line(s) in ${edits.length} file(s)`, data: { edits } };
  }

  private async swapAgents(): Promise<StepOutcome> {
    const k = this.state.newKey as NonNullable<RotationState['newKey']>;
    const done: Array<{ agentId: string; added: boolean; removedOld: boolean }> = [];
    for (const a of this.plan.agents) {
      let added = false;
      try {
        await this.rt.agents.addFile(k.path, { passphrase: this.provider('new', k.fingerprint), keychain: false }, a.agentId);
        added = true;
      } catch (e) {
        this.todo(`Load the new key into ${a.label}: keydock add ${k.path} (${message(e)})`);
      }
      let removedOld = false;
      try {
        await this.rt.agents.remove([{ fingerprint: this.plan.oldKey.fingerprint }], a.agentId);
        removedOld = true;
      } catch (e) {
        if (!(e instanceof KeyDockError && e.code === 'key-not-loaded')) this.todo(`Remove the old key from ${a.label}: keydock remove ${this.plan.oldKey.fingerprint} (${message(e)})`);
      }
      done.push({ agentId: a.agentId, added, removedOld });
    }
    return { status: 'done', data: { agents: done } };
  }

  private async gitSigning(s: StepState): Promise<StepOutcome> {
    const gs = this.plan.gitSigning;
    const k = this.state.newKey as NonNullable<RotationState['newKey']>;
    if (!gs) return { status: 'skipped' };
    const scope = { kind: 'global' } as const;
    const current = await gitConfigGet(this.rt.env, scope, 'user.signingkey');
    const before = (s.data?.before as string | undefined) ?? current;
    let after = s.data?.after as string | undefined;
    if (after === undefined) {
      if (current === null) return { status: 'skipped', detail: 'user.signingkey is no longer set' };
      const parsed = parseSigningKeyValue(current, this.rt.paths.home);
      if (parsed.kind === 'literal') {
        if (parsed.key.blob !== this.oldRef.blob) return { status: 'skipped', detail: 'user.signingkey changed since the plan' };
        after = literalSigningKey(this.newRef, await gitVersion(this.rt.env));
      } else {
        if (parsed.path !== this.plan.oldKey.path && parsed.path !== `${this.plan.oldKey.path}.pub`) return { status: 'skipped', detail: 'user.signingkey changed since the plan' };
        after = styledPath(current.trim(), parsed.path.endsWith('.pub') ? k.publicPath : k.path, this.rt.paths.home);
      }
    }
    const signersFile = gs.allowedSignersFile;
    const planned = (s.data?.signerLines as string[] | undefined) ?? (signersFile ? (await signerEntries(signersFile, this.oldRef)).map((l) => successorEntry(l, this.oldRef, this.newRef)).filter((l): l is string => l !== null) : []);
    s.data = { ...(s.data ?? {}), before, after, signerLines: planned };
    await this.save();
    if (current !== after) await gitConfigSet(this.rt.env, scope, 'user.signingkey', after);
    for (const line of planned) await addSignerLine(signersFile as string, line);
    if (planned.length === 0 && signersFile === null) this.todo('Git signatures made with the new key can be checked locally once it is in an allowed-signers file: keydock git-signing setup');
    this.todo(`Add the new key as a signing key on your Git host (GitHub: Key type "Signing Key"): ${GIT_HOST_PRESETS.map((p) => p.addKeyUrl).join(' , ')}`);
    return { status: 'done', detail: `user.signingkey → ${after}` };
  }

  private async archive(s: StepState): Promise<StepOutcome> {
    const o = this.plan.oldKey;
    let moves = s.data?.moves as MovedFile[] | undefined;
    if (!moves) {
      moves = await planArchive(o.path, o.publicPath, this.plan.archiveDir);
      s.data = { ...(s.data ?? {}), moves };
      await this.save();
    }
    const done = await moveFiles(moves, o.path);
    return { status: 'done', detail: done.map((m) => m.to).join(', '), data: { moves } };
  }

  private async forgetOld(): Promise<StepOutcome> {
    const r = await this.rt.remembered.forget(this.plan.oldKey.fingerprint);
    return { status: 'done', data: { forgotten: r.removed } };
  }

  private async writeReport(): Promise<StepOutcome> {
    const report = this.report('done');
    const dir = rotationsDir(this.rt.paths.configDir);
    await safeWriteFile(join(dir, `${this.state.id}.report.json`), `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600, forceMode: true, createParents: true });
    await safeWriteFile(join(dir, `${this.state.id}.report.txt`), `${renderReport(report)}\n`, { mode: 0o600, forceMode: true, createParents: true });
    return { status: 'done' };
  }

  // ---- rolling back ----

  async rollback(): Promise<void> {
    this.state.status = 'rolling-back';
    await this.save();
    for (const s of [...this.state.steps].reverse()) {
      if (s.status === 'pending' || s.status === 'skipped' || s.status === 'undone') continue;
      this.io.progress(`Undo: ${s.title}`);
      try {
        const detail = await this.undo(s);
        s.status = 'undone';
        s.detail = detail;
      } catch (e) {
        s.detail = `could not be undone: ${message(e)}`;
        this.todo(`Undo by hand: ${s.title} (${message(e)})`);
        s.status = 'undone';
      }
      await this.save();
      this.hook(`undo-${s.id}`);
    }
    this.state.status = 'rolled-back';
    this.state.error = null;
    await this.save();
  }

  private async undo(s: StepState): Promise<string> {
    const m = /^(server\d+|githost\d+)-(.+)$/.exec(s.id);
    if (m) {
      const which = m[1] as string;
      const action = m[2] as string;
      if (which.startsWith('githost')) {
        const host = this.plan.gitHosts.find((x) => x.id === which);
        if (host && action === 'wait') this.todo(`${host.name}: if you added the new key ${this.state.newKey?.fingerprint ?? ''} at ${(s.data?.addKeyUrl as string | undefined) ?? host.addKeyUrl}, remove it there.`);
        return 'nothing to undo here';
      }
      const server = this.plan.servers.find((x) => x.id === which);
      if (!server) return 'nothing to undo here';
      if (action === 'prove') return 'nothing to undo here';
      const host = await this.remote(server);
      const file = (this.step(`${which}-add`)?.data?.file as string | undefined) ?? this.state.options.authorizedKeysFile;
      if (action === 'remove-old') {
        const lines = (s.data?.removed as NumberedLine[] | undefined) ?? (this.step(`${which}-add`)?.data?.oldLines as NumberedLine[] | undefined) ?? [];
        if (lines.length === 0) return 'no old line to put back';
        const login = await this.newLogin();
        // In their old places, first line first, so the file reads as it did.
        for (const l of [...lines].sort((a, b) => a.n - b.n)) {
          const r = await runRemote(this.rt, host, login, ADD_COMMAND, addInput(file, null, l.line, null, l.n));
          if (isSshFailure(r) || !parseAddOutput(r.stdout)) throw new KeyDockError('rollback-failed', `Could not put the old key's line back on ${server.label}: ${describeFailure(host, r)}`, `Add this line to ${file} there yourself: ${l.line}`);
        }
        return `${lines.length} old line(s) put back`;
      }
      // add: the new key goes only when the old key still opens the server (no lockout).
      if (!this.state.newKey) return 'no new key';
      let login: LoginKey;
      try {
        login = await this.oldLogin();
      } catch (e) {
        this.todo(`${server.label}: remove the new key's line from ${file} yourself once you are sure the old key works (${message(e)}).`);
        return 'left the new key (the old key could not be opened)';
      }
      const r = await runRemote(this.rt, host, login, REMOVE_COMMAND, removeInput(file, this.newRef));
      if (isSshFailure(r)) {
        this.todo(`${server.label}: the old key does not log in (${describeFailure(host, r)}), so KeyDock left the new key there.`);
        return 'left the new key (the old one does not log in)';
      }
      const out = parseRemoveOutput(r.stdout);
      return out?.kind === 'removed' ? 'new key removed' : 'the new key was not there';
    }
    switch (s.id) {
      case 'generate': {
        const p = this.plan.newKey;
        const moves = await planArchive(p.path, existsSync(p.publicPath) ? p.publicPath : null, join(this.plan.archiveDir, `rolled-back-${this.state.id}`));
        if (moves.length === 0) return 'no new key files';
        await moveFiles(moves, p.path);
        this.todo(`The new key of this rotation was kept (not deleted) at ${moves.map((x) => x.to).join(', ')}.`);
        return `new key moved to ${moves.map((x) => x.to).join(', ')}`;
      }
      case 'remember':
        if (this.state.newKey) await this.rt.remembered.forget(this.state.newKey.fingerprint);
        return "the new key's passphrase forgotten";
      case 'config': {
        const edits = (s.data?.edits as FileEdit[] | undefined) ?? [];
        const results: string[] = [];
        for (const e of [...edits].reverse()) results.push(`${e.file}: ${await undoConfigEdit(e)}`);
        return results.join('; ') || 'nothing was changed';
      }
      case 'agents': {
        const out: string[] = [];
        for (const a of this.plan.agents) {
          if (this.state.newKey) {
            await this.rt.agents.remove([{ fingerprint: this.state.newKey.fingerprint }], a.agentId).catch(() => undefined);
          }
          const list = await this.rt.agents.list(a.agentId).catch(() => null);
          if (list && !list.identities.some((i) => i.fingerprint === this.plan.oldKey.fingerprint)) {
            try {
              await this.rt.agents.addFile(this.oldKeyFile(), { passphrase: this.provider('old', this.plan.oldKey.fingerprint), keychain: false }, a.agentId);
              out.push(`${a.label}: old key back`);
            } catch (e) {
              this.todo(`Load the old key into ${a.label} again: keydock add ${this.plan.oldKey.path} (${message(e)})`);
            }
          }
        }
        return out.join('; ') || 'agents as before';
      }
      case 'git-signing': {
        const before = s.data?.before as string | null | undefined;
        const after = s.data?.after as string | undefined;
        const current = await gitConfigGet(this.rt.env, { kind: 'global' }, 'user.signingkey');
        if (before && after && current === after) await gitConfigSet(this.rt.env, { kind: 'global' }, 'user.signingkey', before);
        const file = this.plan.gitSigning?.allowedSignersFile;
        for (const line of (s.data?.signerLines as string[] | undefined) ?? []) if (file) await removeSignerLine(file, line);
        return `user.signingkey: ${before ?? 'unchanged'}`;
      }
      case 'archive': {
        const moves = (s.data?.moves as MovedFile[] | undefined) ?? [];
        const r = await restoreFiles(moves);
        for (const b of r.blocked) this.todo(`${b.from} exists again, so the archived ${b.to} was left in the archive.`);
        return `${r.restored.length} file(s) back`;
      }
      case 'forget-old': {
        const o = this.plan.oldKey;
        if (!o.encrypted || (await this.rt.remembered.isRemembered(o.fingerprint))) return 'nothing to undo';
        const pass = this.pass.old ?? (await this.io.passphrase('old', 'unlock'));
        if (pass === null) {
          this.todo(`Remember the old key's passphrase again: keydock add ${o.path} --remember`);
          return 'needs the old passphrase';
        }
        const key = await loadPrivateKeyFile(this.oldKeyFile(), async () => pass, { certificate: false, maxAttempts: 1 });
        await this.rt.remembered.remember({ path: o.path, fingerprint: o.fingerprint, comment: key.comment }, pass);
        return 'old passphrase remembered again';
      }
      default:
        return 'nothing to undo';
    }
  }

  // ---- the report ----

  private report(status: string): RotationReport {
    const changes: RotationReport['changes'] = [];
    const k = this.state.newKey;
    for (const s of this.state.steps) {
      if (s.status !== 'done') continue;
      const d = s.data ?? {};
      const server = this.plan.servers.find((x) => s.id.startsWith(`${x.id}-`));
      const host = this.plan.gitHosts.find((x) => s.id.startsWith(`${x.id}-`));
      if (s.id === 'generate' && k) changes.push({ where: k.path, what: `new key ${k.fingerprint} (passphrase-protected)` });
      else if (s.id === 'remember') changes.push({ where: 'keychain', what: "the new key's passphrase is remembered" });
      else if (server && s.id.endsWith('-add')) changes.push({ where: `${server.label}:${String(d.file)}`, what: d.added ? `added ${String(d.line)}` : 'the new key was already there' });
      else if (server && s.id.endsWith('-prove')) changes.push({ where: server.label, what: 'the new key logs in' });
      else if (server && s.id.endsWith('-remove-old')) changes.push({ where: server.label, what: `removed ${(d.removed as NumberedLine[] | undefined)?.length ?? 0} line(s) of the old key` });
      else if (host && s.id.endsWith('-test')) changes.push({ where: `${host.name} (${host.alias})`, what: `the new key works${d.account ? ` as ${String(d.account)}` : ''}` });
      else if (s.id === 'config') for (const e of (d.edits as FileEdit[] | undefined) ?? []) for (const l of e.edits) changes.push({ where: `${e.file}:${l.line}`, what: `${l.before.trim()} → ${l.after.trim()}${e.backup ? ` (backup ${e.backup})` : ''}` });
      else if (s.id === 'agents') for (const a of (d.agents as Array<{ agentId: string; added: boolean; removedOld: boolean }> | undefined) ?? []) changes.push({ where: `agent ${a.agentId}`, what: `${a.added ? 'new key added' : 'new key NOT added'}, ${a.removedOld ? 'old key removed' : 'old key was not there'}` });
      else if (s.id === 'git-signing') changes.push({ where: 'git config --global user.signingkey', what: `${String(d.before)} → ${String(d.after)}${(d.signerLines as string[] | undefined)?.length ? `; allowed signers: ${(d.signerLines as string[]).length} entry(ies) added` : ''}` });
      else if (s.id === 'archive') for (const mv of (d.moves as MovedFile[] | undefined) ?? []) changes.push({ where: mv.from, what: `moved to ${mv.to}` });
      else if (s.id === 'forget-old' && d.forgotten) changes.push({ where: 'keychain', what: "the old key's passphrase is forgotten" });
    }
    for (const s of this.state.steps) if (s.status === 'undone' && s.detail) changes.push({ where: `undo ${s.id}`, what: s.detail });
    const archived = ((this.step('archive')?.status === 'done' ? this.step('archive')?.data?.moves : []) as MovedFile[] | undefined) ?? [];
    return {
      id: this.state.id,
      status,
      oldKey: { path: this.plan.oldKey.path, fingerprint: this.plan.oldKey.fingerprint, archivedTo: archived.map((x) => x.to) },
      newKey: k,
      changes,
      todo: [...this.state.todo, ...this.plan.notes],
      waitingFor: this.waitingFor,
      stateFile: stateFile(this.rt.paths.configDir, this.state.id),
      reportFile: this.step('report')?.status === 'done' ? join(rotationsDir(this.rt.paths.configDir), `${this.state.id}.report.json`) : null,
    };
  }

  async result(mode: 'rotate' | 'rollback'): Promise<RotationResult> {
    if (this.state.status === 'waiting' && !this.waitingFor) {
      const w = this.state.steps.find((s) => s.status === 'waiting');
      if (w) this.waitingFor = `${w.detail ?? w.title}\nThen run: keydock rotate ${this.plan.oldKey.path} --resume`;
    }
    return { mode, plan: this.plan, steps: this.state.steps, ...this.report(this.state.status) };
  }
}
