import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

/** Delay before answering a wrong unlock: 0.1 s per failure so far, at most 10 s (OpenSSH's rule). */
export function unlockDelayMs(failures: number): number {
  return Math.min(failures, 100) * 100;
}

/**
 * The agent's lock (docs/agent-protocol.md §1.8). The passphrase is kept only as a salted PBKDF2 hash; wrong
 * unlocks are answered after a growing delay, and attempts are serialized so parallel
 * connections cannot brute-force faster than one guess per delay.
 */
export class LockState {
  private hash: Buffer | null = null;
  private salt: Buffer | null = null;
  private failures = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))) {}

  get locked(): boolean {
    return this.hash !== null;
  }

  /** Locks with a non-empty passphrase; false if empty or already locked. */
  async lock(passphrase: Buffer): Promise<boolean> {
    return this.serialized(async () => {
      if (this.hash !== null || passphrase.length === 0) return false;
      const salt = randomBytes(16);
      const hash = await hashPassphrase(passphrase, salt);
      if (this.hash !== null) return false;
      this.salt = salt;
      this.hash = hash;
      return true;
    });
  }

  /** Unlocks if locked and the passphrase matches; a wrong one waits before saying no. */
  async unlock(passphrase: Buffer): Promise<boolean> {
    return this.serialized(async () => {
      if (this.hash === null || this.salt === null) return false;
      const attempt = await hashPassphrase(passphrase, this.salt);
      const match = timingSafeEqual(attempt, this.hash);
      attempt.fill(0);
      if (match) {
        this.hash.fill(0);
        this.hash = null;
        this.salt = null;
        this.failures = 0;
        return true;
      }
      this.failures = Math.min(this.failures + 1, 100);
      await this.sleep(unlockDelayMs(this.failures));
      return false;
    });
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

// PBKDF2-HMAC-SHA256 from Node's own crypto: the passphrase goes in as the Buffer it arrived in
// (never a JS string), every byte counts, and no WebAssembly module is loaded for it. Wrong
// guesses are slowed by the unlock delay, not by the KDF.
const PBKDF2_ITERATIONS = 100_000;

function hashPassphrase(passphrase: Buffer, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(passphrase, salt, PBKDF2_ITERATIONS, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key)));
  });
}
