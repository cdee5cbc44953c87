import { randomUUID } from 'node:crypto';

/** What the person is asked to allow: which key, for whom, to where. No key material. */
export interface ConfirmPrompt {
  fingerprint: string;
  comment: string;
  keyType: string;
  /** The requesting process in words, e.g. `ssh (pid 1234, /usr/bin/ssh)`. */
  client: string;
  /** Destination host when session-bind and the key's constraints tell us, else null. */
  destination: string | null;
}

/** Whoever answers "allow this signature?": the UI, or `$SSH_ASKPASS` for headless serve. */
export interface Confirmer {
  /** Resolves true to allow; must stop asking (and resolve) once `signal` aborts. */
  confirm(prompt: ConfirmPrompt, signal: AbortSignal): Promise<boolean>;
}

export const CONFIRM_TIMEOUT_MS = 30_000;

/** Asks with a deadline: no answer in time, or any error while asking, is a denial. */
export async function confirmWithTimeout(confirmer: Confirmer, prompt: ConfirmPrompt, timeoutMs = CONFIRM_TIMEOUT_MS): Promise<boolean> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(false);
    }, timeoutMs);
  });
  try {
    return await Promise.race([confirmer.confirm(prompt, controller.signal).catch(() => false), timedOut]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** A confirmer that refuses everything: what an agent without any way to ask must do. */
export const denyAll: Confirmer = { confirm: async () => false };

export interface PendingConfirm {
  requestId: string;
  prompt: ConfirmPrompt;
  expiresAt: number;
}

/**
 * Confirmations answered by a UI: each question gets an id, is announced to listeners
 * (the IPC layer turns it into `server:confirm-request`), and waits for `answer(id, allow)`.
 */
export class UiConfirmer implements Confirmer {
  private readonly pending = new Map<string, { resolve: (allow: boolean) => void; info: PendingConfirm }>();

  constructor(
    private readonly hooks: {
      onRequest: (p: PendingConfirm) => void;
      onClosed: (requestId: string, allowed: boolean) => void;
    },
    private readonly timeoutMs = CONFIRM_TIMEOUT_MS,
  ) {}

  confirm(prompt: ConfirmPrompt, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const requestId = randomUUID();
      const info = { requestId, prompt, expiresAt: Date.now() + this.timeoutMs };
      const finish = (allow: boolean) => {
        if (!this.pending.delete(requestId)) return;
        signal.removeEventListener('abort', onAbort);
        this.hooks.onClosed(requestId, allow);
        resolve(allow);
      };
      const onAbort = () => finish(false);
      this.pending.set(requestId, { resolve: finish, info });
      signal.addEventListener('abort', onAbort, { once: true });
      this.hooks.onRequest(info);
      if (signal.aborted) finish(false);
    });
  }

  /** The UI's answer; false when the question is no longer open (answered or timed out). */
  answer(requestId: string, allow: boolean): boolean {
    const p = this.pending.get(requestId);
    if (!p) return false;
    p.resolve(allow);
    return true;
  }

  /** Questions still waiting (a UI that opens late shows them). */
  list(): PendingConfirm[] {
    return [...this.pending.values()].map((p) => p.info);
  }

  /** Denies everything still open (agent stopping). */
  denyAll(): void {
    for (const p of [...this.pending.values()]) p.resolve(false);
  }
}
