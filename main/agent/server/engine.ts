import { realpathSync } from 'node:fs';
import type { ActivityEntry } from '../../../shared/contract/server';
import { activitySummary, type ActivityLog } from './activity-log';
import { confirmWithTimeout, denyAll, type Confirmer } from './confirm';
import { identityPermitted, destinationConstraintProblem, parseUserauthRequest, recordSessionBind, type ConnectionBindings } from './destination';
import { InvalidKeyError } from '../../keys/key-objects';
import { KeyDockError } from '../../util/errors';
import type { DestinationConstraint, Keystore, StoredIdentity } from './keystore';
import type { LockState } from './lock-state';
import { fingerprintOf, verifySshSignature } from './public-key';
import type { EngineReply, EngineRequest } from './requests';
import { createSecurityKeySigner, createSigner } from '../../keys/sign';
import { resolveSkProvider } from '../../platform/sk-provider-paths';
import { DEFAULT_PROVIDER_ALLOWLIST, checkProvider } from './provider-allowlist';
import { orderForHost, type HostPairingSource } from '../host-pairings';
import type { PassphraseAsker } from './encrypted-keys';
import { PUTTY_EXTENSIONS, handlePuttyExtension } from './putty-extensions';
import type { Pkcs11Providers } from './pkcs11-keys';

/** Extensions this agent answers (the `query` reply lists them). */
export const SUPPORTED_EXTENSIONS = ['query', 'session-bind@openssh.com'];

/** Per-connection facts the engine needs: who asks, and the session bindings seen so far. */
export interface ConnectionState extends ConnectionBindings {
  /** The requesting process in words, for the activity log and confirm prompts. */
  client: string;
  /** KeyDock itself (same process) counting keys for its window: not worth a line in the log. */
  ownProcess?: boolean;
}

export interface EngineDeps {
  keystore: Keystore;
  lock: LockState;
  activity: ActivityLog;
  confirmer?: Confirmer;
  confirmTimeoutMs?: number;
  /** Lifetime for keys added without one (`keydock serve -t`, ssh-agent -t); none when unset. */
  defaultLifetimeSeconds?: number;
  now?: () => number;
  /** Called after the set of keys or the lock changed (status in the UI). */
  onChange?: () => void;
  /** Which keys opened which hosts: known keys are listed first to a bound host, and signatures in bound sessions are recorded (main/agent/host-pairings.ts). */
  pairings?: HostPairingSource;
  /** Host names for a bound host key ("github.com", "unknown host SHA256:…"), from known_hosts (main/openssh/host-names.ts); fingerprints without it. */
  hostNames?: (hostKey: Buffer) => Promise<string>;
  /** Asks for the passphrase of a key kept encrypted until first use; with it, PuTTY's extensions (add-ppk, reencrypt, list-extended) are answered. */
  passphraseAsker?: PassphraseAsker;
  /** PKCS#11 providers (ssh-add -s / -e); without it smartcard requests are refused. */
  pkcs11?: Pkcs11Providers;
  /** ssh-agent -O allow-remote-pkcs11: connections that sent session-bind (forwarded) may add providers too. */
  allowRemotePkcs11?: boolean;
  /**
   * FIDO (sk-) keys (docs/hardware-keys.md): the -P list a named provider must match (default
   * ssh-agent's), the environment SSH_SK_PROVIDER is read from for "internal", and who asks for
   * a verify-required key's PIN.
   */
  securityKeys?: { allowlist?: string; env?: NodeJS.ProcessEnv; pin?: (what: { fingerprint: string; comment: string }) => Promise<string | null> };
}

const FAILURE: EngineReply = { kind: 'failure' };
const SUCCESS: EngineReply = { kind: 'success' };

type Outcome = ActivityEntry['outcome'];

/**
 * The agent's protocol semantics (docs/agent-protocol.md §1, OpenSSH ssh-agent.c behaviour) on
 * decoded requests: one call per request, replies never carry secrets, every request is
 * recorded in the activity log.
 */
export class AgentEngine {
  constructor(private readonly deps: EngineDeps) {}

  set confirmer(c: Confirmer) {
    this.deps.confirmer = c;
  }

