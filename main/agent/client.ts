import type { Duplex } from 'node:stream';
import { KeyDockError } from '../util/errors';
import { blobType } from '../keys/format';
import { plainTypeOf } from '../keys/public-blob';
import type { PrivateKey } from '../keys/types';
import { FrameDecoder, ProtocolError, SIGN_FLAGS, decodeReply, decodeSignature, decodeStringList, encode, encodeRequest, type Constraint, type ListedIdentity, type Reply } from './codec';

export interface AgentClientOptions {
  /** Listing, adding, removing: an agent answers these at once. */
  quickTimeoutMs?: number;
  /** Signing may wait for a confirmation prompt, a PIN or Pageant's first-use passphrase. */
  signTimeoutMs?: number;
  /** For messages: "the agent at …". */
  label?: string;
}

export interface AddOptions {
  lifetimeSeconds?: number;
  confirm?: boolean;
  destinations?: Extract<Constraint, { kind: 'restrict-destination' }>['constraints'];
  /**
   * FIDO (sk-) keys only: the middleware library the agent signs through, sent as the
   * `sk-provider@openssh.com` constraint like ssh-add does (docs/agent-protocol.md §1.5);
   * `internal` (ssh-add's default) when unset.
   */
  skProvider?: string;
}

/** The signature algorithm an agent must use for this key and these flags (docs/agent-protocol.md §1.2). */
export function expectedSignatureAlgorithm(keyType: string, flags: number): string {
  const plain = plainTypeOf(keyType);
  if (plain !== 'ssh-rsa') return plain;
  if (flags & SIGN_FLAGS.RSA_SHA2_256) return 'rsa-sha2-256';
  if (flags & SIGN_FLAGS.RSA_SHA2_512) return 'rsa-sha2-512';
  return 'ssh-rsa';
}

/**
 * Talks to any SSH agent over a stream: one request at a time, replies read strictly,
 * every failure a KeyDockError with words and a hint. After a protocol error or a
 * timeout the connection is closed, since replies could no longer be matched to requests.
 */
export class AgentClient {
  private readonly decoder = new FrameDecoder();
  private readonly frames: Buffer[] = [];
  private waiter: { resolve(b: Buffer): void; reject(e: Error): void } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private broken: KeyDockError | null = null;
  private readonly quickTimeoutMs: number;
  private readonly signTimeoutMs: number;
  private readonly label: string;

