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
}

/** What a keystore tells its owner after keys vanish on their own (lifetime). */
export type KeystoreListener = (event: { kind: 'expired'; identity: StoredIdentity }) => void;

/**
 * Keys in memory, in the order they were first added (re-adding keeps the place, as
 * OpenSSH does), with lifetime expiry on a monotonic clock.
 */
export class Keystore {
  private readonly keys = new Map<string, StoredIdentity>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly onExpired: KeystoreListener = () => {},
  ) {}

  /** Adds or replaces a key (same public blob = same key); returns true when it replaced one. */
  add(identity: StoredIdentity): boolean {
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

  remove(blob: Buffer): StoredIdentity | undefined {
    const id = blobId(blob);
    const found = this.keys.get(id);
    if (found) this.keys.delete(id);
    return found;
  }

  removeAll(): number {
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

  /** Stops the expiry timer (agent shutdown); keys are dropped too, so nothing lingers. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.keys.clear();
  }

  private expire(): void {
    const now = this.now();
    for (const [id, key] of this.keys) {
      if (key.expiresAt !== null && key.expiresAt <= now) {
        this.keys.delete(id);
        this.onExpired({ kind: 'expired', identity: key });
      }
    }
  }

  /** One timer for the earliest deadline, so an idle agent still forgets keys on time. */
  private schedule(): void {
    let next = Infinity;
    for (const key of this.keys.values()) if (key.expiresAt !== null && key.expiresAt < next) next = key.expiresAt;
    if (next === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = next;
    if (next === Infinity) return;
    const delay = Math.max(0, Math.min(next - this.now(), 2 ** 31 - 1));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.expire();
      this.schedule();
    }, delay + 1);
    this.timer.unref();
  }
}

function blobId(blob: Buffer): string {
  return blob.toString('latin1');
}
