import type { AgentInfo, AgentSnapshot, Identity, IdentityList } from '../../shared/models';
import type { AppContext } from '../context';
import { KeyDockError } from '../util/errors';
import { describePublicBlob, fingerprintMd5, fingerprintSha256, parsePublicKeyLine, plainBlobOf, publicKeyLine } from '../keys/format';
import { loadPrivateKeyFile } from '../keys/load';
import { rememberKey, secretStoreFor } from '../keys/service';
import type { PassphraseProvider, PrivateKey } from '../keys/types';
import { keychainPassphraseProvider } from '../secrets/passphrases';
import { AgentClient, type AddOptions } from './client';
import type { ListedIdentity } from './codec';
import { openAgentStream } from './stream';
import { agentSshWillUse, describeAgentPath } from './discovery';

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
    sourceFile,
  };
}

export interface AddFileOptions extends AddOptions {
  /** Asked when the file is encrypted and the keychain has nothing (prompt, stdin, the UI's dialog). */
  passphrase: PassphraseProvider | null;
  remember?: boolean;
  /** Told when the keychain could not be used; the key still loads. */
  onNotice?: (e: KeyDockError) => void;
}

interface ManagerState {
  /** Files KeyDock loaded, by fingerprint: shown as each key's source. */
  sources: Map<string, string>;
  /** Agents KeyDock locked in this session (an OpenSSH agent cannot be asked whether it is locked). */
  locked: Set<string>;
  lastSnapshot: string | null;
  poller: NodeJS.Timeout | null;
}

const states = new WeakMap<AppContext, ManagerState>();

function state(ctx: AppContext): ManagerState {
  let s = states.get(ctx);
  if (!s) {
    s = { sources: new Map(), locked: new Set(), lastSnapshot: null, poller: null };
    states.set(ctx, s);
    const st = s;
    ctx.disposers.push(() => {
      if (st.poller) clearInterval(st.poller);
      st.poller = null;
    });
  }
  return s;
}

/** Which agent an operation targets: the one asked for, else the one chosen in settings, else ssh's. */
export async function resolveAgentPath(ctx: AppContext, agentId?: string): Promise<string> {
  if (agentId) return agentId;
  const chosen = (await ctx.settings.get().catch(() => null))?.managedAgentId;
  if (chosen) return chosen;
  const ssh = await agentSshWillUse(ctx);
  if (!ssh) {
    throw new KeyDockError('agent-unreachable', 'No SSH agent is set up for this session (SSH_AUTH_SOCK is not set).', 'Start one with `eval "$(ssh-agent)"` or `keydock serve`, or pass --agent PATH.', { exitCode: 2 });
  }
  return ssh.path;
}

