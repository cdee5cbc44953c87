import type { AgentInfo, AgentSnapshot, Identity, IdentityList } from '../../shared/models';
import type { Runtime } from '../config/runtime';
import { KeyDockError } from '../util/errors';
import { describePublicBlob, fingerprintMd5, fingerprintSha256, parsePublicKeyLine, plainBlobOf, publicKeyLine } from '../keys/format';
import type { AgentAdder, RememberedKeys, LoadRememberedResult } from '../keys/remembered-keys';
import type { PassphraseProvider, PrivateKey } from '../keys/types';
import type { AddOptions } from './client';
import type { ListedIdentity } from './codec';
import { withAgent } from './session';
import { smartcardProviderOf } from './server/pkcs11-paths';
import { agentSshWillUse, describeAgentPath, isKeyDockAgentPath, type AgentTarget } from './discovery';
import { AgentLockRecord, observeAgent } from './probe';

/** How an identity listed by an agent is shown: never any private material. */
export function toIdentity(listed: ListedIdentity, sourceFile: string | null = null): Identity {
  const info = describePublicBlob(listed.blob);
  const plain = plainBlobOf(listed.blob);
  return {
    fingerprint: fingerprintSha256(plain),
    md5: fingerprintMd5(plain),
    type: info.type,
    bits: info.bits,
    comment: listed.comment,
    publicKey: publicKeyLine(listed.blob, listed.comment),
    isCertificate: info.isCertificate,
    // The application is public; touch and PIN flags live in the private part, which an agent never lists.
    ...(info.application !== undefined ? { securityKey: { application: info.application, touchRequired: null, pinRequired: null, resident: null } } : {}),
    sourceFile,
    ...(smartcardProviderOf(listed.comment) ? { smartcard: { provider: listed.comment } } : {}),
  };
}

/** Which agent an operation targets: the one asked for, else the one chosen in settings, else ssh's. */
export async function resolveAgentPath(rt: Runtime, agentId?: string, sshAgent?: Promise<AgentTarget | null>): Promise<string> {
  if (agentId) return agentId;
  // Without a settings file nothing was chosen: the schema (and zod) need not load to say so.
  const chosen = (await rt.settings.peek().catch(() => null))?.managedAgentId;
  if (chosen) return chosen;
  const ssh = await (sshAgent ?? agentSshWillUse(rt));
  if (!ssh) {
    throw new KeyDockError('agent-unreachable', 'No SSH agent is set up for this session (SSH_AUTH_SOCK is not set).', 'Start one with `eval "$(ssh-agent)"` or `keydock serve`, or pass --agent PATH.', { exitCode: 2 });
  }
  return ssh.path;
}

function agentInfo(path: string, { kind, label, usedBySsh }: { kind: AgentInfo['kind']; label: string; usedBySsh: boolean }, keyCount: number, locked: boolean | null): AgentInfo {
  // Only names the agent: probing every other agent on each list would be wasted connections.
  // A locked agent hides its keys: how many it holds is not known.
  return { id: path, kind, label, path, reachable: true, keyCount: locked ? null : keyCount, locked, reason: null, usedBySsh };
}

/** One look at the agent at PATH: its keys, and whether it is locked (true, false, or null when that cannot be told). */
async function observeAgentAt(rt: Runtime, path: string, record: AgentLockRecord): Promise<{ listed: ListedIdentity[]; locked: boolean | null }> {
  const lookup = { record, keydock: isKeyDockAgentPath(rt, path) };
  const { keys, locked } = await withAgent(path, (c) => observeAgent(c, path, lookup));
  return { listed: keys, locked };
}

/**
 * The keys an agent holds and its lock, shaped for the CLI's --json and the UI: what
 * `AgentManager.list` answers, and what `keydock list` asks with a Runtime alone (no context).
 */
