// Keys held encrypted until first use (Pageant's "encrypted" keys): the agent keeps the key file
// as it came (PPK or OpenSSH, still encrypted) and its public half; the first signature asks for
// the passphrase, decrypts, and keeps the signing key until "re-encrypt" drops it again.
import { randomUUID } from 'node:crypto';
import { openKeyData } from '../../keys/load';
import { describePublicBlob } from '../../keys/format';
import { createSigner, signingNumbers, type Signer } from '../../keys/sign';
import { KeyDockError } from '../../util/errors';
import { askpassLine } from './askpass';
import { wipeNumbers } from './private-fields';

/** What the person is asked: which key needs its passphrase. */
export interface PassphrasePrompt {
  fingerprint: string;
  comment: string;
  /** 0 for the first question, 1 after a wrong passphrase, … */
  attempt: number;
  /** What is asked: a key file's passphrase (the default) or a FIDO security key's PIN. */
  secret?: 'passphrase' | 'security-key-pin';
}

/** Resolves to the passphrase, or null when the person declined (or nobody answered in time). */
export type PassphraseAsker = (prompt: PassphrasePrompt, signal: AbortSignal) => Promise<string | null>;

export const PASSPHRASE_TIMEOUT_MS = 60_000;
const MAX_ATTEMPTS = 3;

/**
 * Asks the keychain first (a passphrase the user chose to remember, by key fingerprint), then
 * ASK. A wrong remembered passphrase is not the person's typo: their first prompt reads as a
 * first prompt.
 */
export function keychainFirst(ask: PassphraseAsker, remembered: (fingerprint: string) => Promise<string | null>): PassphraseAsker {
  // Keys whose current unlock began with a remembered passphrase (so the keychain is asked once).
  const fromKeychain = new Set<string>();
  return async (prompt, signal) => {
    // The keychain holds key-file passphrases by fingerprint, never a security key's PIN.
    if (prompt.secret === 'security-key-pin') return ask(prompt, signal);
    if (prompt.attempt === 0) {
      const stored = await remembered(prompt.fingerprint).catch(() => null);
      if (stored !== null) {
        fromKeychain.add(prompt.fingerprint);
        return stored;
      }
      fromKeychain.delete(prompt.fingerprint);
      return ask(prompt, signal);
    }
    // Attempt 1 after a remembered passphrase failed is the person's first question.
    return ask({ ...prompt, attempt: fromKeychain.has(prompt.fingerprint) ? prompt.attempt - 1 : prompt.attempt }, signal);
  };
}

/** Thrown by EncryptedKeySigner.sign when no passphrase came: that signature fails, nothing else. */
export class PassphraseNotGivenError extends Error {}

/**
 * A signer for a key kept encrypted: decrypts on the first signature (one prompt even when several
 * signatures wait at once), then signs like any other key until reencrypt().
 */
export class EncryptedKeySigner implements Signer {
  readonly kind: Signer['kind'];
  readonly bits: number;
  private decrypted: Signer | null = null;
  private unlocking: Promise<Signer> | null = null;

  constructor(
    private readonly file: Buffer,
    readonly publicBlob: Buffer,
    readonly fingerprint: string,
    readonly comment: string,
    private readonly ask: PassphraseAsker,
    private readonly timeoutMs = PASSPHRASE_TIMEOUT_MS,
  ) {
    const info = describePublicBlob(publicBlob);
    const t = info.keyType;
    this.kind = t === 'ssh-ed25519' ? 'ed25519' : t.startsWith('ecdsa-') ? 'ecdsa' : t === 'ssh-rsa' ? 'rsa' : (() => {
      throw new KeyDockError('key-unsupported', `KeyDock cannot sign with ${t} keys.`, 'Use an Ed25519, ECDSA or RSA key.');
    })();
    this.bits = info.bits;
  }

  /** Is the decrypted key held right now? */
  get isDecrypted(): boolean {
    return this.decrypted !== null;
  }

  async sign(data: Buffer, flags: number): Promise<Buffer> {
    const signer = this.decrypted ?? (await (this.unlocking ??= this.unlock().finally(() => (this.unlocking = null))));
    return signer.sign(data, flags);
  }

  /** Forgets the decrypted key; the next signature asks again. */
  reencrypt(): void {
    this.decrypted = null;
  }

  private async unlock(): Promise<Signer> {
    const reader = openKeyData(this.file, null);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.timeoutMs);
      let pass: string | null;
      try {
        pass = await Promise.race([
          this.ask({ fingerprint: this.fingerprint, comment: this.comment, attempt }, controller.signal).catch(() => null),
          new Promise<null>((resolve) => controller.signal.addEventListener('abort', () => resolve(null), { once: true })),
        ]);
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
      if (pass === null) throw new PassphraseNotGivenError('no passphrase given');
      let parsed;
      try {
        parsed = await reader.decrypt(pass);
      } catch (e) {
        if (e instanceof KeyDockError && e.code === 'key-wrong-passphrase') continue;
        throw e;
      }
      const numbers = signingNumbers(parsed.material);
      if (!numbers) throw new KeyDockError('key-unsupported', 'KeyDock cannot sign with this key type.', 'Use an Ed25519, ECDSA or RSA key.');
      try {
        this.decrypted = createSigner(numbers);
      } finally {
        wipeNumbers(numbers);
      }
      return this.decrypted;
    }
    throw new PassphraseNotGivenError('wrong passphrase');
  }
}

