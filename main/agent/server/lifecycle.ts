// KeyDock's own agent inside a long-running process (the app, `keydock ui`): at most one running,
// its confirm queue answered from the window, its activity kept after a stop. `keydock serve`
// runs the same agent without this service (own-agent.ts).
import type { ActivityEntry, ServerStatus } from '../../../shared/contract/server';
import type { Runtime } from '../../config/runtime';
import { KeyDockError } from '../../util/errors';
import type { ActivityLog } from './activity-log';
import { UiConfirmer } from './confirm';
import type { PassphraseAsker, PassphrasePrompt, UiPassphraseAsker } from './encrypted-keys';
import type { RunningAgent } from './own-agent';
import type { PinAsker } from './pkcs11-keys';

/** Starts, stops and reports on the own agent of one context. */
export class OwnAgentService {
  private agent: RunningAgent | null = null;
  private starting: Promise<RunningAgent> | null = null;
  private readonly confirmer: UiConfirmer;
  /** Passphrases of keys kept encrypted until first use, asked in the window. */
  private passphrases: UiPassphraseAsker | null = null;
  /** PINs of smartcards that need a new login (a card reinserted after a lock), asked in the window. */
  private pins: UiPassphraseAsker | null = null;
  /** Kept after a stop so the activity view still shows what happened. */
  private activity: ActivityLog | null = null;
  private unsubscribe: (() => void) | null = null;

  /**
   * @param remembered looks up a passphrase the user asked KeyDock to remember (the keychain), for
   *   keys kept encrypted until first use; null where there is no keychain.
   */
  constructor(
    private readonly rt: Runtime,
    private readonly remembered: ((fingerprint: string) => Promise<string | null>) | null = null,
  ) {
    this.confirmer = new UiConfirmer({
      onRequest: (p) =>
        rt.events.emit('server:confirm-request', {
          requestId: p.requestId,
          fingerprint: p.prompt.fingerprint,
          comment: p.prompt.comment,
          keyType: p.prompt.keyType,
          client: p.prompt.client,
          destination: p.prompt.destination,
          expiresAt: p.expiresAt,
        }),
      onClosed: (requestId, allowed) => rt.events.emit('server:confirm-closed', { requestId, allowed }),
    });
  }

  /** The keychain (a remembered passphrase), then the window. */
  private async keychainThenWindow(): Promise<PassphraseAsker> {
    const { keychainFirst } = await import('./encrypted-keys');
    const window = await this.passphraseAsker();
    const remembered = this.remembered;
    return remembered ? keychainFirst(window.ask, (fp) => remembered(fp)) : window.ask;
  }

  /**
   * A question asked in the window (the confirm modal): each prompt becomes a
   * server:confirm-request event with the words `describe` gives it, and its answer or
   * withdrawal a server:confirm-closed one.
   */
  private async windowAsker(describe: (prompt: PassphrasePrompt) => { client: string; kind: 'passphrase' | 'pin' | 'security-key-pin' }): Promise<UiPassphraseAsker> {
    const { UiPassphraseAsker } = await import('./encrypted-keys');
    const rt = this.rt;
    return new UiPassphraseAsker({
      onRequest: (p) =>
        rt.events.emit('server:confirm-request', {
          requestId: p.requestId,
          fingerprint: p.prompt.fingerprint,
          comment: p.prompt.comment,
          keyType: '',
          destination: null,
          expiresAt: p.expiresAt,
          ...describe(p.prompt),
        }),
      onClosed: (requestId, answered) => rt.events.emit('server:confirm-closed', { requestId, allowed: answered }),
    });
  }

  /** The window's passphrase asker (and a verify-required security key's PIN), made on first start (the key readers load only then). */
  private async passphraseAsker(): Promise<UiPassphraseAsker> {
    // Made after the await, kept only if no concurrent first call made one meanwhile.
    const asker = await this.windowAsker((prompt) =>
      prompt.secret === 'security-key-pin'
        ? { kind: 'security-key-pin', client: prompt.attempt > 0 ? 'the PIN was wrong: try again' : 'a signature with a security key that needs its PIN' }
        : { kind: 'passphrase', client: prompt.attempt > 0 ? 'the passphrase was wrong: try again' : 'first use of a key kept encrypted' },
    );
    this.passphrases ??= asker;
    return this.passphrases;
  }