export async function listAgentKeys(rt: Runtime, agentId?: string, state: { lockRecord?: AgentLockRecord; sources?: ReadonlyMap<string, string> } = {}): Promise<IdentityList> {
  // Which agent ssh uses is read from ssh's configuration once, for both questions below (it
  // never rejects: an unreadable config falls back to the environment).
  const sshAgent = agentSshWillUse(rt);
  const path = await resolveAgentPath(rt, agentId, sshAgent);
  const [{ listed, locked }, info] = await Promise.all([observeAgentAt(rt, path, state.lockRecord ?? new AgentLockRecord(rt.paths.configDir)), sshAgent.then((target) => describeAgentPath(rt, path, target))]);
  const identities = listed.map((l) => {
    const id = toIdentity(l);
    return { ...id, sourceFile: state.sources?.get(id.fingerprint) ?? null };
  });
  return { agent: agentInfo(path, info, identities.length, locked), identities };
}

export interface AddFileOptions extends AddOptions {
  /** Asked when the file is encrypted and the keychain has nothing (prompt, stdin, the UI's dialog). */
  passphrase: PassphraseProvider | null;
  remember?: boolean;
  /** Look in the keychain first (default); false when the caller was handed the passphrase to use. */
  keychain?: boolean;
  /** Told when the keychain could not be used; the key still loads. */
  onNotice?: (e: KeyDockError) => void;
}

/**
 * The agent KeyDock manages for one context (the one chosen in settings, else the one ssh
 * uses): list, add, remove, lock, and `agent:changed` events when its keys or its lock change.
 * Holds what the protocol cannot tell: which file each key came from, and (in the record shared
 * with every other KeyDock process) which agents KeyDock locked.
 */
export class AgentManager {
  /** Files KeyDock loaded, by fingerprint: shown as each key's source. */
  private readonly sources = new Map<string, string>();
  /** Agents KeyDock locked, and agents whose refusal of `query` means "locked" (agent-locks.json). */
  private readonly lockRecord: AgentLockRecord;
  private lastSnapshot: string | null = null;
  private poller: NodeJS.Timeout | null = null;
  /** Where `loadRemembered` puts keys when not the agent ssh uses (the app: KeyDock's own agent). */
  private loadTarget: AgentAdder | null = null;

  constructor(
    private readonly rt: Runtime,
    private readonly remembered: RememberedKeys,
  ) {
    this.lockRecord = new AgentLockRecord(rt.paths.configDir);
  }

  /** Which agent an operation targets: the one asked for, else the one chosen in settings, else ssh's. */
  resolvePath(agentId?: string): Promise<string> {
    return resolveAgentPath(this.rt, agentId);
  }


  /** One look at the agent: its keys, and whether it is locked (true, false, or null when that cannot be told). */
  private observe(path: string): Promise<{ listed: ListedIdentity[]; locked: boolean | null }> {
    return observeAgentAt(this.rt, path, this.lockRecord);
  }

  /** The keys an agent holds and its lock, shaped for the CLI's --json and the UI. */
  list(agentId?: string): Promise<IdentityList> {
    return listAgentKeys(this.rt, agentId, { lockRecord: this.lockRecord, sources: this.sources });
  }

  /** Loads a key file (passphrase from the keychain, else `options.passphrase`) into an agent. */
  async addFile(file: string, options: AddFileOptions, agentId?: string): Promise<Identity> {
    const path = await this.resolvePath(agentId);
    let typed: string | null = null;
    const fallback: PassphraseProvider | null = options.passphrase
      ? async (info) => {
          typed = await options.passphrase!(info);
          return typed;
        }
      : null;
    const provider = options.keychain === false ? (fallback ?? (async () => null)) : this.remembered.passphraseProvider(null, fallback, options.onNotice);
    const { loadPrivateKeyFile } = await import('../keys/load');
    const key = await loadPrivateKeyFile(file, provider);
    const plain = (key as PrivateKey & { plain?: PrivateKey }).plain;
    // FIDO keys: the provider asked for, else SSH_SK_PROVIDER, as ssh-add chooses it (docs/hardware-keys.md).
    const addOptions = { ...options, skProvider: options.skProvider || this.rt.env.SSH_SK_PROVIDER || undefined };
    await withAgent(path, async (client) => {
      // Like ssh-add: the plain key first, then its certificate.
      if (plain) await client.addIdentity(plain, addOptions);
      await client.addIdentity(key, addOptions);
    });
    const identity = toIdentity({ blob: key.publicBlob, comment: key.comment }, file);
    this.sources.set(identity.fingerprint, file);
    if (options.remember && key.source.encrypted && typed !== null) {
      try {
        await this.remembered.remember({ path: file, fingerprint: identity.fingerprint, comment: key.comment }, typed);
      } catch (e) {
        if (e instanceof KeyDockError) options.onNotice?.(e);
        else throw e;
      }
    }
    await this.announce(path);
    return identity;
  }