  async handle(req: EngineRequest, conn: ConnectionState): Promise<EngineReply> {
    const locked = this.deps.lock.locked;
    switch (req.kind) {
      case 'list':
        return this.list(conn, locked);
      case 'sign':
        return locked ? this.refuse(conn, 'sign', fingerprintOf(req.keyBlob), 'agent is locked') : this.sign(req, conn);
      case 'add':
        return locked ? this.refuse(conn, 'add', null, 'agent is locked') : this.add(req, conn);
      case 'remove':
        return locked ? this.refuse(conn, 'remove', fingerprintOf(req.keyBlob), 'agent is locked') : this.remove(req.keyBlob, conn);
      case 'remove-all':
        return locked ? this.refuse(conn, 'remove-all', null, 'agent is locked') : this.removeAll(conn);
      case 'remove-all-rsa1':
        // SSH-1 keys do not exist here; OpenSSH still answers this old request with success.
        return locked ? this.refuse(conn, 'remove-all-rsa1', null, 'agent is locked') : this.log(conn, 'remove-all-rsa1', null, 'allowed', null, SUCCESS);
      case 'lock':
        return this.lockAgent(req.passphrase, conn);
      case 'unlock':
        return this.unlockAgent(req.passphrase, conn);
      case 'add-smartcard':
        return locked ? this.refuse(conn, 'add-smartcard', null, 'agent is locked') : this.addSmartcard(req, conn);
      case 'remove-smartcard':
        return locked ? this.refuse(conn, 'remove-smartcard', null, 'agent is locked') : this.removeSmartcard(req, conn);
      case 'query':
        if (locked) return this.refuse(conn, 'query', null, 'agent is locked');
        return this.log(conn, 'query', null, 'allowed', null, { kind: 'extension-response', name: 'query', body: encodeNames(this.deps.passphraseAsker ? [...SUPPORTED_EXTENSIONS, ...PUTTY_EXTENSIONS] : SUPPORTED_EXTENSIONS) });
      case 'session-bind':
        return this.sessionBind(req, conn);
      case 'extension':
        return this.extension(req, conn, locked);
      case 'unknown':
        return this.refuse(conn, `message ${req.msgType}`, null, 'unknown request type');
    }
  }

  private list(conn: ConnectionState, locked: boolean): EngineReply {
    if (locked) return this.log(conn, 'list', null, 'allowed', 'agent is locked: no keys shown', { kind: 'identities', keys: [] });
    const permitted = this.deps.keystore
      .list()
      .filter((id) => identityPermitted(id, conn, null).ok);
    const bound = conn.bindings[conn.bindings.length - 1];
    const keys = (bound && this.deps.pairings ? orderForHost(permitted, fingerprintOf(bound.hostKey), this.deps.pairings) : permitted)
      .map((id) => ({ blob: id.publicBlob, comment: id.comment }));
    return this.log(conn, 'list', null, 'allowed', `${keys.length} key(s)`, { kind: 'identities', keys });
  }

  private async sign(req: Extract<EngineRequest, { kind: 'sign' }>, conn: ConnectionState): Promise<EngineReply> {
    const id = this.deps.keystore.get(req.keyBlob);
    if (!id) return this.refuse(conn, 'sign', fingerprintOf(req.keyBlob), 'key not in the agent');
    let destination = await this.boundHostLabel(conn);
    if (id.destinations.length > 0) {
      if (conn.bindings.length === 0) return this.refuse(conn, 'sign', id.fingerprint, 'destination-constrained key used on a connection without session-bind', destination);
      const ua = parseUserauthRequest(req.data, id.publicBlob);
      if (!ua) return this.refuse(conn, 'sign', id.fingerprint, 'destination-constrained key asked to sign something that is not an SSH login', destination);
      const permitted = identityPermitted(id, conn, ua.user);
      if (!permitted.ok) return this.refuse(conn, 'sign', id.fingerprint, permitted.reason, destination);
      const last = conn.bindings[conn.bindings.length - 1];
      if (!last || !last.sessionId.equals(ua.sessionId)) return this.refuse(conn, 'sign', id.fingerprint, 'session ID differs from the last bound session', destination);
      if (conn.bindings.length > 1 && ua.hostKey === null) return this.refuse(conn, 'sign', id.fingerprint, 'forwarded request does not name the host key', destination);
      if (ua.hostKey !== null && !ua.hostKey.equals(last.hostKey)) return this.refuse(conn, 'sign', id.fingerprint, 'host key in the request differs from the bound one', destination);
      destination = `${ua.user}@${permitted.lastHost ?? 'listed host'}`;
    }
    if (id.confirm) {
      const allowed = await confirmWithTimeout(
        this.deps.confirmer ?? denyAll,
        { fingerprint: id.fingerprint, comment: id.comment, keyType: id.type, client: conn.client, destination },
        this.deps.confirmTimeoutMs,
      );
      if (!allowed) return this.log(conn, 'sign', id.fingerprint, 'denied', 'not confirmed', FAILURE, destination);
      // The key may have been removed or the agent locked while the person was deciding.
      if (this.deps.lock.locked || this.deps.keystore.get(req.keyBlob) !== id) return this.refuse(conn, 'sign', id.fingerprint, 'key removed or agent locked while confirming', destination);
    }
    try {
      const signature = await id.signer.sign(req.data, req.flags);
      this.recordPairing(id, req.data, conn);
      return this.log(conn, 'sign', id.fingerprint, 'allowed', null, { kind: 'signature', signature }, destination);
    } catch (e) {
      // A security key's provider or a PKCS#11 token says why (no device, card pulled, PIN needed); their messages name no secret.
      const why = e instanceof Error && e.name === 'SkProviderError' ? e.message.slice(0, 200) : id.provider !== undefined && e instanceof KeyDockError ? `signing failed: ${e.message.slice(0, 200)}` : 'signing failed';
      return this.log(conn, 'sign', id.fingerprint, 'failed', why, FAILURE, destination);
    }
  }

