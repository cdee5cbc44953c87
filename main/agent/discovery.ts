import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentInfo, AgentKind } from '../../shared/models';
import type { Runtime } from '../config/runtime';
import { resolveSshConfig } from '../openssh/ssh-config';
import { OPENSSH_AGENT_PIPE } from '../platform/windows/pipe-names';
import { AgentLockRecord, probeAgent } from './probe';
import { PAGEANT_ID } from './stream';

/** The host whose settings stand for "what ssh uses" when no host is named (most users mean their Git host). */
const REFERENCE_HOST = 'github.com';

export interface AgentTarget {
  path: string;
  source: 'config' | 'env' | 'windows-default';
}

/** The agent `ssh` would use: IdentityAgent from ~/.ssh/config, else SSH_AUTH_SOCK (Windows: the OpenSSH pipe). */
export async function agentSshWillUse(ctx: Runtime): Promise<AgentTarget | null> {
  try {
    const host = await resolveSshConfig(REFERENCE_HOST, { home: ctx.paths.home, env: ctx.env });
    if (host.identityAgent && host.identityAgentSource !== 'none') return { path: host.identityAgent, source: host.identityAgentSource === 'config' ? 'config' : 'env' };
  } catch {
    // An unreadable config is the doctor's business; fall back to the environment.
  }
  if (ctx.env.SSH_AUTH_SOCK) return { path: ctx.env.SSH_AUTH_SOCK, source: 'env' };
  if (ctx.platform === 'win32') return { path: OPENSSH_AGENT_PIPE, source: 'windows-default' };
  return null;
}

/** Where KeyDock's own agent listens by default (the app's, and `keydock serve` without -a), or null. */
function keydockSocketPath(ctx: Runtime): string | null {
  const runtime = ctx.env.XDG_RUNTIME_DIR;
  return runtime ? join(runtime, 'keydock', 'agent.sock') : null;
}

/** `keydock serve`'s own socket when no -a is given: a fresh `keydock-XXXXXX/agent.PID` in the temp folder. */
const SERVE_SOCKET = /[\\/]keydock-[A-Za-z0-9]{6}[\\/]agent\.\d+$/;

/**
 * Is PATH one of KeyDock's own agents, by where it listens (the app's well-known socket, or a
 * `keydock serve` socket)? KeyDock's agent answers the `query` extension whenever it is
 * unlocked, so a refusal from it means it is locked.
 */
export function isKeyDockAgentPath(ctx: Runtime, path: string): boolean {
  return keydockSocketPath(ctx) === path || SERVE_SOCKET.test(path);
}

/** Candidate agents this user may have, before probing. */
async function candidates(ctx: Runtime, ssh: AgentTarget | null, options: { gpg?: boolean | Promise<string | null> } = {}): Promise<Array<{ kind: AgentKind; label: string; path: string }>> {
  const home = ctx.paths.home;
  const out: Array<{ kind: AgentKind; label: string; path: string }> = [];
  if (ctx.env.SSH_AUTH_SOCK) out.push({ kind: 'ssh-auth-sock', label: 'Agent from SSH_AUTH_SOCK', path: ctx.env.SSH_AUTH_SOCK });
  if (ssh?.source === 'config') out.push({ kind: 'identity-agent', label: 'IdentityAgent in ~/.ssh/config', path: ssh.path });
  const own = keydockSocketPath(ctx);
  if (own) out.push({ kind: 'keydock', label: 'KeyDock’s own agent', path: own });
  if (ctx.platform === 'darwin') {
    out.push({ kind: '1password', label: '1Password', path: join(home, 'Library', 'Group Containers', '2BUA8C4S2C.com.1password', 't', 'agent.sock') });
    out.push({ kind: 'secretive', label: 'Secretive', path: join(home, 'Library', 'Containers', 'com.maxgoedjen.Secretive.SecretAgent', 'Data', 'socket.ssh') });
  } else if (ctx.platform === 'linux') {
    out.push({ kind: '1password', label: '1Password', path: join(home, '.1password', 'agent.sock') });
  }
  if (ctx.platform === 'win32') {
    out.push({ kind: 'openssh-pipe', label: 'Windows OpenSSH agent', path: OPENSSH_AGENT_PIPE });
    out.push({ kind: 'pageant-pipe', label: 'Pageant', path: PAGEANT_ID });
  } else if (options.gpg !== false) {
    const gpg = await (options.gpg instanceof Promise ? options.gpg : gpgAgentSocket(ctx));
    if (gpg) out.push({ kind: 'gpg-agent', label: 'gpg-agent', path: gpg });
  }
  const seen = new Set<string>();
  return out.filter((c) => (seen.has(c.path) ? false : (seen.add(c.path), true)));
}

