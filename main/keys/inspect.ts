// What KeyDock shows about a key file: type, size, comment, protection, permissions and health,
// without ever sending the private key anywhere. Also finds the key files in ~/.ssh.
// Inspection without a passphrase (every key-list refresh) runs in a small pool of worker
// threads (./inspect-worker.ts), off the thread that serves the window and the agent, and its
// answer is kept until the files change (the inspection cache below).
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KeyFileInfo } from '../../shared/contract/keys';
import { KeyDockError } from '../util/errors';
import { readUserFile, readUserFileHead } from '../util/read-file';
import { describePublicBlob, fingerprintSha256, parsePublicKeyLine, publicKeyLine } from './format';
import { keyHealth } from './health';
import { certificateInFile, decryptKeyFile, openKeyData, readCertificateBeside, readKeyFile } from './load';
import { isSecurityKey, publicBlob, SK_RESIDENT_KEY, SK_USER_PRESENCE_REQD, SK_USER_VERIFICATION_REQD } from './material';
import { resolveSkProvider } from '../platform/sk-provider-paths';
import type { InspectRequest, InspectWorkerMessage } from './inspect-worker';
import { KeyErrorCode, type PassphraseProvider } from './types';

/** Options of inspectKeyFile. */
export interface InspectOptions {
  /** Decrypts encrypted keys when given (else only public facts are shown). */
  passphrase?: PassphraseProvider | null;
  /** Whether the keychain holds a passphrase for a fingerprint. */
  isRemembered?: (fingerprint: string) => Promise<boolean>;
  platform?: NodeJS.Platform;
  /** The environment SSH_SK_PROVIDER is read from, to say which FIDO provider KeyDock's agent would use (sk- keys). */
  env?: NodeJS.ProcessEnv;
}

/** What inspectKeyFile returns. */
export type InspectedKeyFile = KeyFileInfo & { warnings: string[]; certificate: CertificateSummary | null };

/**
 * Describes one key file and its health findings; never returns private material. Without a
 * passphrase the file is read and checked in a worker thread (the keychain question, which
 * needs this thread's services, is asked here afterwards); with one, here, since the provider
 * may prompt.
 */
export async function inspectKeyFile(path: string, opts: InspectOptions = {}): Promise<InspectedKeyFile> {
  if (!opts.passphrase) {
    const platform = opts.platform ?? process.platform;
    const stamp = await fileStamp(path, platform);
    const cached = stamp ? cachedInspection(path, stamp) : null;
    const info = cached ?? (await inspectInWorker(path, platform));
    if (info) {
      if (!cached && stamp) remember(path, stamp, info);
      const copy: InspectedKeyFile = { ...info, findings: [...info.findings], warnings: [...info.warnings] };
      copy.remembered = copy.fingerprint && opts.isRemembered ? await opts.isRemembered(copy.fingerprint).catch(() => false) : false;
      return withProvider(copy, opts);
    }
  }
  return withProvider(await inspectKeyFileHere(path, opts), opts);
}

/** A security key's provider is a fact of this system and environment, not of the file: added to every answer, never cached. */
function withProvider(info: InspectedKeyFile, opts: InspectOptions): InspectedKeyFile {
  if (!info.securityKey) return info;
  return { ...info, securityKey: { ...info.securityKey, provider: resolveSkProvider(null, opts.env ?? {}, opts.platform ?? process.platform) } };
}

// ---- the inspection cache ----
// The key list is asked for on every window start and after every agent change, and the files
// rarely change: a passphrase-free inspection is kept, keyed by what `stat` says of the key, its
// .pub and its -cert.pub (inode, size, mtime, ctime: a rewrite, rename or chmod is a miss).
// Answers with a certificate are not kept, since their findings depend on the clock. The
// keychain question is never cached: it is asked afresh on every call.

const CACHE_MAX = 256;
const inspectionCache = new Map<string, { stamp: string; info: InspectedKeyFile }>();