  private async extension(req: Extract<EngineRequest, { kind: 'extension' }>, conn: ConnectionState, locked: boolean): Promise<EngineReply> {
    const operation = `extension ${req.name.slice(0, 64)}`;
    if (!this.deps.passphraseAsker || !PUTTY_EXTENSIONS.includes(req.name)) return this.refuse(conn, operation, null, 'unknown extension');
    if (locked) return this.log(conn, operation, null, 'denied', 'agent is locked', { kind: 'extension-failure' });
    const r = await handlePuttyExtension(req.name, req.data, {
      keystore: this.deps.keystore,
      ask: this.deps.passphraseAsker,
      now: () => this.deps.now?.() ?? performance.now(),
      defaultLifetimeSeconds: this.deps.defaultLifetimeSeconds,
      onChange: this.deps.onChange,
    });
    if (!r) return this.refuse(conn, operation, null, 'unknown extension');
    return this.log(conn, operation, r.fingerprint, r.outcome, r.detail, r.reply);
  }

  /** A login signature in a session bound for authentication: this key opens that host (the last hop, for a forwarded agent). */
  private recordPairing(id: StoredIdentity, data: Buffer, conn: ConnectionState): void {
    const last = conn.bindings[conn.bindings.length - 1];
    if (!this.deps.pairings || !last || last.forwarded) return;
    const ua = parseUserauthRequest(data, id.publicBlob);
    if (!ua || !ua.sessionId.equals(last.sessionId) || (ua.hostKey !== null && !ua.hostKey.equals(last.hostKey))) return;
    this.deps.pairings.record(id.fingerprint, fingerprintOf(last.hostKey));
  }