  /** Removes keys named by fingerprint (SHA256:/MD5:) or by a public key line/file content. */
  async remove(refs: Array<{ fingerprint?: string; publicKey?: string }>, agentId?: string): Promise<Identity[]> {
    const path = await this.resolvePath(agentId);
    const removed = await withAgent(path, async (client) => {
      const listed = await client.listIdentities();
      const out: Identity[] = [];
      for (const ref of refs) {
        const wantBlob = ref.publicKey ? plainBlobOf(parsePublicKeyLine(ref.publicKey).blob) : null;
        const matches = listed.filter((l) => {
          const id = toIdentity(l);
          if (wantBlob) return plainBlobOf(l.blob).equals(wantBlob);
          return id.fingerprint === ref.fingerprint || id.md5 === ref.fingerprint || id.md5 === `MD5:${ref.fingerprint}`;
        });
        if (matches.length === 0) {
          throw new KeyDockError('key-not-loaded', `No key ${ref.fingerprint ?? 'from that file'} is loaded in the agent at ${path}.`, 'Run `keydock list` to see the loaded keys and their fingerprints.');
        }
        for (const m of matches) {
          await client.removeIdentity(m.blob);
          out.push(toIdentity(m));
        }
      }
      return out;
    });
    await this.announce(path);
    return removed;
  }

  async removeAll(agentId?: string): Promise<void> {
    const path = await this.resolvePath(agentId);
    await withAgent(path, (c) => c.removeAll());
    await this.announce(path);
  }

  /**
   * Adds a PKCS#11 provider's keys to the agent (ssh-add -s; the agent loads the library itself).
   * The provider is tried here first (main/agent/server/pkcs11-keys.ts probeProvider), so a
   * missing library, a wrong or locked PIN or a token without keys is said plainly; a refusal
   * after that is the agent's allow-list (ssh-agent -P). Returns the keys that came.
   */
  async addSmartcard(provider: string, pin: Buffer, options: { lifetimeSeconds?: number; confirm?: boolean } = {}, agentId?: string): Promise<Identity[]> {
    const path = await this.resolvePath(agentId);
    const { probeProvider } = await import('./server/pkcs11-keys');
    const probed = await probeProvider(provider, pin);
    const added = await withAgent(path, async (client) => {
      const before = new Set((await client.listIdentities()).map((l) => l.blob.toString('base64')));
      try {
        await client.addSmartcard(provider, pin, options);
      } catch (e) {
        if (!(e instanceof KeyDockError) || e.code !== 'agent-refused') throw e;
        const onToken = new Set(probed.keys.map((k) => k.publicBlob.toString('base64')));
        if (onToken.size > 0 && [...onToken].every((b) => before.has(b))) {
          throw new KeyDockError('pkcs11-already-added', `Every key of ${probed.path} is in the agent at ${path} already.`, 'Remove the card first (keydock remove --pkcs11 PROVIDER) to add it again.');
        }
        throw new KeyDockError(
          'pkcs11-provider-refused',
          `The agent at ${path} refused the PKCS#11 provider ${probed.path}, although it loads and the PIN works here.`,
          `The agent's allow-list does not include it: ssh-agent allows only /usr/lib*/* and /usr/local/lib*/* unless started with -P (e.g. ssh-agent -P '${probed.path}', or keydock serve -P '${probed.path}'); a forwarded agent also needs -O allow-remote-pkcs11.`,
          { cause: e },
        );
      }
      const listed = await client.listIdentities();
      return listed.filter((l) => !before.has(l.blob.toString('base64'))).map((l) => ({ ...toIdentity(l), smartcard: { provider: probed.path } }));
    });
    await this.announce(path);
    return added;
  }