/** Runs one conversation with an agent and always closes the connection. */
export async function withAgent<T>(path: string, fn: (client: AgentClient) => Promise<T>): Promise<T> {
  const client = new AgentClient(await openAgentStream(path), { label: `the agent at ${path}` });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

async function agentInfo(ctx: AppContext, path: string, keyCount: number | null): Promise<AgentInfo> {
  // Only names the agent: probing every other agent on each list would be wasted connections.
  const { kind, label, usedBySsh } = await describeAgentPath(ctx, path);
  return { id: path, kind, label, path, reachable: true, keyCount, locked: state(ctx).locked.has(path), reason: null, usedBySsh };
}

/** The keys an agent holds, shaped for the CLI's --json and the UI. */
export async function listIdentities(ctx: AppContext, agentId?: string): Promise<IdentityList> {
  const path = await resolveAgentPath(ctx, agentId);
  const listed = await withAgent(path, (c) => c.listIdentities());
  const sources = state(ctx).sources;
  const identities = listed.map((l) => {
    const id = toIdentity(l);
    return { ...id, sourceFile: sources.get(id.fingerprint) ?? null };
  });
  return { agent: await agentInfo(ctx, path, identities.length), identities };
}

/** Loads a key file (passphrase from the keychain, else `options.passphrase`) into an agent. */
export async function addKeyFile(ctx: AppContext, file: string, options: AddFileOptions, agentId?: string): Promise<Identity> {
  const path = await resolveAgentPath(ctx, agentId);
  let typed: string | null = null;
  const fallback: PassphraseProvider | null = options.passphrase
    ? async (info) => {
        typed = await options.passphrase!(info);
        return typed;
      }
    : null;
  let store;
  try {
    store = secretStoreFor(ctx);
  } catch (e) {
    if (e instanceof KeyDockError) options.onNotice?.(e);
  }
  const provider = store ? keychainPassphraseProvider(store, null, fallback, options.onNotice) : (fallback ?? (async () => null));
  const key = await loadPrivateKeyFile(file, provider);
  const plain = (key as PrivateKey & { plain?: PrivateKey }).plain;
  await withAgent(path, async (client) => {
    // Like ssh-add: the plain key first, then its certificate.
    if (plain) await client.addIdentity(plain, options);
    await client.addIdentity(key, options);
  });
  const identity = toIdentity({ blob: key.publicBlob, comment: key.comment }, file);
  state(ctx).sources.set(identity.fingerprint, file);
  if (options.remember && key.source.encrypted && typed !== null) {
    try {
      await rememberKey(ctx, { path: file, fingerprint: identity.fingerprint, comment: key.comment }, typed);
    } catch (e) {
      if (e instanceof KeyDockError) options.onNotice?.(e);
      else throw e;
    }
  }
  await announce(ctx, path);
  return identity;
}

/** Removes keys named by fingerprint (SHA256:/MD5:) or by a public key line/file content. */
export async function removeKeys(ctx: AppContext, refs: Array<{ fingerprint?: string; publicKey?: string }>, agentId?: string): Promise<Identity[]> {
  const path = await resolveAgentPath(ctx, agentId);
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
  await announce(ctx, path);
  return removed;
}

export async function removeAllKeys(ctx: AppContext, agentId?: string): Promise<void> {
  const path = await resolveAgentPath(ctx, agentId);
  await withAgent(path, (c) => c.removeAll());
  await announce(ctx, path);
}

export async function lockAgent(ctx: AppContext, passphrase: string, agentId?: string): Promise<void> {
  if (!passphrase) throw new KeyDockError('passphrase-empty', 'A lock needs a passphrase.', 'Choose a passphrase you will remember; you need it to unlock.', { exitCode: 2 });
  const path = await resolveAgentPath(ctx, agentId);
  await withAgent(path, (c) => c.lock(passphrase));
  state(ctx).locked.add(path);
  await announce(ctx, path);
}

export async function unlockAgent(ctx: AppContext, passphrase: string, agentId?: string): Promise<void> {
  const path = await resolveAgentPath(ctx, agentId);
  await withAgent(path, (c) => c.unlock(passphrase));
  state(ctx).locked.delete(path);
  await announce(ctx, path);
}

/** Emits `agent:changed` with the agent's current keys (after an operation or when a poll sees a change). */
async function announce(ctx: AppContext, path: string): Promise<void> {
  let identities: Identity[] = [];
  try {
    identities = (await listIdentities(ctx, path)).identities;
  } catch {
    identities = [];
  }
  const s = state(ctx);
  s.lastSnapshot = `${path}|${identities.map((i) => i.fingerprint + i.comment).join(',')}`;
  const snapshot: AgentSnapshot = { agentId: path, identities, locked: s.locked.has(path), at: Date.now() };
  ctx.events.emit('agent:changed', snapshot);
}

/**
 * Polls the managed agent while the window is open so keys added with ssh-add elsewhere
 * show up; emits only when the set of keys changed.
 */
export function watchAgent(ctx: AppContext, intervalMs = 3000): void {
  const s = state(ctx);
  if (s.poller) return;
  s.poller = setInterval(() => {
    void (async () => {
      try {
        const path = await resolveAgentPath(ctx);
        const listed = await withAgent(path, (c) => c.listIdentities());
        const key = `${path}|${listed.map((l) => toIdentity(l)).map((i) => i.fingerprint + i.comment).join(',')}`;
        if (key !== s.lastSnapshot) await announce(ctx, path);
      } catch {
        // An agent that went away is shown by the next explicit list.
      }
    })();
  }, intervalMs);
  s.poller.unref();
}