/** The words of the passphrase question (askpass argument, window prompt). */
export function passphrasePromptText(p: PassphrasePrompt): string {
  // An OpenSSH key file keeps its comment inside the encrypted part: then only the fingerprint names it.
  const name = p.comment ? `${p.comment} (${p.fingerprint})` : p.fingerprint;
  if (p.secret === 'security-key-pin') return `${p.attempt > 0 ? 'Wrong PIN. ' : ''}Enter the PIN of the security key for ${name}:`;
  return `${p.attempt > 0 ? 'Wrong passphrase. ' : ''}Enter passphrase to decrypt key ${name} for its first use:`;
}

/**
 * Asks with `$SSH_ASKPASS` (as ssh-add does: the prompt as argument, the passphrase on stdout,
 * exit 0); null when askpass cannot run here, exits non-zero, or the signal aborts.
 */
export function askpassPassphraseAsker(env: NodeJS.ProcessEnv): PassphraseAsker {
  return async (prompt, signal) => {
    const line = await askpassLine(env, passphrasePromptText(prompt), { maxBytes: 8192 }, signal);
    if (line === null) return null;
    const passphrase = line.toString('utf8');
    line.fill(0);
    return passphrase;
  };
}

/**
 * Client side of `keydock add --encrypted FILE`: hands the key file, still encrypted, to an agent
 * that knows PuTTY's add-ppk extension (KeyDock's own agent, Pageant); it asks for the
 * passphrase on the key's first use. Resolves when the agent accepted it.
 */
export async function addEncryptedKeyFile(agentPath: string, file: Buffer, timeoutMs = 10_000): Promise<void> {
  const [{ openAgentStream }, { encode, decodeReply, FrameDecoder }] = await Promise.all([import('../stream'), import('../codec')]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(file.length);
  const request = encode.extension('add-ppk@putty.projects.tartarus.org', Buffer.concat([len, file]));
  const stream = await openAgentStream(agentPath);
  try {
    const body = await new Promise<Buffer>((resolve, reject) => {
      const decoder = new FrameDecoder();
      const timer = setTimeout(() => reject(new KeyDockError('agent-timeout', 'The agent did not answer within 10 s.', 'Check that the agent is running.')), timeoutMs);
      stream.on('data', (chunk: Buffer) => {
        const frames = decoder.push(chunk);
        if (frames[0]) {
          clearTimeout(timer);
          resolve(frames[0]);
        }
      });
      stream.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      stream.on('close', () => {
        clearTimeout(timer);
        reject(new KeyDockError('agent-closed', 'The agent closed the connection.', 'Check that the agent is running.'));
      });
      stream.write(request);
    });
    const reply = decodeReply(body);
    if (reply.type !== 'success' && reply.type !== 'success-with-data') {
      throw new KeyDockError('agent-refused', 'The agent refused the encrypted key.', 'Only KeyDock\'s own agent (keydock serve) and Pageant keep keys encrypted until first use; OpenSSH\'s ssh-agent does not. Is the key already in the agent?');
    }
  } finally {
    request.fill(0);
    stream.destroy();
  }
}

/** A passphrase question waiting for the window. */
export interface PendingPassphrase {
  requestId: string;
  prompt: PassphrasePrompt;
  expiresAt: number;
}

/**
 * Passphrase questions answered by the window (the app's agent): each gets an id, is announced
 * (the app turns it into a `server:confirm-request` of kind "passphrase"), and waits for
 * answer(id, passphrase | null). No answer in time is a refusal.
 */
export class UiPassphraseAsker {
  private readonly pending = new Map<string, (passphrase: string | null) => void>();

  constructor(
    private readonly hooks: { onRequest: (p: PendingPassphrase) => void; onClosed: (requestId: string, answered: boolean) => void },
    private readonly timeoutMs = PASSPHRASE_TIMEOUT_MS,
  ) {}

  readonly ask: PassphraseAsker = (prompt, signal) =>
    new Promise((resolve) => {
      const requestId = randomUUID();
      const finish = (passphrase: string | null) => {
        if (!this.pending.delete(requestId)) return;
        signal.removeEventListener('abort', onAbort);
        this.hooks.onClosed(requestId, passphrase !== null);
        resolve(passphrase);
      };
      const onAbort = () => finish(null);
      this.pending.set(requestId, finish);
      signal.addEventListener('abort', onAbort, { once: true });
      this.hooks.onRequest({ requestId, prompt, expiresAt: Date.now() + this.timeoutMs });
      if (signal.aborted) finish(null);
    });

  /** The window's answer; false when the question is no longer open. */
  answer(requestId: string, passphrase: string | null): boolean {
    const finish = this.pending.get(requestId);
    if (!finish) return false;
    finish(passphrase);
    return true;
  }

  denyAll(): void {
    for (const finish of [...this.pending.values()]) finish(null);
  }
}