  constructor(
    private readonly stream: Duplex,
    options: AgentClientOptions = {},
  ) {
    this.quickTimeoutMs = options.quickTimeoutMs ?? 10_000;
    this.signTimeoutMs = options.signTimeoutMs ?? 120_000;
    this.label = options.label ?? 'the SSH agent';
    stream.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.decoder.push(chunk)) this.frames.push(f);
      } catch (e) {
        this.fail(this.protocolError(e));
        return;
      }
      this.deliver();
    });
    const lost = () => this.fail(new KeyDockError('agent-connection-lost', `The connection to ${this.label} closed before it answered.`, 'The agent may have stopped or refused this request type; try again, or restart the agent.'));
    stream.on('end', lost);
    stream.on('close', lost);
    stream.on('error', lost);
  }

  private protocolError(e: unknown): KeyDockError {
    return new KeyDockError('agent-protocol-error', `${this.label} sent something that is not the SSH agent protocol: ${e instanceof Error ? e.message : String(e)}.`, 'Check that the path is an SSH agent socket (SSH_AUTH_SOCK) and not another program’s socket.');
  }

  private deliver(): void {
    if (!this.waiter) {
      if (this.frames.length) this.fail(this.protocolError(new ProtocolError('a reply arrived that nothing asked for')));
      return;
    }
    const f = this.frames.shift();
    if (f) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(f);
    }
  }

  private fail(e: KeyDockError): void {
    if (this.broken) return;
    this.broken = e;
    this.waiter?.reject(e);
    this.waiter = null;
    this.stream.destroy();
  }

  /** Sends one framed request and waits for its reply, after every earlier request. */
  private request(frame: Buffer, timeoutMs: number): Promise<Reply> {
    const run = async (): Promise<Reply> => {
      if (this.broken) throw this.broken;
      const body = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.fail(new KeyDockError('agent-timeout', `${this.label} did not answer within ${Math.round(timeoutMs / 1000)} s.`, 'The agent may be waiting for a confirmation or be stuck; check its window or restart it.'));
        }, timeoutMs);
        this.waiter = {
          resolve: (b) => {
            clearTimeout(timer);
            resolve(b);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        this.stream.write(frame);
        this.deliver();
      });
      try {
        return decodeReply(body);
      } catch (e) {
        const err = this.protocolError(e);
        this.fail(err);
        throw err;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private refused(what: string, hint: string): KeyDockError {
    return new KeyDockError('agent-refused', `${this.label} refused to ${what}.`, hint);
  }

  /** Lists the agent's keys (a locked OpenSSH agent lists none). */
  async listIdentities(): Promise<ListedIdentity[]> {
    const r = await this.request(encode.requestIdentities(), this.quickTimeoutMs);
    if (r.type === 'identities') return r.identities;
    if (r.type === 'failure') throw this.refused('list its keys', 'The agent may be locked; unlock it and try again.');
    throw this.protocolError(new ProtocolError(`expected a key list, got ${r.type}`));
  }

  /** Asks for a signature and checks it uses the algorithm that was asked for. */
  async sign(blob: Buffer, data: Buffer, flags = 0): Promise<Buffer> {
    const r = await this.request(encode.sign(blob, data, flags), this.signTimeoutMs);
    if (r.type === 'failure') throw this.refused('sign with this key', 'The key may not be loaded, the agent may be locked, or the use was not confirmed.');
    if (r.type !== 'signature') throw this.protocolError(new ProtocolError(`expected a signature, got ${r.type}`));
    const want = expectedSignatureAlgorithm(blobType(blob), flags);
    const got = decodeSignature(r.signature).algorithm;
    if (got !== want) throw this.protocolError(new ProtocolError(`asked for a ${want} signature, got ${got}`));
    return r.signature;
  }

  /** Adds a key with optional lifetime, confirm-each-use and destination limits. */
  async addIdentity(key: PrivateKey, options: AddOptions = {}): Promise<void> {
    const constraints: Constraint[] = [];
    if (options.lifetimeSeconds) constraints.push({ kind: 'lifetime', seconds: options.lifetimeSeconds });
    if (options.confirm) constraints.push({ kind: 'confirm' });
    // ssh-add names a provider for every security key, "internal" unless -S / SSH_SK_PROVIDER says otherwise.
    if (plainTypeOf(key.type).startsWith('sk-')) constraints.push({ kind: 'sk-provider', provider: options.skProvider || 'internal' });
    if (options.destinations?.length) constraints.push({ kind: 'restrict-destination', constraints: options.destinations });
    const r = await this.request(encode.add(key.agentFields, key.comment, constraints), this.quickTimeoutMs);
    if (r.type === 'success') return;
    if (r.type === 'failure') {
      throw this.refused(
        `add the key "${key.comment || key.type}"`,
        constraints.length
          ? 'This agent may not support time limits, confirmation or destination limits (Pageant and the Windows agent do not); try without them, or unlock the agent.'
          : 'The agent may be locked, or may not support this key type.',
      );
    }
    throw this.protocolError(new ProtocolError(`expected success, got ${r.type}`));
  }

  private async simple(frame: Buffer, what: string, hint: string): Promise<void> {
    const r = await this.request(frame, this.quickTimeoutMs);
    if (r.type === 'success') return;
    if (r.type === 'failure') throw this.refused(what, hint);
    throw this.protocolError(new ProtocolError(`expected success, got ${r.type}`));
  }

  removeIdentity(blob: Buffer): Promise<void> {
    return this.simple(encode.remove(blob), 'remove that key', 'The key is not loaded in this agent, or the agent is locked.');
  }

  removeAll(): Promise<void> {
    return this.simple(encode.removeAll(), 'remove all keys', 'The agent may be locked; unlock it first.');
  }

  /**
   * ADD_SMARTCARD_KEY(_CONSTRAINED), what `ssh-add -s` sends: the agent loads the PKCS#11 provider
   * itself and logs in with the PIN (docs/agent-protocol.md §1.11). A refusal does not say why.
   */
  async addSmartcard(provider: string, pin: Buffer, options: Pick<AddOptions, 'lifetimeSeconds' | 'confirm'> = {}): Promise<void> {
    const constraints: Constraint[] = [];
    if (options.lifetimeSeconds) constraints.push({ kind: 'lifetime', seconds: options.lifetimeSeconds });
    if (options.confirm) constraints.push({ kind: 'confirm' });
    const frame = encodeRequest({ type: 'add-smartcard', tokenId: provider, pin, constraints: constraints.length ? constraints : null });
    try {
      // Logging in to a card and reading its keys can take seconds.
      const r = await this.request(frame, this.signTimeoutMs);
      if (r.type === 'success') return;
      if (r.type === 'failure') throw this.refused(`add the PKCS#11 provider ${provider}`, 'The provider may not be in the agent’s allow-list (ssh-agent -P), the PIN may be wrong, or the card is not inserted.');
      throw this.protocolError(new ProtocolError(`expected success, got ${r.type}`));
    } finally {
      frame.fill(0);
    }
  }

  /** REMOVE_SMARTCARD_KEY (`ssh-add -e`): the provider's keys leave the agent. */
  removeSmartcard(provider: string): Promise<void> {
    return this.simple(encodeRequest({ type: 'remove-smartcard', tokenId: provider, pin: Buffer.alloc(0) }), `remove the PKCS#11 provider ${provider}`, 'It was not added to this agent (the path must be the one it was added with), or the agent is locked.');
  }

  lock(passphrase: string): Promise<void> {
    return this.simple(encode.lock(passphrase), 'lock', 'It may already be locked, or the agent does not support locking (Pageant, the Windows agent).');
  }

  async unlock(passphrase: string): Promise<void> {
    const r = await this.request(encode.unlock(passphrase), this.signTimeoutMs);
    if (r.type === 'success') return;
    if (r.type === 'failure') throw new KeyDockError('agent-unlock-failed', `${this.label} did not unlock.`, 'The passphrase is not the one it was locked with, or it is not locked.');
    throw this.protocolError(new ProtocolError(`expected success, got ${r.type}`));
  }

  /** Extension names the agent supports; null when it does not answer `query` (that proves nothing). */
  async query(): Promise<string[] | null> {
    const r = await this.request(encode.extension('query'), this.quickTimeoutMs);
    if (r.type === 'extension') return decodeStringList(r.data);
    if (r.type === 'success-with-data') return decodeStringList(r.data);
    return null;
  }

  close(): void {
    this.broken ??= new KeyDockError('agent-connection-lost', 'The connection was closed.', '');
    this.stream.destroy();
  }
}
