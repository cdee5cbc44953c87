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
    const require = (this.env.SSH_ASKPASS_REQUIRE ?? '').toLowerCase();
    if (require === 'never') return 'SSH_ASKPASS_REQUIRE=never';
    if (require === 'force') return null;
    if (this.env.DISPLAY || this.env.WAYLAND_DISPLAY) return null;
    return 'no DISPLAY or WAYLAND_DISPLAY to show an askpass window on';
  }

  confirm(prompt: ConfirmPrompt, signal: AbortSignal): Promise<boolean> {
    if (this.unavailableReason() !== null) return Promise.resolve(false);
    const program = this.env.SSH_ASKPASS || DEFAULT_ASKPASS;
    return new Promise((resolve) => {
      let out = '';
      let settled = false;
      const done = (allow: boolean) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(allow);
      };
      const child = spawn(program, [askpassPromptText(prompt)], {
        env: { ...this.env, SSH_ASKPASS_PROMPT: 'confirm' },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const onAbort = () => {
        child.kill('SIGKILL');
        done(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        if (out.length < 1024) out += d;
      });
      child.on('error', () => done(false));
      child.on('close', (code) => {
        const answer = out.split(/[\r\n]/)[0] ?? '';
        done(code === 0 && (answer === '' || answer.toLowerCase() === 'yes'));
      });
    });
  }
}