async function statStamp(path: string): Promise<string> {
  try {
    const st = await stat(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`;
  } catch {
    return '-';
  }
}

/** What the cache checks before reusing an answer; null when the key file cannot be stat'ed. */
async function fileStamp(path: string, platform: NodeJS.Platform): Promise<string | null> {
  const [key, pub, cert] = await Promise.all([statStamp(path), statStamp(`${path}.pub`), statStamp(`${path.replace(/\.ppk$/i, '')}-cert.pub`)]);
  return key === '-' ? null : `${platform}|${key}|${pub}|${cert}`;
}

function cachedInspection(path: string, stamp: string): InspectedKeyFile | null {
  const hit = inspectionCache.get(path);
  return hit && hit.stamp === stamp ? hit.info : null;
}

function remember(path: string, stamp: string, info: InspectedKeyFile): void {
  if (info.certificate) return;
  inspectionCache.delete(path);
  inspectionCache.set(path, { stamp, info });
  if (inspectionCache.size > CACHE_MAX) inspectionCache.delete(inspectionCache.keys().next().value as string);
}

/** Forgets every kept inspection (tests; a key written by KeyDock changes its stamp anyway). */
export function clearInspectionCache(): void {
  inspectionCache.clear();
}

/** inspectKeyFile on this thread: what the worker runs (and the fallback when no worker can start). */
export async function inspectKeyFileHere(path: string, opts: InspectOptions = {}): Promise<InspectedKeyFile> {
  const data = await readKeyFile(path);
  const platform = opts.platform ?? process.platform;
  const st = await stat(path);
  const mode = platform === 'win32' ? null : st.mode & 0o777;
  const reader = openKeyData(data, path);
  const h = reader.header;
  // A PPK holding a certificate shows the certified key, with the certificate as this file's own.
  const headerInfo = h.publicBlob ? describePublicBlob(h.publicBlob) : null;
  let inside = headerInfo?.isCertificate ? h.publicBlob : null;
  let blob = inside ? (headerInfo!.certifiedKeyBlob ?? null) : h.publicBlob;
  let comment = h.comment ?? '';
  let warnings: string[] = [];
  let skFlags: number | null = null;
  if (!h.encrypted || opts.passphrase) {
    const { parsed } = await decryptKeyFile(data, path, opts.passphrase ?? null);
    blob = publicBlob(parsed.material);
    if (isSecurityKey(parsed.material)) skFlags = parsed.material.flags;
    comment = parsed.comment;
    warnings = parsed.warnings ?? [];
    inside = certificateInFile(parsed) ?? inside;
  }
  const side = await sidePublic(path);
  if (!blob && side) blob = side.blob;
  if (!comment && side) comment = side.comment;
  const info = blob ? describePublicBlob(blob) : null;
  const fingerprint = blob ? fingerprintSha256(blob) : '';
  const cert = inside ? { blob: inside, path } : blob ? await readCertificateBeside(path, blob) : null;
  const certInfo = cert ? describePublicBlob(cert.blob).certificate! : null;
  const findings = keyHealth({
    path,
    type: info?.type ?? h.type,
    bits: info?.bits ?? 0,
    format: h.format,
    encrypted: h.encrypted,
    kdf: h.kdf,
    kdfRounds: h.kdfRounds,
    mode,
    certificateValidBefore: certInfo ? certInfo.validBefore : null,
  });
  return {
    path,
    format: h.format,
    type: info?.type ?? h.type ?? 'unknown',
    bits: info?.bits ?? 0,
    comment,
    fingerprint,
    publicKey: blob ? publicKeyLine(blob, comment) : '',
    encrypted: h.encrypted,
    kdf: h.kdf,
    kdfCost: h.kdfCost,
    mode: mode === null ? null : mode.toString(8).padStart(4, '0'),
    remembered: fingerprint && opts.isRemembered ? await opts.isRemembered(fingerprint).catch(() => false) : false,
    findings,
    warnings,
    // FIDO keys: the flags are in the private part, so an encrypted file shows them once opened (null until then).
    ...(info?.application !== undefined
      ? {
          securityKey: {
            application: info.application,
            touchRequired: skFlags === null ? null : (skFlags & SK_USER_PRESENCE_REQD) !== 0,
            pinRequired: skFlags === null ? null : (skFlags & SK_USER_VERIFICATION_REQD) !== 0,
            resident: skFlags === null ? null : (skFlags & SK_RESIDENT_KEY) !== 0,
          },
        }
      : {}),
    certificate: cert && certInfo
      ? {
          path: cert.path,
          type: describePublicBlob(cert.blob).type,
          keyId: certInfo.keyId,
          principals: certInfo.principals,
          validAfter: certInfo.validAfter,
          validBefore: Number.isFinite(certInfo.validBefore) ? certInfo.validBefore : null,
          caFingerprint: fingerprintSha256(certInfo.caKeyBlob),
        }
      : null,
  };
}

/** The certificate facts inspect shows (no blob). */
export interface CertificateSummary {
  path: string;
  type: string;
  keyId: string;
  principals: string[];
  validAfter: number;
  /** null = never expires. */
  validBefore: number | null;
  caFingerprint: string;
}

async function sidePublic(path: string): Promise<{ blob: Buffer; comment: string } | null> {
  try {
    return parsePublicKeyLine((await readUserFile(`${path}.pub`, { maxBytes: 65536, what: 'public key file' })).toString('utf8'));
  } catch {
    return null;
  }
}

const NOT_KEYS = new Set(['config', 'known_hosts', 'known_hosts.old', 'known_hosts2', 'authorized_keys', 'authorized_keys2', 'environment', 'rc']);

/** Whether the first bytes of a file look like a private key, read without loading the whole file. */
export async function looksLikePrivateKey(path: string): Promise<boolean> {
  try {
    const head = (await readUserFileHead(path, 64)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    return /^-----BEGIN (([A-Z0-9]+ )*PRIVATE KEY|EC PARAMETERS|DSA PARAMETERS)-----/.test(head) || head.startsWith('PuTTY-User-Key-File-');
  } catch {
    return false;
  }
}

/** Lists the private key files in ~/.ssh with public facts and health, for the Keys screen. */
export async function listKeyFiles(sshDir: string, opts: InspectOptions = {}): Promise<KeyFileInfo[]> {
  let names: string[];
  try {
    names = await readdir(sshDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new KeyDockError('ssh-dir-unreadable', `Could not read ${sshDir}.`, `Check its permissions: chmod 700 ${sshDir}`, { cause: e });
  }
  const paths: string[] = [];
  for (const name of names.sort()) {
    if (name.endsWith('.pub') || name.startsWith('.') || NOT_KEYS.has(name)) continue;
    const path = join(sshDir, name);
    try {
      const st = await stat(path);
      if (!st.isFile() || st.size > 256 * 1024) continue;
    } catch {
      continue;
    }
    if (await looksLikePrivateKey(path)) paths.push(path);
  }
  // All at once: the worker pool spreads them over its threads; the order stays the files' order.
  return Promise.all(paths.map(async (path): Promise<KeyFileInfo> => {
    try {
      const { warnings: _w, certificate: _c, ...info } = await inspectKeyFile(path, { ...opts, passphrase: null });
      return info;
    } catch (e) {
      // A damaged or unsupported file still shows up, with the reason as a finding.
      const err = e instanceof KeyDockError ? e : null;
      return {
        path,
        format: 'unknown',
        type: 'unknown',
        bits: 0,
        comment: '',
        fingerprint: '',
        publicKey: '',
        encrypted: false,
        kdf: null,
        kdfCost: null,
        mode: null,
        remembered: false,
        findings: [{ code: err?.code ?? 'key-unreadable', severity: 'warning', message: err?.message ?? 'KeyDock could not read this key.', fix: err?.hint ?? 'Check the file.' }],
      };
    }
  }));
}

// ---- the worker pool ----

/** A key inspection that takes longer than this ends with its thread (normal: milliseconds). */
export const INSPECT_TIMEOUT_MS = 20_000;
/** Idle workers end after this, so a quiet app holds no extra threads. */
const IDLE_MS = 60_000;
const WORKER_FILE = 'inspect-worker';
/** workerData.mark the pool starts its threads with; the worker entry acts only when it sees it. */
export const INSPECT_WORKER_MARK = 'keydock-inspect-worker';

interface Task {
  req: InspectRequest;
  resolve: (info: InspectedKeyFile | null) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout | null;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  done: boolean;
  tasks: Map<number, Task>;
  idle: NodeJS.Timeout | null;
}

const slots: Slot[] = [];
let nextId = 1;
/** Set when a worker cannot start here (no built entry, no tsx): inspection then runs on this thread. */
let workersUnavailable = false;

/** Whether inspection runs in worker threads here: starts one if needed and waits until it is ready. */
export async function inspectWorkersAvailable(): Promise<boolean> {
  if (workersUnavailable) return false;
  const slot = slots[0] ?? startSlot();
  if (!slot) return false;
  if (slot.ready) return true;
  return new Promise((resolve) => {
    const check = () => (slot.ready ? resolve(true) : slot.done ? resolve(!workersUnavailable && slots.length > 0) : setTimeout(check, 10));
    check();
  });
}

/** Runs inspectKeyFileHere(path) in a worker; null when no worker can run here (the caller then inspects on its own thread). */
function inspectInWorker(path: string, platform: NodeJS.Platform): Promise<InspectedKeyFile | null> {
  if (workersUnavailable) return Promise.resolve(null);
  return new Promise((resolve, reject) => submit({ req: { id: nextId++, path, platform }, resolve, reject, timer: null }));
}

function submit(task: Task): void {
  const size = Math.max(1, Math.min(2, availableParallelism() - 1));
  let slot = slots.reduce<Slot | null>((best, s) => (!best || s.tasks.size < best.tasks.size ? s : best), null);
  if (!slot || (slot.tasks.size > 0 && slots.length < size)) slot = startSlot() ?? slot;
  if (!slot) {
    task.resolve(null);
    return;
  }
  if (slot.idle) clearTimeout(slot.idle);
  slot.idle = null;
  if (slot.tasks.size === 0) slot.worker.ref();
  slot.tasks.set(task.req.id, task);
  task.timer = setTimeout(() => timedOut(slot, task), INSPECT_TIMEOUT_MS);
  task.timer.unref();
  slot.worker.postMessage(task.req);
}

function startSlot(): Slot | null {
  const spec = workerSpec();
  if (!spec) {
    workersUnavailable = true;
    return null;
  }
  let worker: Worker;
  try {
    const options = { workerData: { mark: INSPECT_WORKER_MARK } };
    worker = 'code' in spec ? new Worker(spec.code, { ...options, eval: true }) : new Worker(spec.url, options);
  } catch {
    workersUnavailable = true;
    return null;
  }
  const slot: Slot = { worker, ready: false, done: false, tasks: new Map(), idle: null };
  worker.unref();
  worker.on('message', (m: InspectWorkerMessage) => {
    if (m.type === 'ready') {
      slot.ready = true;
      return;
    }
    const task = slot.tasks.get(m.id);
    if (!task) return;
    settle(slot, task);
    if (m.type === 'done') task.resolve(m.info);
    else if (m.type === 'failed') task.reject(new KeyDockError(m.error.code, m.error.message, m.error.hint, { exitCode: m.error.exitCode }));
    else task.reject(new KeyDockError('key-inspect-failed', `KeyDock could not inspect ${task.req.path}: ${m.message}`, 'Check the file; if it is a key, run `keydock inspect FILE` to see the details.'));
  });
  worker.on('error', () => lost(slot));
  worker.on('exit', () => lost(slot));
  slots.push(slot);
  return slot;
}

/** A task finished: forget it, and let the worker idle (unref'd, ended after IDLE_MS). */
function settle(slot: Slot, task: Task): void {
  if (task.timer) clearTimeout(task.timer);
  slot.tasks.delete(task.req.id);
  if (slot.tasks.size > 0 || slot.done) return;
  slot.worker.unref();
  slot.idle = setTimeout(() => void slot.worker.terminate(), IDLE_MS);
  slot.idle.unref();
}

/** The worker is gone (ended, crashed or terminated). Tasks it never started are run again. */
function lost(slot: Slot): void {
  if (slot.done) return;
  slot.done = true;
  if (slot.idle) clearTimeout(slot.idle);
  slots.splice(slots.indexOf(slot), 1);
  // A worker that never came up cannot run here: from now on, and for what it held, inspect on this thread.
  if (!slot.ready) workersUnavailable = true;
  const tasks = [...slot.tasks.values()];
  slot.tasks.clear();
  for (const t of tasks) {
    if (t.timer) clearTimeout(t.timer);
    if (!slot.ready) t.resolve(null);
    else submit(t);
  }
}

function timedOut(slot: Slot, task: Task): void {
  if (!slot.tasks.has(task.req.id)) return;
  slot.tasks.delete(task.req.id);
  task.reject(
    new KeyDockError(
      KeyErrorCode.corrupt,
      `Reading ${task.req.path} took more than ${INSPECT_TIMEOUT_MS / 1000} s, so KeyDock stopped; a key file takes milliseconds.`,
      'The file may be built to make KeyDock hang. If it is your key, check it with ssh-keygen -l -f FILE.',
    ),
  );
  void slot.worker.terminate();
}

/**
 * How to start a worker here. Bundled (the CLI's out/cli, the app's out/main), the worker is
 * its own entry file beside the bundle or one folder up from this chunk. From source (tsx,
 * vitest) the worker has no TypeScript loader of its own, so it registers tsx first, as
 * bin/keydock.cjs does.
 */
function workerSpec(): { url: URL } | { code: string } | null {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    let tsx: string;
    try {
      // The ESM form of tsx's register API; the CommonJS one cannot register from an eval'd worker.
      tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    } catch {
      return null;
    }
    const entry = new URL(`./${WORKER_FILE}.ts`, here).href;
    // A failure rejects unhandled, which ends the thread with an 'error' before 'ready'.
    return { code: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });` };
  }
  for (const dir of ['./', '../']) {
    for (const ext of ['.cjs', '.js']) {
      const url = new URL(`${dir}${WORKER_FILE}${ext}`, here);
      if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return { url };
    }
  }
  return null;
}
