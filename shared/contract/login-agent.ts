import { z } from 'zod';
import { Empty, channel } from './define';

// KeyDock's agent as the login agent (docs/login-agent.md): the plan `keydock serve --install`
// and the Settings switch show first, and the steps they ran.

export const LoginAgentStep = z.object({
  /** Stable name of the step: write-socket-unit, ssh-config, systemctl-enable, … */
  id: z.string(),
  /** What the step does, in words. */
  title: z.string(),
  /** The file it writes or removes, when it is about one. */
  path: z.string().nullable(),
  /** The command it runs, when it runs one. */
  command: z.array(z.string()).nullable(),
  /** planned (dry run / plan), done, unchanged (already so), skipped (cannot run here; `message` says why), failed. */
  status: z.enum(['planned', 'done', 'unchanged', 'skipped', 'failed']),
  message: z.string().nullable(),
});
export type LoginAgentStep = z.infer<typeof LoginAgentStep>;

export const LoginAgentReport = z.object({
  action: z.enum(['install', 'uninstall']),
  platform: z.string(),
  /** The socket (or pipe) the login agent serves. */
  socket: z.string(),
  /** Installed before this plan ran (the state file exists). */
  installedBefore: z.boolean(),
  /** Installed now. */
  installed: z.boolean(),
  /** The service manager (systemd user manager, launchd, Windows sign-in) and whether KeyDock can talk to it here. */
  serviceManager: z.object({ name: z.string(), reachable: z.boolean(), reason: z.string().nullable() }),
  steps: z.array(LoginAgentStep),
  /** False when a step failed. */
  ok: z.boolean(),
});
export type LoginAgentReport = z.infer<typeof LoginAgentReport>;

export const loginAgentChannels = {
  /** What turning the login agent on (or off, when installed) would do; changes nothing. */
  'server:login-agent-plan': channel(Empty, LoginAgentReport),
  /** Installs or uninstalls; the report lists each step and whether it ran. */
  'server:login-agent-apply': channel(z.object({ action: z.enum(['install', 'uninstall']) }).strict(), LoginAgentReport),
} as const;
