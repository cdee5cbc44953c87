/**
 * The one-click connection test: "will `git push` over SSH work for this host?".
 * Resolves the host like ssh, connects with ssh2 through the agent ssh would use (and the
 * IdentityFile keys), checks the host key (known_hosts, the provider's published keys),
 * offers keys one at a time in ssh's order so it can say which were offered and which one
 * the server accepted, reads the provider's greeting and, when something fails, names the
 * cause and the fix. It sends nothing but the handshake, the key offers and (for Git hosts)
 * the session request that makes the host print its greeting.
 */
import { lookup } from 'node:dns/promises';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { TestReport, TestStep } from '../../shared/contract/connect';
import type { Runtime } from '../config/runtime';
import { KeyDockError } from '../util/errors';
import { decodeSignature, SIGN_FLAGS, type ListedIdentity } from '../agent/codec';
import { probeAgent, type AgentProbe } from '../agent/probe';
import { withAgent } from '../agent/session';
import { fingerprintSha256 } from '../keys/format';
import { pairingsFiles, recordHostPairing } from '../agent/host-pairings';
import { inspectIdentityFile, type IdentityFileInfo } from '../keys/identity-file';
import { plainTypeOf } from '../keys/public-blob';
import { signerForKey } from '../keys/sign';
import { diagnose, type AttemptFacts } from './diagnose';
import { GIT_HOST_PRESETS, type GitHostPreset } from './git-hosts';
import { parseGreeting } from './greeting';
import { orderOffers, type OfferCandidate } from './identities';
import { blobKeyType, checkHostKey, knownHostsName, knownKeyTypes, type HostKeyCheck } from '../openssh/known-hosts';
import { resolveSshConfig, type ResolvedHost } from '../openssh/ssh-config';
import { isProviderEndpoint, parseTarget, presetForHost, type ParsedTarget } from './target';

export interface TesterOptions {
  /** Correlates tester:progress events with the UI's run. */
  runId?: string;
  /** Per phase (connect, handshake+auth, greeting); default ConnectTimeout or 15 s. */
  timeoutMs?: number;
  /** Like `ssh -F`: read only this config file. */
  configFile?: string;
  /** Treat the host as this provider (GitHub Enterprise, or a local test server). */
  preset?: GitHostPreset['id'];
  /** Called for each finished step (the IPC handler and the CLI show progress). */
  onStep?: (step: TestStep) => void;
}

/** What one SSH connection attempt found out. */
interface Attempt {
  stage: 'tcp' | 'handshake' | 'auth' | 'done';
  tcpError: string | null;
  handshakeTimedOut: boolean;
  serverSpoke: boolean;
  hostKeyBlob: Buffer | null;
  hostCheck: HostKeyCheck | null;
  hostKeyStatus: NonNullable<TestReport['hostKey']>['status'] | null;
  offered: OfferCandidate[];
  /** Keys the server said it would accept (PK_OK) but that could not sign (locked file key). */
  acceptableButLocked: OfferCandidate[];
  accepted: OfferCandidate | null;
  methods: string[] | null;
  tooManyFailures: boolean;
  disconnectMessage: string | null;
  greeting: string | null;
  exitCode: number | null;
}

const HOST_KEY_ALGOS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const DEFAULT_HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

class StepRecorder {
  readonly steps: TestStep[] = [];
  constructor(
    private readonly ctx: Runtime,
    private readonly runId: string,
    private readonly onStep?: (s: TestStep) => void,
  ) {}

