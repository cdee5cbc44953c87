import { spawn } from 'node:child_process';
import type { ConfirmPrompt, Confirmer } from './confirm';

const DEFAULT_ASKPASS = '/usr/bin/ssh-askpass';

/** OpenSSH's own confirmation wording (ssh-agent.c), plus where the request comes from. */
export function askpassPromptText(p: ConfirmPrompt): string {
  let text = `Allow use of key ${p.comment}?\nKey fingerprint ${p.fingerprint}.`;
  if (p.destination) text += `\nRequested for ${p.destination}.`;
  text += `\nRequested by ${p.client}.`;
  return text;
}

/** Why `$SSH_ASKPASS` cannot be used in ENV (OpenSSH's readpass.c rules), or null when it can. */
export function askpassUnavailableReason(env: NodeJS.ProcessEnv): string | null {
  const require = (env.SSH_ASKPASS_REQUIRE ?? '').toLowerCase();
  if (require === 'never') return 'SSH_ASKPASS_REQUIRE=never';
  if (require === 'force') return null;
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return null;
  return 'no DISPLAY or WAYLAND_DISPLAY to show an askpass window on';
}

/**
 * Runs `$SSH_ASKPASS` (default /usr/bin/ssh-askpass) with TEXT as its argument, as OpenSSH does
 * for every agent question: `SSH_ASKPASS_PROMPT=confirm` for a yes/no question, unset otherwise.
 * Resolves the first line it printed (at most about MAXBYTES are kept; a trailing CR dropped)
 * as bytes when it exits 0; null when askpass cannot be used here, fails, exits non-zero or the
 * signal aborts (the child is killed). Everything read is wiped once the line is copied out; the
 * caller owns the line (a passphrase or PIN: wipe it after use).
 */
export function askpassLine(env: NodeJS.ProcessEnv, text: string, options: { confirm?: boolean; maxBytes: number }, signal: AbortSignal): Promise<Buffer | null> {
  if (askpassUnavailableReason(env) !== null) return Promise.resolve(null);
  const childEnv = { ...env };
  if (options.confirm) childEnv.SSH_ASKPASS_PROMPT = 'confirm';
  else delete childEnv.SSH_ASKPASS_PROMPT;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (line: Buffer | null) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      for (const c of chunks) c.fill(0);
      resolve(line);
    };
    const child = spawn(env.SSH_ASKPASS || DEFAULT_ASKPASS, [text], { env: childEnv, stdio: ['ignore', 'pipe', 'ignore'] });
    const onAbort = () => {
      child.kill('SIGKILL');
      done(null);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      if (size < options.maxBytes) chunks.push(d);
      size += d.length;
    });
    child.on('error', () => done(null));
    child.on('close', (code) => {
      if (code !== 0) return done(null);
      const all = Buffer.concat(chunks);
      const nl = all.indexOf(0x0a);
      const end = nl < 0 ? all.length : nl > 0 && all[nl - 1] === 0x0d ? nl - 1 : nl;
      const line = Buffer.from(all.subarray(0, end));
      all.fill(0);
      done(line);
    });
  });
}

/**
 * Confirmation the way OpenSSH's agent asks (readpass.c): run `$SSH_ASKPASS` (default
 * /usr/bin/ssh-askpass) with the prompt as argument and `SSH_ASKPASS_PROMPT=confirm`; allowed
 * when it exits 0 printing nothing or "yes". Needs DISPLAY/WAYLAND_DISPLAY unless
 * SSH_ASKPASS_REQUIRE=force; SSH_ASKPASS_REQUIRE=never disables it (= deny).
 */
export class AskpassConfirmer implements Confirmer {
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Why askpass cannot be used in this environment, or null when it can. */
  unavailableReason(): string | null {
    return askpassUnavailableReason(this.env);
  }

  async confirm(prompt: ConfirmPrompt, signal: AbortSignal): Promise<boolean> {
    const line = await askpassLine(this.env, askpassPromptText(prompt), { confirm: true, maxBytes: 1024 }, signal);
    if (line === null) return false;
    const answer = line.toString('utf8').split('\r')[0] ?? '';
    return answer === '' || answer.toLowerCase() === 'yes';
  }
}
