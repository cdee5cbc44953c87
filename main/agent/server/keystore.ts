import type { Signer } from '../../keys/sign';

/** One `restrict-destination-v00@openssh.com` hop as the agent checks it (docs/agent-protocol.md §1.5, §1.7). */
export interface DestinationHop {
  /** null when the wire string was empty (OpenSSH treats empty as absent). */
  user: string | null;
  hostname: string | null;
  keys: Array<{ blob: Buffer; isCa: boolean }>;
}

export interface DestinationConstraint {
  from: DestinationHop;
  to: DestinationHop;
}

/** A key the agent holds: public identity, how to sign, and its constraints. Never serialized. */
export interface StoredIdentity {
  publicBlob: Buffer;
  /** Key type as listed (`ssh-ed25519`, `ssh-rsa-cert-v01@openssh.com`, …). */
  type: string;
  comment: string;
  /** SHA256 fingerprint (of the certified key for certificates), for logs and prompts. */
  fingerprint: string;
  signer: Signer;
  confirm: boolean;
  /** Monotonic deadline in ms (performance.now()), null = no lifetime. */
  expiresAt: number | null;
  destinations: DestinationConstraint[];
  /** For a key on a PKCS#11 token: the provider's canonical path (remove-smartcard removes its keys). */
  provider?: string;
}

/** What a keystore tells its owner after keys vanish on their own (lifetime). */
export type KeystoreListener = (event: { kind: 'expired'; identity: StoredIdentity }) => void;

/** setTimeout's longest delay (2^31-1 ms, about 24.8 days); longer ones would fire at once with a TimeoutOverflowWarning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Keys in memory, in the order they were first added (re-adding keeps the place, as
 * OpenSSH does), with lifetime expiry on a monotonic clock.
 *
 * Expiry has one scheduler: a single unref'd timer armed for the earliest deadline. A deadline
 * further away than setTimeout can wait (about 24.8 days; `ssh-add -t 30d`, `-t 4w`) is reached
 * in steps of at most MAX_TIMER_MS: the timer wakes, finds nothing due, and re-arms for what is
 * left. So any lifetime costs one wake-up per 24.8 days, and a key goes within a second of its
 * deadline (a millisecond or two, timer resolution permitting).
 */
export class Keystore {
  private readonly keys = new Map<string, StoredIdentity>();
  private timer: NodeJS.Timeout | null = null;
  /** The deadline the armed timer works towards (Infinity when none is armed). */
  private timerAt = Infinity;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly onExpired: KeystoreListener = () => {},
  ) {}

  /** Adds or replaces a key (same public blob = same key); returns true when it replaced one. */
  add(identity: StoredIdentity): boolean {
    this.expire();
    const id = blobId(identity.publicBlob);
    const replaced = this.keys.has(id);
    this.keys.set(id, identity);
    this.schedule();
    return replaced;
  }

  /** Looks a key up by its exact public blob; expired keys are gone. */
  get(blob: Buffer): StoredIdentity | undefined {
    this.expire();
    return this.keys.get(blobId(blob));
  }

  /** Forgets one key. Its signer (a KeyObject) is dropped; the private bytes it holds live in OpenSSL, out of reach of JavaScript. */
  remove(blob: Buffer): StoredIdentity | undefined {
    const id = blobId(blob);
    const found = this.keys.get(id);
    if (found) {
      this.keys.delete(id);
      this.schedule();
    }
    return found;
  }

  removeAll(): number {
    this.expire();
    const n = this.keys.size;
    this.keys.clear();
    this.schedule();
    return n;
  }

  list(): StoredIdentity[] {
    this.expire();
    return [...this.keys.values()];
  }

  get size(): number {
    this.expire();
    return this.keys.size;
  }

  /** When the expiry timer will next wake (ms on this keystore's clock), Infinity when no key has a lifetime; for tests. */
  get nextWakeAt(): number {
    return this.timer ? this.timerAt : Infinity;
  }

  /** Stops the expiry timer (agent shutdown); keys are dropped too, so nothing lingers. */
  dispose(): void {
    this.disarm();
    this.keys.clear();
  }

  private expire(): void {
    const now = this.now();
    let changed = false;
    for (const [id, key] of this.keys) {
      if (key.expiresAt !== null && key.expiresAt <= now) {
        this.keys.delete(id);
        changed = true;
        this.onExpired({ kind: 'expired', identity: key });
      }
    }
    if (changed) this.schedule();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  /** Arms the one timer for the earliest deadline (or nothing), never for longer than setTimeout allows. */
  private schedule(): void {
    let next = Infinity;
    for (const key of this.keys.values()) if (key.expiresAt !== null && key.expiresAt < next) next = key.expiresAt;
    if (next === Infinity) {
      this.disarm();
      return;
    }
    if (this.timer && next === this.timerAt) return;
    this.disarm();
    this.timerAt = next;
    // ceil: a timer never fires before its delay, so a due key is due when it wakes (at worst one more 1 ms step).
    const delay = Math.min(Math.max(1, Math.ceil(next - this.now())), MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.expire();
      this.schedule();
    }, delay);
    this.timer.unref?.();
  }
}

function blobId(blob: Buffer): string {
  return blob.toString('latin1');
}