  private add(req: Extract<EngineRequest, { kind: 'add' }>, conn: ConnectionState): EngineReply {
    let confirm = false;
    let lifetime: number | null = null;
    let destinations: DestinationConstraint[] = [];
    let sawDestinations = false;
    let skProvider: string | null = null;
    for (const c of req.constraints) {
      switch (c.kind) {
        case 'sk-provider': {
          // As ssh-agent's process_add_identity: only for security keys, once, "internal" as is, a path only when -P allows its real path.
          if (skProvider !== null) return this.refuse(conn, 'add', null, 'sk-provider given twice');
          if ('error' in req.key || !req.key.securityKey) return this.refuse(conn, 'add', null, 'sk-provider given for a key that is not a security key');
          if (c.provider.toLowerCase() === 'internal') {
            skProvider = 'internal';
            break;
          }
          if (conn.bindings.length > 0 && !this.deps.allowRemotePkcs11) return this.refuse(conn, 'add', null, 'remote provider loading is disabled (keydock serve -O allow-remote-pkcs11)');
          const checked = checkProvider(c.provider, this.deps.securityKeys?.allowlist ?? DEFAULT_PROVIDER_ALLOWLIST);
          if (!checked.ok) return this.refuse(conn, 'add', null, checked.reason);
          skProvider = checked.path;
          break;
        }
        case 'lifetime':
          if (lifetime !== null) return this.refuse(conn, 'add', null, 'lifetime given twice');
          lifetime = c.seconds;
          break;
        case 'confirm':
          if (confirm) return this.refuse(conn, 'add', null, 'confirm given twice');
          confirm = true;
          break;
        case 'destinations': {
          if (sawDestinations) return this.refuse(conn, 'add', null, 'destination constraints given twice');
          sawDestinations = true;
          for (const d of c.constraints) {
            const problem = destinationConstraintProblem(d);
            if (problem) return this.refuse(conn, 'add', null, `invalid destination constraint: ${problem}`);
          }
          destinations = c.constraints;
          break;
        }
        case 'unsupported':
          return this.refuse(conn, 'add', null, `unsupported constraint ${c.what}`);
      }
    }
    if ('error' in req.key) return this.refuse(conn, 'add', null, req.key.error);
    const key = req.key;
    const fingerprint = fingerprintOf(key.publicBlob);
    const existing = this.deps.keystore.get(key.publicBlob);
    if (existing && !identityPermitted(existing, conn, null).ok) return this.refuse(conn, 'add', fingerprint, 'key not visible to this connection');
    let signer;
    try {
      if (key.securityKey) {
        // The provider is loaded on the first signature, as ssh-agent's helper does; none on this system fails that signature, not the add.
        const sk = this.deps.securityKeys;
        const provider = resolveSkProvider(skProvider, sk?.env ?? {});
        // verify-required keys: the PIN is asked like an encrypted key's passphrase (askpass, the window) when no PIN asker is given.
        const ask = this.deps.passphraseAsker;
        const pin = sk?.pin ?? (ask ? (w: { fingerprint: string; comment: string }) => ask({ fingerprint: w.fingerprint, comment: w.comment, attempt: 0, secret: 'security-key-pin' }, AbortSignal.timeout(60_000)) : undefined);
        signer = createSecurityKeySigner(key.securityKey, provider, pin ? { pin: () => pin({ fingerprint, comment: req.comment }) } : {});
      } else if (key.numbers) signer = createSigner(key.numbers);
      else return this.refuse(conn, 'add', fingerprint, 'key has no private numbers');
    } catch (e) {
      return this.refuse(conn, 'add', fingerprint, e instanceof InvalidKeyError ? e.message : 'key does not check out');
    }
    if (lifetime === null && this.deps.defaultLifetimeSeconds) lifetime = this.deps.defaultLifetimeSeconds;
    const now = this.deps.now?.() ?? performance.now();
    const identity: StoredIdentity = {
      publicBlob: key.publicBlob,
      type: key.type,
      comment: req.comment,
      fingerprint,
      signer,
      confirm,
      expiresAt: lifetime === null ? null : now + lifetime * 1000,
      destinations,
    };
    const replaced = this.deps.keystore.add(identity);
    this.deps.onChange?.();
    const details = [replaced ? 'replaced' : 'added', lifetime !== null ? `lifetime ${lifetime}s` : '', confirm ? 'confirm' : '', destinations.length ? `${destinations.length} destination(s)` : ''];
    return this.log(conn, 'add', fingerprint, 'allowed', details.filter(Boolean).join(', '), SUCCESS);
  }