  /** Removes a PKCS#11 provider's keys from the agent (ssh-add -e). */
  async removeSmartcard(provider: string, agentId?: string): Promise<void> {
    const path = await this.resolvePath(agentId);
    await withAgent(path, (c) => c.removeSmartcard(provider));
    await this.announce(path);
  }

  async lock(passphrase: string, agentId?: string): Promise<void> {
    if (!passphrase) throw new KeyDockError('passphrase-empty', 'A lock needs a passphrase.', 'Choose a passphrase you will remember; you need it to unlock.', { exitCode: 2 });
    const path = await this.resolvePath(agentId);
    await withAgent(path, (c) => c.lock(passphrase));
    await this.lockRecord.update(path, (e) => ({ ...e, lockedAt: Date.now() }));
    await this.announce(path);
  }

  async unlock(passphrase: string, agentId?: string): Promise<void> {
    const path = await this.resolvePath(agentId);
    await withAgent(path, (c) => c.unlock(passphrase));
    await this.lockRecord.update(path, (e) => {
      delete e.lockedAt;
      return e.answersQuery === undefined ? null : e;
    });
    await this.announce(path);
  }

  /** Lets the app (or a test) decide which agent `loadRemembered` fills: e.g. KeyDock's own agent. */
  setLoadTarget(add: AgentAdder | null): void {
    this.loadTarget = add;
  }

  /** Loads every remembered key into the load target, else the agent ssh would use. */
  loadRemembered(): Promise<LoadRememberedResult> {
    return this.remembered.loadAll(async () => {
      if (this.loadTarget) return this.loadTarget;
      const path = await this.resolvePath();
      return (key) => withAgent(path, (client) => client.addIdentity(key, {}));
    });
  }

  /** Emits `agent:changed` with the agent's current keys and lock (after an operation or when a poll sees a change). */
  private async announce(path: string): Promise<void> {
    let identities: Identity[] = [];
    let locked: boolean | null = null;
    try {
      const list = await this.list(path);
      identities = list.identities;
      locked = list.agent.locked ?? null;
    } catch {
      identities = [];
    }
    this.lastSnapshot = snapshotKey(path, identities, locked);
    const snapshot: AgentSnapshot = { agentId: path, identities, locked, at: Date.now() };
    this.rt.events.emit('agent:changed', snapshot);
  }

  /**
   * Polls the managed agent while the window is open so keys added with ssh-add elsewhere, and
   * a lock or unlock made elsewhere, show up; emits only when the keys or the lock changed.
   */
  watch(intervalMs = 3000): void {
    if (this.poller) return;
    this.poller = setInterval(() => {
      void (async () => {
        try {
          const path = await this.resolvePath();
          const { listed, locked } = await this.observe(path);
          const key = snapshotKey(path, listed.map((l) => toIdentity(l)), locked);
          if (key !== this.lastSnapshot) await this.announce(path);
        } catch {
          // An agent that went away is shown by the next explicit list.
        }
      })();
    }, intervalMs);
    this.poller.unref();
  }

  /** Stops polling. */
  dispose(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }
}

/** What a poll compares: the agent, its keys (fingerprint and comment) and its lock. */
function snapshotKey(path: string, identities: Identity[], locked: boolean | null): string {
  return `${path}|${identities.map((i) => i.fingerprint + i.comment).join(',')}|${String(locked)}`;
}