  /** The window's PIN question for a smartcard (docs/hardware-keys.md): the provider and the token's label, never a key. */
  private async pinAsker(): Promise<PinAsker> {
    const asker = await this.windowAsker(() => ({ kind: 'pin', client: 'a signature with a smartcard key that needs its PIN again' }));
    const pins = (this.pins ??= asker);
    return async (prompt, signal) => {
      const pin = await pins.ask({ fingerprint: prompt.provider, comment: prompt.token, attempt: 0 }, signal);
      return pin ? Buffer.from(pin, 'utf8') : null;
    };
  }

  status(): ServerStatus {
    const a = this.agent;
    return { running: a !== null, socketPath: a?.socketPath ?? null, keyCount: a?.server.keyCount ?? 0, locked: a?.server.locked ?? false };
  }

  /** Starts the agent (on `socketPath` or the default socket); a second start is a no-op. */
  async start(socketPath?: string): Promise<ServerStatus> {
    if (this.starting) await this.starting.catch(() => undefined);
    if (this.agent) {
      if (socketPath && socketPath !== this.agent.socketPath) {
        throw new KeyDockError('agent-already-running', `KeyDock's agent already runs on ${this.agent.socketPath}.`, 'Stop it first to move it to another socket.');
      }
      return this.status();
    }
    // Loaded on first start: the CLI's other commands never pay for the server and its transports.
    const { startOwnAgent } = await import('./own-agent');
    const { HostPairingStore, pairingsFiles } = await import('../host-pairings');
    const pairings = new HostPairingStore(pairingsFiles(this.rt.env, this.rt.paths).app);
    const { HostNameResolver, defaultKnownHostsFiles, sshConfigCandidates } = await import('../../openssh/host-names');
    const sshDir = this.rt.paths.sshDir;
    const names = new HostNameResolver(defaultKnownHostsFiles(sshDir), () => sshConfigCandidates(sshDir));
    this.starting = startOwnAgent({ env: this.rt.env, socketPath, server: { confirmer: this.confirmer, pairings, hostNames: (k) => names.describe(k), passphraseAsker: await this.keychainThenWindow(), pinAsker: await this.pinAsker() } });
    try {
      const agent = await this.starting;
      this.agent = agent;
      this.activity = agent.server.activity;
      this.unsubscribe = agent.server.activity.subscribe((e) => this.rt.events.emit('server:activity', e));
    } finally {
      this.starting = null;
    }
    return this.status();
  }

  /** Starts the agent when the user's settings ask KeyDock to run its own. */
  async startIfEnabled(): Promise<void> {
    if ((await this.rt.settings.get()).runOwnAgent) await this.start();
  }

  /** Stops the agent (its keys are forgotten) and denies any pending confirmation. */
  async stop(): Promise<ServerStatus> {
    if (this.starting) await this.starting.catch(() => undefined);
    const a = this.agent;
    this.agent = null;
    this.confirmer.denyAll();
    this.passphrases?.denyAll();
    this.unsubscribe?.();
    this.unsubscribe = null;
    await a?.stop();
    return this.status();
  }

  /** Drops every key (screen lock, sleep, idle); the number dropped. */
  removeAllKeys(): number {
    return this.agent ? this.agent.server.keystore.removeAll() : 0;
  }

  listActivity(filter: { fingerprint?: string } = {}): ActivityEntry[] {
    return this.activity?.list(filter.fingerprint ? { fingerprint: filter.fingerprint } : {}) ?? [];
  }

  /** The window's answer to a confirm prompt. */
  answerConfirm(requestId: string, allow: boolean, passphrase?: string): void {
    const secret = allow ? (passphrase ?? '') : null;
    if (!this.confirmer.answer(requestId, allow) && !this.passphrases?.answer(requestId, secret) && !this.pins?.answer(requestId, secret)) {
      throw new KeyDockError('confirm-not-pending', 'That confirmation is no longer waiting for an answer.', 'It was answered already or timed out after 30 seconds; ask again from the program that wanted the key.');
    }
  }
}
