import type { Duplex } from 'node:stream';
import { basename } from 'node:path';
import { FrameDecoder, ProtocolError } from '../codec';
import { ActivityLog } from './activity-log';
import type { Confirmer } from './confirm';
import { AgentEngine, type ConnectionState } from './engine';
import { Keystore } from './keystore';
import { LockState } from './lock-state';
import { Pkcs11Providers, type PinAsker } from './pkcs11-keys';
import { wipeNumbers } from './private-fields';
import type { HostPairingSource } from '../host-pairings';
import type { PassphraseAsker } from './encrypted-keys';
import { decodeEngineRequest, encodeEngineReply, failureFrame } from './protocol';
import type { EngineRequest } from './requests';
import type { AgentConnectionHandler, ClientInfo } from './types';

export interface AgentServerOptions {
  /** Who answers "allow this signature?" for keys added with confirm; default: nobody (deny). */
  confirmer?: Confirmer;
  /** Default 30 s: no answer in time = deny. */
  confirmTimeoutMs?: number;
  /** Lifetime in seconds for keys added without one (ssh-agent -t); default none. */
  defaultLifetimeSeconds?: number;
  /** Ring size of the activity log (default 1000). */
  activityCapacity?: number;
  /** Called when keys are added/removed/expire or the lock changes. */
  onChange?: () => void;
  /** Key ↔ host pairings: known keys listed first to a bound host (main/agent/host-pairings.ts). */
  pairings?: HostPairingSource;
  /** Names a bound host key for prompts and the activity log (main/openssh/host-names.ts HostNameResolver). */
  hostNames?: (hostKey: Buffer) => Promise<string>;
  /** Asks for the passphrase of a key added encrypted (add-ppk, keydock add --encrypted) on its first use; enables PuTTY's extensions. */
  passphraseAsker?: PassphraseAsker;
  /** ssh-agent's -P: which PKCS#11 provider paths may be loaded (default: defaultPkcs11Allowlist()). */
  providerAllowlist?: string;
  /** ssh-agent's -O allow-remote-pkcs11: a forwarded connection (one that sent session-bind) may add a provider. */
  allowRemotePkcs11?: boolean;
  /** Asks for a token's PIN when the agent has none for a re-login (after a lock, a reinserted card). */
  pinAsker?: PinAsker;
  /** FIDO (sk-) keys: SSH_SK_PROVIDER's environment and the PIN prompt; named providers must match providerAllowlist (default ssh-agent's). */
  securityKeys?: { env?: NodeJS.ProcessEnv; pin?: (what: { fingerprint: string; comment: string }) => Promise<string | null> };
  /** Test hook: monotonic clock in ms. */
  now?: () => number;
  /** Test hook: how the unlock delay waits. */
  sleep?: (ms: number) => Promise<void>;
}

/** Pending decoded frames a connection may queue before we stop reading from it. */
const MAX_QUEUED_FRAMES = 32;

/** Requests that carry secrets (ADD_IDENTITY, ADD_ID_CONSTRAINED: private keys; LOCK, UNLOCK: a passphrase; ADD/REMOVE_SMARTCARD_KEY(_CONSTRAINED): a PIN); their bodies are zeroed once answered. */
const SECRET_REQUESTS: ReadonlySet<number> = new Set([17, 25, 22, 23, 20, 21, 26]);

/**
 * KeyDock's own SSH agent: keys in memory only, the full protocol of docs/agent-protocol.md §1, served
 * to any transport through AgentConnectionHandler. Each connection is independent: a slow
 * confirmation on one never holds up another.
 */
export class AgentServer implements AgentConnectionHandler {
  readonly activity: ActivityLog;
  readonly keystore: Keystore;
  readonly lock: LockState;
  /** PKCS#11 providers loaded through ssh-add -s (main/agent/server/pkcs11-keys.ts). */
  readonly pkcs11: Pkcs11Providers;
  private readonly engine: AgentEngine;
  private readonly streams = new Set<Duplex>();
  private closed = false;

  constructor(options: AgentServerOptions = {}) {
    this.activity = new ActivityLog(options.activityCapacity ?? 1000);
    this.keystore = new Keystore(options.now, () => options.onChange?.());
    this.lock = new LockState(options.sleep);
    this.pkcs11 = new Pkcs11Providers({ allowlist: options.providerAllowlist, pinAsker: options.pinAsker });
    this.engine = new AgentEngine({
      pkcs11: this.pkcs11,
      allowRemotePkcs11: options.allowRemotePkcs11,
      securityKeys: { ...options.securityKeys, ...(options.providerAllowlist ? { allowlist: options.providerAllowlist } : {}) },
      keystore: this.keystore,
      lock: this.lock,
      activity: this.activity,
      confirmer: options.confirmer,
      confirmTimeoutMs: options.confirmTimeoutMs,
      defaultLifetimeSeconds: options.defaultLifetimeSeconds,
      now: options.now,
      onChange: options.onChange,
      pairings: options.pairings,
      hostNames: options.hostNames,
      passphraseAsker: options.passphraseAsker,
    });
  }

  /** Swaps who answers confirmations (the UI attaches once it is up). */
  setConfirmer(confirmer: Confirmer): void {
    this.engine.confirmer = confirmer;
  }

  get keyCount(): number {
    return this.keystore.size;
  }