  /**
   * ADD_SMARTCARD_KEY(_CONSTRAINED), as ssh-agent's process_add_smartcard_key: refused from a
   * forwarded connection unless allowed, the provider's real path must match the -P list, then
   * its keys join the agent with the request's constraints (keys already held are left as they
   * are). The PIN is never logged; the request body holding it is zeroed by the server.
   */
  private async addSmartcard(req: Extract<EngineRequest, { kind: 'add-smartcard' }>, conn: ConnectionState): Promise<EngineReply> {
    const op = 'add-smartcard';
    const pkcs11 = this.deps.pkcs11;
    if (!pkcs11) return this.refuse(conn, op, null, 'smartcard keys are not supported');
    const shown = req.provider.slice(0, 200);
    if (conn.bindings.length > 0 && !this.deps.allowRemotePkcs11) return this.refuse(conn, op, null, `${shown}: remote provider loading is disabled (keydock serve -O allow-remote-pkcs11)`);
    const c = this.constraintsOf(req.constraints);
    if ('problem' in c) return this.refuse(conn, op, null, c.problem);
    const checked = pkcs11.check(req.provider);
    if (!checked.ok) return this.refuse(conn, op, null, checked.reason);
    // Added before, but every key of it has expired or been removed one by one: load it afresh.
    if (pkcs11.loaded(checked.path) && !this.deps.keystore.list().some((k) => k.provider === checked.path)) pkcs11.remove(checked.path);
    let keys;
    try {
      keys = await pkcs11.add(checked.path, req.pin);
    } catch (e) {
      return this.log(conn, op, null, 'failed', `${checked.path}: ${e instanceof Error ? e.message : String(e)}`, FAILURE);
    }
    let lifetime = c.lifetime;
    if (lifetime === null && this.deps.defaultLifetimeSeconds) lifetime = this.deps.defaultLifetimeSeconds;
    const now = this.deps.now?.() ?? performance.now();
    let added = 0;
    for (const k of keys) {
      if (this.deps.keystore.get(k.publicBlob)) continue;
      this.deps.keystore.add({
        publicBlob: k.publicBlob,
        type: k.type,
        // The provider path, so every client can tell a card key (ssh-agent uses the token's label when it has one).
        comment: checked.path,
        fingerprint: k.fingerprint,
        signer: k.signer,
        confirm: c.confirm,
        expiresAt: lifetime === null ? null : now + lifetime * 1000,
        destinations: c.destinations,
        provider: checked.path,
      });
      added++;
    }
    if (added === 0) {
      pkcs11.remove(checked.path);
      return this.refuse(conn, op, null, `${checked.path}: every key of the token is in the agent already`);
    }
    this.deps.onChange?.();
    const details = [`${checked.path}: ${added} key(s) added`, lifetime !== null ? `lifetime ${lifetime}s` : '', c.confirm ? 'confirm' : '', c.destinations.length ? `${c.destinations.length} destination(s)` : ''];
    return this.log(conn, op, null, 'allowed', details.filter(Boolean).join(', '), SUCCESS);
  }

  /** REMOVE_SMARTCARD_KEY: the provider's keys go and the module is closed (its PIN wiped); FAILURE when it was not added. */
  private removeSmartcard(req: Extract<EngineRequest, { kind: 'remove-smartcard' }>, conn: ConnectionState): EngineReply {
    const op = 'remove-smartcard';
    const pkcs11 = this.deps.pkcs11;
    if (!pkcs11) return this.refuse(conn, op, null, 'smartcard keys are not supported');
    let canonical: string;
    try {
      canonical = realpathSync(req.provider);
    } catch {
      canonical = req.provider;
    }
    if (!pkcs11.loaded(canonical)) return this.refuse(conn, op, null, `${canonical.slice(0, 200)}: provider not added`);
    let removed = 0;
    for (const id of this.deps.keystore.list()) {
      if (id.provider !== canonical) continue;
      this.deps.keystore.remove(id.publicBlob);
      removed++;
    }
    pkcs11.remove(canonical);
    this.deps.onChange?.();
    return this.log(conn, op, null, 'allowed', `${canonical}: ${removed} key(s) removed`, SUCCESS);
  }

  /** Lifetime, confirm and destination constraints of an add, or why they are refused. */
  private constraintsOf(constraints: Extract<EngineRequest, { kind: 'add-smartcard' }>['constraints']): { confirm: boolean; lifetime: number | null; destinations: DestinationConstraint[] } | { problem: string } {
    let confirm = false;
    let lifetime: number | null = null;
    let destinations: DestinationConstraint[] | null = null;
    for (const c of constraints) {
      switch (c.kind) {
        case 'lifetime':
          if (lifetime !== null) return { problem: 'lifetime given twice' };
          lifetime = c.seconds;
          break;
        case 'confirm':
          if (confirm) return { problem: 'confirm given twice' };
          confirm = true;
          break;
        case 'destinations':
          if (destinations) return { problem: 'destination constraints given twice' };
          for (const d of c.constraints) {
            const problem = destinationConstraintProblem(d);
            if (problem) return { problem: `invalid destination constraint: ${problem}` };
          }
          destinations = c.constraints;
          break;
        default:
          return { problem: `unsupported constraint ${'what' in c ? c.what : c.kind}` };
      }
    }
    return { confirm, lifetime, destinations: destinations ?? [] };
  }

