import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Delay before answering a wrong unlock: 0.1 s per failure so far, at most 10 s (OpenSSH's rule). */
export function unlockDelayMs(failures: number): number {
  return Math.min(failures, 100) * 100;
}

/**
 * The agent's lock (docs/agent-protocol.md §1.8). The passphrase is kept only as a salted bcrypt hash; wrong
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

// bcrypt reads at most 72 bytes and stops at NUL; hashing first keeps every byte significant.
// The pre-hash goes to bcrypt as 64 hex digits in a Buffer (never a JS string, which could not
// be wiped), and every intermediate is zeroed.
async function hashPassphrase(passphrase: Buffer, salt: Buffer): Promise<Buffer> {
  const digest = createHash('sha256').update(passphrase).digest();
  const pre = hexDigits(digest);
  digest.fill(0);
  try {
    const { bcrypt } = await import('hash-wasm');
    const out = await bcrypt({ password: pre, salt, costFactor: 8, outputType: 'binary' });
    const hash = Buffer.from(out);
    out.fill(0);
    return hash;
  } finally {
    pre.fill(0);
  }
}

const HEX = Buffer.from('0123456789abcdef');

function hexDigits(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    out[2 * i] = HEX[b >> 4] as number;
    out[2 * i + 1] = HEX[b & 15] as number;
  }
  return out;
}