  get locked(): boolean {
    return this.lock.locked;
  }

  get connectionCount(): number {
    return this.streams.size;
  }

  serveStream(stream: Duplex, client: ClientInfo): void {
    if (this.closed) {
      stream.destroy();
      return;
    }
    this.streams.add(stream);
    const conn: ConnectionState = { client: describeClient(client), bindings: [], bindAttempted: false, ownProcess: client.pid === process.pid };
    const decoder = new FrameDecoder({ wipe: true });
    const queue: Buffer[] = [];
    let busy = false;
    let dead = false;
    let ended = false;
    /** A bad length header arrived: answer what came before it, then close (OpenSSH's agent closes as well). */
    let malformed = false;

    const kill = () => {
      if (dead) return;
      dead = true;
      queue.length = 0;
      this.streams.delete(stream);
      stream.destroy();
    };

    // One request at a time per connection, replies in order (docs/agent-protocol.md §1.1).
    const pump = async () => {
      if (busy) return;
      busy = true;
      try {
        while (!dead && queue.length > 0) {
          const body = queue.shift() as Buffer;
          if (!malformed && queue.length < MAX_QUEUED_FRAMES / 2 && stream.isPaused()) stream.resume();
          const reply = await this.answer(body, conn);
          if (dead) break;
          if (!stream.write(reply)) await waitDrain(stream);
        }
        if (malformed && !dead) {
          // Replies written, then the connection goes, whatever the peer still sends.
          dead = true;
          this.streams.delete(stream);
          stream.end(() => stream.destroy());
        } else if (ended && !dead) {
          this.streams.delete(stream);
          stream.end();
        }
      } catch {
        kill();
      } finally {
        busy = false;
      }
    };

    stream.on('data', (chunk: Buffer) => {
      if (dead || malformed) {
        chunk.fill(0);
        return;
      }
      const { frames, error } = decoder.pushUntilError(chunk);
      queue.push(...frames);
      if (error) {
        // Overlong or zero-length frame: the complete requests before it are answered, the bad
        // one gets no reply, and the connection closes. (OpenSSH 9.2's agent closes at once and
        // drops the replies it had made; a client that pipelined deserves its answers.)
        malformed = true;
        this.activity.record({ client: conn.client, operation: 'frame', fingerprint: null, destination: null, outcome: 'denied', detail: 'malformed frame: connection closed' });
      } else if (frames.length === 0) {
        return;
      }
      if (queue.length >= MAX_QUEUED_FRAMES) stream.pause();
      void pump();
    });
    stream.on('error', kill);
    stream.on('close', kill);
    stream.on('end', () => {
      // The peer finished sending: answer what is queued, then close our side.
      ended = true;
      void pump();
    });
  }

  async handleFrame(frame: Buffer, client: ClientInfo): Promise<Buffer> {
    const decoder = new FrameDecoder();
    const frames = splitFrames(decoder, frame);
    if (frames === null || frames.length !== 1 || decoder.pending !== 0) return failureFrame();
    const conn: ConnectionState = { client: describeClient(client), bindings: [], bindAttempted: false };
    return this.answer(frames[0] as Buffer, conn);
  }

  /**
   * Decodes one request body, runs it, and encodes the reply frame; malformed bodies get FAILURE.
   * A body that carried a private key or a passphrase is zeroed afterwards: what the agent keeps
   * (public blob, comment, constraints) is copied out of it, the signing key lives in a KeyObject.
   */
  private async answer(body: Buffer, conn: ConnectionState): Promise<Buffer> {
    let req: EngineRequest | null = null;
    try {
      req = decodeEngineRequest(body);
      if (req === null) {
        this.activity.record({ client: conn.client, operation: `message ${body[0] ?? '?'}`, fingerprint: null, destination: null, outcome: 'denied', detail: 'malformed request' });
        return failureFrame();
      }
      return encodeEngineReply(await this.engine.handle(req, conn));
    } finally {
      if (req?.kind === 'add' && !('error' in req.key)) wipeNumbers(req.key.numbers);
      if (SECRET_REQUESTS.has(body[0] ?? -1)) body.fill(0);
      // PuTTY's add-ppk may carry a key file in clear (other extensions' bodies stay: a session-bind's parsed host key points into it).
      if (req?.kind === 'extension' && req.name.startsWith('add-ppk@')) body.fill(0);
    }
  }

  /** Drops every connection and forgets all keys (agent stopping). */
  close(): void {
    this.closed = true;
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    this.keystore.dispose();
    this.pkcs11.dispose();
  }
}

/** The frames in a chunk, or null once the peer sent a length of 0 or over 256 KiB (close it). */
function splitFrames(decoder: FrameDecoder, chunk: Buffer): Buffer[] | null {
  try {
    return decoder.push(chunk);
  } catch (e) {
    if (e instanceof ProtocolError) return null;
    throw e;
  }
}

function waitDrain(stream: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** `ssh (pid 1234, /usr/bin/ssh)`-style words for logs and prompts. */
export function describeClient(c: ClientInfo): string {
  const parts: string[] = [];
  if (c.pid !== undefined) parts.push(`pid ${c.pid}`);
  if (c.exe) parts.push(c.exe);
  const name = c.exe ? basename(c.exe.replace(/\\/g, '/')) : c.transport;
  return parts.length ? `${name} (${parts.join(', ')})` : name;
}