  private remove(blob: Buffer, conn: ConnectionState): EngineReply {
    const fp = fingerprintOf(blob);
    const id = this.deps.keystore.get(blob);
    if (!id) return this.refuse(conn, 'remove', fp, 'key not in the agent');
    const permitted = identityPermitted(id, conn, null);
    if (!permitted.ok) return this.refuse(conn, 'remove', fp, permitted.reason);
    this.deps.keystore.remove(blob);
    this.deps.onChange?.();
    return this.log(conn, 'remove', fp, 'allowed', null, SUCCESS);
  }

  private removeAll(conn: ConnectionState): EngineReply {
    const n = this.deps.keystore.removeAll();
    // No key of a token is left, so its module and PIN go too (ssh-agent keeps the module loaded).
    this.deps.pkcs11?.dispose();
    this.deps.onChange?.();
    return this.log(conn, 'remove-all', null, 'allowed', `${n} key(s) removed`, SUCCESS);
  }

  private async lockAgent(passphrase: Buffer, conn: ConnectionState): Promise<EngineReply> {
    const ok = await this.deps.lock.lock(passphrase);
    if (ok) {
      // A locked agent keeps no token PIN: a card reinserted meanwhile needs it given again.
      this.deps.pkcs11?.forgetPins();
      this.deps.onChange?.();
    }
    return this.log(conn, 'lock', null, ok ? 'allowed' : 'denied', ok ? null : passphrase.length === 0 ? 'empty passphrase' : 'already locked', ok ? SUCCESS : FAILURE);
  }

  private async unlockAgent(passphrase: Buffer, conn: ConnectionState): Promise<EngineReply> {
    const wasLocked = this.deps.lock.locked;
    const ok = await this.deps.lock.unlock(passphrase);
    if (ok) this.deps.onChange?.();
    return this.log(conn, 'unlock', null, ok ? 'allowed' : 'denied', ok ? null : wasLocked ? 'wrong passphrase' : 'not locked', ok ? SUCCESS : FAILURE);
  }

  /** The last bound host in words, or null on a connection without session-bind. */
  private async boundHostLabel(conn: ConnectionState): Promise<string | null> {
    const last = conn.bindings[conn.bindings.length - 1];
    return last ? this.hostLabel(last.hostKey) : null;
  }

  private async hostLabel(hostKey: Buffer): Promise<string> {
    if (!this.deps.hostNames) return `host key ${fingerprintOf(hostKey)}`;
    return this.deps.hostNames(hostKey).catch(() => `host key ${fingerprintOf(hostKey)}`);
  }

  private async sessionBind(req: Extract<EngineRequest, { kind: 'session-bind' }>, conn: ConnectionState): Promise<EngineReply> {
    const problem = recordSessionBind(conn, req, verifySshSignature);
    const host = problem ? `host key ${fingerprintOf(req.hostKey)}` : await this.hostLabel(req.hostKey);
    if (problem) return this.log(conn, 'session-bind', null, 'denied', problem, { kind: 'extension-failure' }, host);
    return this.log(conn, 'session-bind', null, 'allowed', req.forwarded ? 'forwarding hop' : 'authentication', SUCCESS, host);
  }

  private refuse(conn: ConnectionState, operation: string, fingerprint: string | null, detail: string, destination: string | null = null): EngineReply {
    return this.log(conn, operation, fingerprint, 'denied', detail, FAILURE, destination);
  }

  private log(conn: ConnectionState, operation: string, fingerprint: string | null, outcome: Outcome, detail: string | null, reply: EngineReply, destination: string | null = null): EngineReply {
    // KeyDock's own polling (key lists, the lock probe's query) is not activity a person did.
    if (conn.ownProcess && (operation === 'list' || operation === 'query')) return reply;
    const keyName = fingerprint ? this.deps.keystore.list().find((k) => k.fingerprint === fingerprint)?.comment : undefined;
    const summary = activitySummary({ client: conn.client, operation, destination, outcome, detail, keyName: keyName || fingerprint });
    this.deps.activity.record({ client: conn.client, operation, fingerprint, destination, outcome, detail, summary });
    return reply;
  }
}


/** `string[]` of names (query reply body). */
function encodeNames(names: string[]): Buffer {
  return Buffer.concat(
    names.map((n) => {
      const b = Buffer.from(n);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      return Buffer.concat([len, b]);
    }),
  );
}