  async run<T>(name: string, fn: () => Promise<T>, judge: (v: T) => { ok: boolean; detail?: string }): Promise<T> {
    const start = performance.now();
    let value: T;
    try {
      value = await fn();
    } catch (e) {
      this.add({ name, ms: performance.now() - start, ok: false, detail: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    const j = judge(value);
    this.add({ name, ms: performance.now() - start, ok: j.ok, ...(j.detail ? { detail: j.detail } : {}) });
    return value;
  }

  add(step: TestStep): void {
    const s = { ...step, ms: Math.round(step.ms * 10) / 10 };
    this.steps.push(s);
    this.ctx.events.emit('tester:progress', { runId: this.runId, step: s });
    this.onStep?.(s);
  }
}

/** The SSH_AGENT_RSA_SHA2_* flag for the hash ssh2 asks for; ssh2 names one only for RSA keys (sha1 = no flag). */
function rsaSignFlags(type: string, hash: string | undefined): number {
  if (plainTypeOf(type) !== 'ssh-rsa') return 0;
  if (hash === 'sha256') return SIGN_FLAGS.RSA_SHA2_256;
  if (hash === 'sha512') return SIGN_FLAGS.RSA_SHA2_512;
  return 0;
}

/**
 * An ssh2 "agent" holding exactly one key, so every offer is visible and ordered by us. It
 * signs through KeyDock's AgentClient (agent keys) or main/keys/sign.ts (IdentityFile keys).
 */
class OneKeyAgent extends ssh2.BaseAgent<Buffer> {
  constructor(
    private readonly cand: OfferCandidate,
    private readonly agentPath: string | null,
    private readonly onOffer: () => void,
    private readonly onServerWouldAccept: () => void,
  ) {
    super();
  }

  getIdentities(cb: (err: Error | null, keys?: Buffer[]) => void): void {
    this.onOffer();
    // The public blob: ssh2 parses it into its own key object for its side of the protocol.
    cb(null, [this.cand.blob]);
  }

  sign(_pubKey: unknown, data: Buffer, options: unknown, cb?: (err: Error | null, sig?: Buffer) => void): void {
    const done = (typeof options === 'function' ? options : cb) as (err: Error | null, sig?: Buffer) => void;
    const hash = typeof options === 'object' && options !== null ? (options as { hash?: string }).hash : undefined;
    this.onServerWouldAccept();
    const { cand, agentPath } = this;
    const flags = rsaSignFlags(cand.type, hash);
    let signed: Promise<Buffer>;
    if (cand.source === 'agent' && agentPath) {
      signed = withAgent(agentPath, (c) => c.sign(cand.blob, data, flags));
    } else if (cand.privateKey) {
      const key = cand.privateKey;
      signed = (async () => signerForKey(key).sign(data, flags))();
    } else {
      done(new Error('key-locked'));
      return;
    }
    // Agents and signers return the SSH signature blob (`string algorithm, string signature`);
    // ssh2 wants only the inner signature and frames it with the algorithm itself.
    signed
      .then((blob) => decodeSignature(blob).bytes)
      .then(
        (sig) => done(null, sig),
        (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
      );
  }
}

function newAttempt(): Attempt {
  return {
    stage: 'tcp',
    tcpError: null,
    handshakeTimedOut: false,
    serverSpoke: false,
    hostKeyBlob: null,
    hostCheck: null,
    hostKeyStatus: null,
    offered: [],
    acceptableButLocked: [],
    accepted: null,
    methods: null,
    tooManyFailures: false,
    disconnectMessage: null,
    greeting: null,
    exitCode: null,
  };
}

function openTcp(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host: address, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

interface ConnectPlan {
  resolved: ResolvedHost;
  address: string;
  knownHostsFiles: string[];
  knownHostsNames: string[];
  preset: GitHostPreset | undefined;
  providerEndpoint: boolean;
  agentPath: string | null;
  timeoutMs: number;
  wantGreeting: boolean;
  /** Stop after receiving the host key (trusting or replacing a key needs only that). */
  hostKeyOnly?: boolean;
}

/** One SSH connection: handshake, host key check, key offers in order, greeting. */
async function attemptConnection(plan: ConnectPlan, candidates: OfferCandidate[], rec: StepRecorder | null): Promise<Attempt> {
  const a = newAttempt();
  const { resolved, timeoutMs } = plan;
  let sock: Socket;
  const tcpStart = performance.now();
  try {
    sock = await openTcp(plan.address, resolved.port, timeoutMs);
  } catch (e) {
    a.tcpError = (e as NodeJS.ErrnoException).code ?? 'error';
    rec?.add({ name: 'Connect', ms: performance.now() - tcpStart, ok: false, detail: `${plan.address}:${resolved.port}: ${a.tcpError}` });
    return a;
  }
  rec?.add({ name: 'Connect', ms: performance.now() - tcpStart, ok: true, detail: `${plan.address}:${resolved.port}` });
  a.stage = 'handshake';

  const knownTypes = await knownKeyTypes(plan.knownHostsFiles, plan.knownHostsNames);
  const preferred = knownTypes.flatMap((t) => HOST_KEY_ALGOS[t] ?? []);
  const serverHostKey = [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGOS])];

  const client = new ssh2.Client();
  const handshakeStart = performance.now();
  let authStart = 0;
  let current: OfferCandidate | null = null;
  const queue = [...candidates];

  return new Promise<Attempt>((resolve) => {
    let finished = false;
    let greetingTimer: NodeJS.Timeout | null = null;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (greetingTimer) clearTimeout(greetingTimer);
      client.removeAllListeners('ready');
      client.end();
      sock.destroy();
      resolve(a);
    };

    client.on('handshake', () => {
      a.serverSpoke = true;
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (err.level === 'agent' && err.message === 'key-locked') return; // handled via acceptableButLocked
      if (err.level === 'client-timeout') a.handshakeTimedOut = true;
      if (/too many authentication failures/i.test(err.message)) a.tooManyFailures = true;
      if (err.level !== 'client-authentication' && !a.disconnectMessage) a.disconnectMessage = err.message;
    });
    client.on('close', () => {
      if (a.stage === 'handshake' && rec) {
        rec.add({
          name: 'SSH handshake',
          ms: performance.now() - handshakeStart,
          ok: false,
          detail: a.handshakeTimedOut ? (a.serverSpoke ? 'timed out' : 'the server never answered') : (a.disconnectMessage ?? 'connection closed'),
        });
      } else if (a.stage === 'auth' && rec) {
        rec.add({
          name: 'Authenticate',
          ms: performance.now() - authStart,
          ok: false,
          detail: a.tooManyFailures ? `server stopped after ${a.offered.length} keys (too many authentication failures)` : `no key accepted (${a.offered.length} offered)`,
        });
      }
      finish();
    });
    client.on('ready', () => {
      a.accepted = current;
      a.stage = 'done';
      rec?.add({ name: 'Authenticate', ms: performance.now() - authStart, ok: true, detail: `accepted ${current?.fingerprint ?? ''} (${a.offered.length} offered)` });
      if (!plan.wantGreeting) return finish();
      const gStart = performance.now();
      let out = '';
      let err = '';
      greetingTimer = setTimeout(() => {
        rec?.add({ name: 'Read greeting', ms: performance.now() - gStart, ok: false, detail: 'no answer' });
        finish();
      }, timeoutMs);
      client.shell(false, (e, stream) => {
        if (e) {
          a.greeting = null;
          rec?.add({ name: 'Read greeting', ms: performance.now() - gStart, ok: false, detail: e.message });
          return finish();
        }
        stream.on('data', (d: Buffer) => {
          if (out.length < 4096) out += d.toString('utf8');
        });
        stream.stderr.on('data', (d: Buffer) => {
          if (err.length < 4096) err += d.toString('utf8');
        });
        stream.on('exit', (code: number | null) => {
          a.exitCode = typeof code === 'number' ? code : null;
        });
        stream.on('close', () => {
          a.greeting = `${err}${out}`.trim() || null;
          rec?.add({ name: 'Read greeting', ms: performance.now() - gStart, ok: a.greeting !== null, detail: a.greeting ?? 'empty' });
          finish();
        });
        stream.end();
      });
    });

    client.connect({
      sock,
      username: resolved.user,
      readyTimeout: timeoutMs,
      keepaliveInterval: 0,
      algorithms: { serverHostKey: serverHostKey as never },
      hostVerifier: (key: Buffer, cb: (ok: boolean) => void) => {
        a.serverSpoke = true;
        a.hostKeyBlob = Buffer.from(key);
        void (async () => {
          const blob = a.hostKeyBlob as Buffer;
          const check = await checkHostKey(plan.knownHostsFiles, plan.knownHostsNames, blob);
          a.hostCheck = check;
          const published = plan.providerEndpoint && plan.preset?.hostKeys.some((k) => k.fingerprint === fingerprintSha256(blob));
          if (check.status === 'revoked') a.hostKeyStatus = 'revoked';
          else if (check.status === 'changed') a.hostKeyStatus = 'changed';
          else if (published) a.hostKeyStatus = 'provider-verified';
          else a.hostKeyStatus = check.status;
          const go = !plan.hostKeyOnly && (a.hostKeyStatus === 'known' || a.hostKeyStatus === 'provider-verified');
          rec?.add({ name: 'SSH handshake', ms: performance.now() - handshakeStart, ok: true, detail: blobKeyType(blob) });
          rec?.add({ name: 'Check host key', ms: 0, ok: a.hostKeyStatus === 'known' || a.hostKeyStatus === 'provider-verified', detail: `${fingerprintSha256(blob)}: ${a.hostKeyStatus}` });
          if (go) {
            a.stage = 'auth';
            authStart = performance.now();
          } else {
            a.stage = 'done';
          }
          cb(go);
        })().catch(() => cb(false));
      },
      authHandler: (methodsLeft: string[] | null, _partial: boolean | null, next: (m: unknown) => void) => {
        if (methodsLeft === null) return next({ type: 'none', username: resolved.user });
        a.methods = methodsLeft;
        if (!methodsLeft.includes('publickey')) return next(false);
        const cand = queue.shift();
        if (!cand) return next(false);
        current = cand;
        return next({
          type: 'agent',
          username: resolved.user,
          agent: new OneKeyAgent(
            cand,
            plan.agentPath,
            () => a.offered.push(cand),
            () => {
              if (cand.source === 'file' && !cand.privateKey) a.acceptableButLocked.push(cand);
            },
          ),
        });
      },
    } as never);
  });
}

/** Probes the agent ssh would use and lists its keys (agent order, the order ssh offers them). */
async function collectAgentKeys(agentPath: string | null): Promise<{ probe: AgentProbe | null; keys: ListedIdentity[]; error: string | null }> {
  if (!agentPath || agentPath === 'none') return { probe: null, keys: [], error: null };
  // 3 s to connect; listing may take longer (a hardware-backed agent).
  const probe = await probeAgent(agentPath, 3000, 10_000);
  if (!probe.reachable) return { probe, keys: [], error: null };
  return probe.listed ? { probe, keys: probe.keys, error: null } : { probe, keys: [], error: probe.reason };
}

function gitUser(ctx: Runtime, preset: GitHostPreset | undefined): string | undefined {
  if (!preset) return undefined;
  // Local test servers run as the test user, not "git"; only tests set this.
  return ctx.env.KEYDOCK_TESTER_GIT_USER || preset.user;
}

/** Runs the connection test for TARGET and returns the full report (never throws for connection failures). */
export async function runConnectionTest(ctx: Runtime, targetText: string, options: TesterOptions = {}): Promise<TestReport> {
  const runId = options.runId ?? `test-${Date.now().toString(36)}`;
  const rec = new StepRecorder(ctx, runId, options.onStep);
  const target: ParsedTarget = parseTarget(targetText);

  const presetFor = (hostname: string) => (options.preset ? presetById(options.preset) : (target.preset ?? presetForHost(target.host, hostname)));
  const resolved = await rec.run(
    'Read SSH config',
    async () => {
      const r = await resolveTarget(ctx, target, options);
      // `keydock test github.com` means git@github.com, as every provider's docs say, unless
      // the user or their config named someone; the step shows the user the test will use.
      const p = presetFor(r.hostname);
      if (p && !target.user && !r.sources.user) r.user = gitUser(ctx, p) ?? r.user;
      return r;
    },
    (r) => ({ ok: true, detail: `${r.user}@${r.hostname}:${r.port}${r.unsupported.length ? ` (${r.unsupported.join(' ')})` : ''}` }),
  );

  const preset = presetFor(resolved.hostname);
  const providerEndpoint = !!preset && isProviderEndpoint(preset, resolved.hostname, resolved.port);
  const timeoutMs = options.timeoutMs ?? (resolved.connectTimeout ? resolved.connectTimeout * 1000 : 15_000);

  const base: TestReport = {
    ok: false,
    host: resolved.hostname,
    port: resolved.port,
    user: resolved.user,
    account: null,
    deployKeyRepo: null,
    acceptedKey: null,
    offeredKeys: [],
    hostKey: null,
    greeting: null,
    diagnosis: null,
    steps: rec.steps,
  };

  let address: string;
  try {
    address = await rec.run(
      'Look up host',
      async () => (isIP(resolved.hostname) ? resolved.hostname : (await lookup(resolved.hostname)).address),
      (addr) => ({ ok: true, detail: addr }),
    );
  } catch (e) {
    base.diagnosis = diagnose({ kind: 'dns', resolved, preset, error: (e as NodeJS.ErrnoException).code ?? 'error' });
    return base;
  }

  const agentPath = resolved.identityAgent;
  const agent = await rec.run(
    'Ask agent for keys',
    () => collectAgentKeys(agentPath),
    (r) =>
      r.probe === null
        ? { ok: true, detail: agentPath === 'none' ? 'IdentityAgent none' : 'no agent configured (SSH_AUTH_SOCK is not set)' }
        : !r.probe.reachable
          ? { ok: false, detail: `${agentPath}: ${r.probe.code}` }
          : { ok: r.error === null, detail: r.error ?? `${r.keys.length} key(s) in ${agentPath}` },
  );
  const files: IdentityFileInfo[] = [];
  for (const f of resolved.identityFiles) files.push(await inspectIdentityFile(f, { privateKey: true }));
  const candidates = orderOffers(agent.keys, files, resolved.identitiesOnly);

  const plan: ConnectPlan = {
    resolved,
    address,
    knownHostsFiles: [...resolved.userKnownHostsFiles, ...resolved.globalKnownHostsFiles],
    knownHostsNames: [resolved.hostKeyAlias ?? knownHostsName(resolved.hostname, resolved.port)],
    preset,
    providerEndpoint,
    agentPath: agent.probe?.reachable ? agentPath : null,
    timeoutMs,
    wantGreeting: !!preset,
  };
  const attempt = await attemptConnection(plan, candidates, rec);

  if (attempt.hostKeyBlob) {
    base.hostKey = {
      type: blobKeyType(attempt.hostKeyBlob),
      fingerprint: fingerprintSha256(attempt.hostKeyBlob),
      status: attempt.hostKeyStatus ?? 'new',
      publishedFingerprint: preset && providerEndpoint ? (preset.hostKeys.find((k) => k.type === blobKeyType(attempt.hostKeyBlob as Buffer))?.fingerprint ?? null) : null,
    };
  }
  base.offeredKeys = attempt.offered.map((c) => ({
    fingerprint: c.fingerprint,
    comment: c.comment,
    type: c.type,
    source: c.source === 'agent' ? `agent${c.path ? ` (${c.path})` : ''}` : `file ${c.path ?? ''}`,
    accepted: attempt.accepted === c,
  }));
  if (attempt.accepted) base.acceptedKey = { fingerprint: attempt.accepted.fingerprint, comment: attempt.accepted.comment, type: attempt.accepted.type };
  base.greeting = attempt.greeting;
  const g = parseGreeting(preset, attempt.greeting ?? '');
  base.account = g.account;
  base.deployKeyRepo = g.deployKeyRepo;
  base.ok = attempt.accepted !== null && (base.hostKey?.status === 'known' || base.hostKey?.status === 'provider-verified');
  // A key that opened a verified host is worth offering first there next time (main/agent/host-pairings.ts).
  if (base.ok && attempt.accepted && attempt.hostKeyBlob) {
    await recordHostPairing(pairingsFiles(ctx.env, ctx.paths).app, attempt.accepted.fingerprint, fingerprintSha256(attempt.hostKeyBlob)).catch(() => undefined);
  }

  // Too many keys: find the key that would have worked by offering only the ones ssh never got to.
  let probeFound: OfferCandidate | null = null;
  if (attempt.tooManyFailures) {
    let remaining = candidates.filter((c) => !attempt.offered.includes(c));
    for (let round = 0; round < 5 && remaining.length > 0 && !probeFound; round++) {
      const start = performance.now();
      const probe = await attemptConnection({ ...plan, wantGreeting: false }, remaining, null);
      probeFound = probe.accepted ?? probe.acceptableButLocked[0] ?? null;
      rec.add({ name: 'Look for the right key', ms: performance.now() - start, ok: !!probeFound, detail: probeFound ? `accepted: ${probeFound.fingerprint}` : `${probe.offered.length} more rejected` });
      if (probe.offered.length === 0) break;
      remaining = remaining.filter((c) => !probe.offered.includes(c));
    }
  }

  const facts: AttemptFacts = {
    kind: 'attempt',
    resolved,
    preset,
    providerEndpoint,
    attempt,
    agentPath,
    agent,
    files,
    candidates,
    probeFound,
    expectedUser: gitUser(ctx, preset),
    knownHostsName: plan.knownHostsNames[0] as string,
    repo: target.repo ?? null,
  };
  base.diagnosis = base.ok ? null : diagnose(facts);
  return base;
}

function presetById(id: GitHostPreset['id']): GitHostPreset {
  const p = GIT_HOST_PRESETS_BY_ID.get(id);
  if (!p) throw new KeyDockError('invalid-preset', `There is no preset "${id}".`, 'Use github, gitlab or bitbucket.', { exitCode: 2 });
  return p;
}

const GIT_HOST_PRESETS_BY_ID = new Map(GIT_HOST_PRESETS.map((p) => [p.id, p]));

export type { Attempt };

/** What a host presents right now, for trusting it or replacing a stale known_hosts line. */
export interface PresentedHostKey {
  resolved: ResolvedHost;
  blob: Buffer;
  fingerprint: string;
  check: HostKeyCheck;
  knownHostsName: string;
}

/** Resolves a parsed target through ssh_config, with what the user typed (user, port) taking precedence. */
function resolveTarget(ctx: Runtime, target: ParsedTarget, options: Pick<TesterOptions, 'configFile'>): Promise<ResolvedHost> {
  return resolveSshConfig(target.host, {
    home: ctx.paths.home,
    env: ctx.env,
    ...(options.configFile ? { configFile: options.configFile } : {}),
    ...(target.user ? { user: target.user } : {}),
    ...(target.port ? { port: target.port } : {}),
    platform: ctx.platform,
  });
}

/** Connects only as far as the host key (no authentication) and returns it with its known_hosts status. */
export async function fetchHostKey(ctx: Runtime, targetText: string, options: Pick<TesterOptions, 'configFile' | 'timeoutMs'> = {}): Promise<PresentedHostKey> {
  const target = parseTarget(targetText);
  const resolved = await resolveTarget(ctx, target, options);
  let address: string;
  try {
    address = isIP(resolved.hostname) ? resolved.hostname : (await lookup(resolved.hostname)).address;
  } catch (e) {
    throw new KeyDockError('dns-failure', `The name ${resolved.hostname} could not be looked up.`, 'Check the host name and your network.', { cause: e });
  }
  const name = resolved.hostKeyAlias ?? knownHostsName(resolved.hostname, resolved.port);
  const a = await attemptConnection(
    {
      resolved,
      address,
      knownHostsFiles: [...resolved.userKnownHostsFiles, ...resolved.globalKnownHostsFiles],
      knownHostsNames: [name],
      preset: undefined,
      providerEndpoint: false,
      agentPath: null,
      timeoutMs: options.timeoutMs ?? 15_000,
      wantGreeting: false,
      hostKeyOnly: true,
    },
    [],
    null,
  );
  if (!a.hostKeyBlob || !a.hostCheck) {
    throw new KeyDockError('host-unreachable', `Could not get the host key of ${resolved.hostname} port ${resolved.port}.`, 'Run the connection test to see why the server cannot be reached.');
  }
  return { resolved, blob: a.hostKeyBlob, fingerprint: fingerprintSha256(a.hostKeyBlob), check: a.hostCheck, knownHostsName: name };
}