/**
 * gpg-agent's SSH socket, when GnuPG is installed (`gpgconf --list-dirs agent-ssh-socket`).
 * gpg-agent's sockets live in its home (GNUPGHOME, else ~/.gnupg) or under its runtime folder
 * (/run/user/UID/gnupg): when none of those folders exists there is no gpg-agent to find, and
 * gpgconf is not started.
 */
async function gpgAgentSocket(ctx: Runtime): Promise<string | null> {
  const uid = process.getuid?.();
  const places = [ctx.env.GNUPGHOME, join(ctx.paths.home, '.gnupg'), ctx.env.XDG_RUNTIME_DIR ? join(ctx.env.XDG_RUNTIME_DIR, 'gnupg') : undefined, uid === undefined ? undefined : `/run/user/${uid}/gnupg`];
  const found = await Promise.all(places.map((p) => (p ? stat(p).then(() => true, () => false) : false)));
  if (!found.includes(true)) return null;
  // Loaded here: node:child_process (and what it pulls in) is not worth loading for `keydock list`.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('gpgconf', ['--list-dirs', 'agent-ssh-socket'], { env: ctx.env, timeout: 3000 }, (err, stdout) => resolve(err ? null : stdout.trim() || null));
  });
}

/** Every agent this user has, which one ssh uses, whether each answers, and whether it is locked. */
export async function discoverAgents(ctx: Runtime): Promise<AgentInfo[]> {
  // gpgconf is a process of its own: started first, it runs while ssh's configuration is read.
  const gpg = ctx.platform === 'win32' ? false : gpgAgentSocket(ctx);
  const ssh = await agentSshWillUse(ctx);
  const found = await candidates(ctx, ssh, { gpg });
  const record = new AgentLockRecord(ctx.paths.configDir);
  const infos = await Promise.all(
    found.map(async (c): Promise<AgentInfo | null> => {
      const isSsh = ssh?.path === c.path;
      // Well-known locations that do not exist are not "your agents"; explicit ones always show.
      if (!isSsh && c.kind !== 'ssh-auth-sock' && c.path !== PAGEANT_ID && !c.path.startsWith('\\\\')) {
        const exists = await stat(c.path).then(() => true, () => false);
        if (!exists) return null;
      }
      const probe = await probeAgent(c.path, 3000, 3000, { lock: { record, keydock: isKeyDockAgentPath(ctx, c.path) } });
      // An answer that is not a key list counts as unreachable here: nothing usable is there.
      if (!probe.listed) return { id: c.path, kind: c.kind, label: c.label, path: c.path, reachable: false, keyCount: null, locked: null, reason: probe.reason, usedBySsh: isSsh };
      const locked = probe.locked ?? null;
      // A locked agent hides its keys: how many it holds is not known.
      return { id: c.path, kind: c.kind, label: c.label, path: c.path, reachable: true, keyCount: locked ? null : probe.keyCount, locked, reason: null, usedBySsh: isSsh };
    }),
  );
  return infos.filter((i): i is AgentInfo => i !== null);
}

/**
 * What kind of agent a path is and whether ssh uses it, without connecting to any agent. SSHTARGET is
 * agentSshWillUse's answer when the caller has it already (reading ssh's configuration twice
 * costs `keydock list` more than asking the agent).
 */
export async function describeAgentPath(ctx: Runtime, path: string, sshTarget?: AgentTarget | null): Promise<{ kind: AgentKind; label: string; usedBySsh: boolean }> {
  // null is an answer too (no agent set up): asked again only when the caller had none.
  const ssh = sshTarget === undefined ? await agentSshWillUse(ctx) : sshTarget;
  // Naming the agent behind every `keydock list` must not start gpgconf: ask GnuPG only when nothing cheaper names it.
  const known = (await candidates(ctx, ssh, { gpg: false })).find((c) => c.path === path) ?? (await candidates(ctx, ssh)).find((c) => c.path === path);
  return { kind: known?.kind ?? 'other', label: known?.label ?? 'SSH agent', usedBySsh: ssh?.path === path };
}
