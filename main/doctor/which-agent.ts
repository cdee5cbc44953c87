/**
 * "Which agent is used" (docs/login-agent.md): the agent `ssh`, `git` and new shells will use,
 * each with the socket, where that choice comes from, and whether it is KeyDock's, running and
 * locked. ssh's answer is `ssh -G`'s `identityagent` for a typical host, else $SSH_AUTH_SOCK;
 * git's follows GIT_SSH_COMMAND / GIT_SSH / core.sshCommand when they name another agent or
 * config; new shells get what environment.d (Linux), launchd (macOS) or the OpenSSH pipe
 * (Windows) gives them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { environmentDir, readLoginAgentState, type LoginAgentState } from '../config/login-agent-files';
import { isKeyDockAgentPath } from '../agent/discovery';
import { AgentLockRecord, probeAgent } from '../agent/probe';
import { OPENSSH_AGENT_PIPE } from '../platform/windows/pipe-names';
import type { DoctorFacts } from './checks';
import { finding, type CheckedFinding } from './findings';

/** The host whose settings stand for "any host" (most people's ssh is for their Git host). */
const TYPICAL_HOST = 'github.com';

export interface AgentUse {
  who: 'ssh' | 'git' | 'shells';
  /** The socket or pipe; null when none is set. 'none' when ssh is told to use no agent. */
  socket: string | null;
  /** Where the choice comes from, in words. */
  source: string;
  keydock: boolean;
  /** null when not asked (no socket). */
  running: boolean | null;
  locked: boolean | null;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ok: boolean; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 5000, windowsHide: true }, (err, stdout) => resolve({ ok: !err, stdout: String(stdout) }));
  });
}

/** `ssh -G`'s identityagent turned into a path: `SSH_AUTH_SOCK` and `$VAR` name variables. */
function agentValue(value: string, env: NodeJS.ProcessEnv): string | null {
  if (value === 'SSH_AUTH_SOCK') return env.SSH_AUTH_SOCK || null;
  if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value)) return env[value.slice(1)] || null;
  return value;
}

/** What `ssh -G [-F file] [-o opt…] HOST` says about the agent, or null when ssh cannot be run. */
async function sshG(env: NodeJS.ProcessEnv, configFile: string | null, extra: string[] = []): Promise<{ socket: string | null; fromConfig: boolean } | null> {
  const r = await run('ssh', ['-G', ...(configFile ? ['-F', configFile] : []), ...extra, TYPICAL_HOST], env);
  if (!r.ok) return null;
  const line = r.stdout.split('\n').find((l) => l.toLowerCase().startsWith('identityagent '));
  if (line) {
    const raw = line.slice('identityagent '.length).trim();
    return { socket: raw === 'none' ? 'none' : agentValue(raw, env), fromConfig: raw !== 'SSH_AUTH_SOCK' };
  }
  return { socket: env.SSH_AUTH_SOCK || null, fromConfig: false };
}

async function ssh(facts: DoctorFacts): Promise<Pick<AgentUse, 'socket' | 'source'>> {
  const env = facts.ctx.env;
  // ssh -F refuses a missing file; with no config at all, no config is what ssh reads.
  const g = facts.ctx.platform === 'win32' ? null : await sshG(env, existsSync(facts.configFile) ? facts.configFile : '/dev/null');
  if (g) return { socket: g.socket, source: g.fromConfig ? `IdentityAgent in ${facts.configFile} (ssh -G ${TYPICAL_HOST})` : `SSH_AUTH_SOCK (ssh -G ${TYPICAL_HOST} names no IdentityAgent)` };
  // No ssh to ask (or Windows): KeyDock's own reading of the config.
  if (facts.agentPath) return { socket: facts.agentPath, source: facts.agentSource === 'config' ? `IdentityAgent in ${facts.configFile}` : 'SSH_AUTH_SOCK' };
  if (facts.ctx.platform === 'win32') return { socket: OPENSSH_AGENT_PIPE, source: "the Windows OpenSSH pipe (ssh.exe's default)" };
  return { socket: null, source: 'neither IdentityAgent nor SSH_AUTH_SOCK is set' };
}

/** Splits a shell command line into words (quotes and backslashes as sh reads them; no expansion). */
export function shellWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

/** What an ssh command line (GIT_SSH_COMMAND, core.sshCommand) changes about the agent. */
export function agentFromSshCommand(command: string): { kind: 'same' } | { kind: 'agent'; socket: string; via: string } | { kind: 'config'; file: string; options: string[] } | { kind: 'pageant' } | { kind: 'other'; program: string } {
  const words = shellWords(command);
  let socketEnv: string | null = null;
  while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string)) {
    const w = words.shift() as string;
    if (w.startsWith('SSH_AUTH_SOCK=')) socketEnv = w.slice('SSH_AUTH_SOCK='.length);
  }
  const program = words.shift() ?? '';
  if (/(^|[\\/])(tortoise)?plink(\.exe)?$/i.test(program)) return { kind: 'pageant' };
  if (!/(^|[\\/])ssh(\.exe)?$/i.test(program)) return { kind: 'other', program };
  const options: string[] = [];
  let file: string | null = null;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '-o' && i + 1 < words.length) options.push(words[++i] as string);
    else if (w.startsWith('-o') && w.length > 2) options.push(w.slice(2));
    else if (w === '-F' && i + 1 < words.length) file = words[++i] as string;
  }
  for (const o of options) {
    const m = /^\s*identityagent\s*[= ]\s*(.+)$/i.exec(o);
    if (m) return { kind: 'agent', socket: (m[1] as string).trim(), via: '-o IdentityAgent' };
  }
  if (file) return { kind: 'config', file, options };
  if (socketEnv !== null) return { kind: 'agent', socket: socketEnv, via: 'SSH_AUTH_SOCK=' };
  return { kind: 'same' };
}

async function git(facts: DoctorFacts, sshUse: Pick<AgentUse, 'socket' | 'source'>): Promise<Pick<AgentUse, 'socket' | 'source'>> {
  const env = facts.ctx.env;
  let where: string | null = null;
  let value: string | null = null;
  if (env.GIT_SSH_COMMAND) [where, value] = ['GIT_SSH_COMMAND', env.GIT_SSH_COMMAND];
  else if (env.GIT_SSH) [where, value] = ['GIT_SSH', env.GIT_SSH];
  else {
    const r = await run('git', ['config', '--get', 'core.sshCommand'], env);
    if (r.ok && r.stdout.trim()) [where, value] = ['git config core.sshCommand', r.stdout.trim()];
  }
  if (!where || !value) return { socket: sshUse.socket, source: `the same as ssh (no GIT_SSH_COMMAND, GIT_SSH or core.sshCommand)` };
  const a = agentFromSshCommand(value);
  if (a.kind === 'same') return { socket: sshUse.socket, source: `the same as ssh (${where} runs plain ssh)` };
  if (a.kind === 'pageant') return { socket: null, source: `${where} runs PuTTY's plink, which uses Pageant, not an OpenSSH agent` };
  if (a.kind === 'other') return { socket: sshUse.socket, source: `${where} runs "${a.program.slice(0, 80)}"; if that runs ssh, the same as ssh` };
  if (a.kind === 'agent') return { socket: agentValue(a.socket, env), source: `${where} (${a.via})` };
  const g = await sshG(env, a.file, a.options.flatMap((o) => ['-o', o]));
  return g ? { socket: g.socket, source: `${where} (-F ${a.file})` } : { socket: sshUse.socket, source: `${where} (-F ${a.file}; ssh could not read it)` };
}

/** SSH_AUTH_SOCK as systemd's environment.d sets it for the session: the last assignment in name order wins. */
async function environmentD(facts: DoctorFacts): Promise<{ socket: string; file: string } | null> {
  const dir = environmentDir(facts.ctx.env, facts.ctx.paths);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.conf')).sort();
  let found: { socket: string; file: string } | null = null;
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const m = /^\s*SSH_AUTH_SOCK\s*=\s*(.*?)\s*$/.exec(line);
      if (!m) continue;
      const value = (m[1] as string).replace(/^"(.*)"$/, '$1').replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_s, a?: string, b?: string) => facts.ctx.env[(a ?? b) as string] ?? '');
      found = { socket: value, file: join(dir, name) };
    }
  }
  return found;
}

async function shells(facts: DoctorFacts, state: LoginAgentState | null): Promise<Pick<AgentUse, 'socket' | 'source'>> {
  const { ctx } = facts;
  const installed = state ? '; KeyDock is installed as the login agent' : '';
  if (ctx.platform === 'win32') return { socket: OPENSSH_AGENT_PIPE, source: `the Windows OpenSSH pipe, which every ssh.exe uses${installed}` };
  if (ctx.platform === 'linux') {
    const d = await environmentD(facts);
    if (d) return { socket: d.socket, source: `environment.d (${d.file})${installed}` };
  }
  if (ctx.platform === 'darwin' && process.platform === 'darwin') {
    const r = await run('launchctl', ['getenv', 'SSH_AUTH_SOCK'], ctx.env);
    if (r.ok && r.stdout.trim()) return { socket: r.stdout.trim(), source: `launchd (launchctl getenv SSH_AUTH_SOCK)${installed}` };
  }
  return { socket: ctx.env.SSH_AUTH_SOCK || null, source: `whatever the session starts (nothing sets it for every login; this session has ${ctx.env.SSH_AUTH_SOCK ? 'SSH_AUTH_SOCK' : 'no SSH_AUTH_SOCK'})${installed}` };
}

/** The agent ssh, git and new shells use, each probed once. */
export async function whichAgents(facts: DoctorFacts): Promise<AgentUse[]> {
  const { ctx } = facts;
  const state = await readLoginAgentState(ctx.paths);
  const sshUse = await ssh(facts);
  const uses: Array<Pick<AgentUse, 'who' | 'socket' | 'source'>> = [
    { who: 'ssh', ...sshUse },
    { who: 'git', ...(await git(facts, sshUse)) },
    { who: 'shells', ...(await shells(facts, state)) },
  ];
  const record = new AgentLockRecord(ctx.paths.configDir);
  const probes = new Map<string, Promise<{ running: boolean; locked: boolean | null }>>();
  const probe = (socket: string, keydock: boolean) => {
    if (!probes.has(socket)) {
      probes.set(
        socket,
        probeAgent(socket, 3000, 3000, { lock: { record, keydock } }).then((p) => ({ running: p.reachable, locked: p.listed ? (p.locked ?? null) : null })),
      );
    }
    return probes.get(socket) as Promise<{ running: boolean; locked: boolean | null }>;
  };
  return Promise.all(
    uses.map(async (u): Promise<AgentUse> => {
      if (!u.socket || u.socket === 'none') return { ...u, keydock: false, running: null, locked: null };
      const keydock = isKeyDockAgentPath(ctx, u.socket) || state?.socket === u.socket;
      return { ...u, keydock, ...(await probe(u.socket, keydock)) };
    }),
  );
}

function describe(u: AgentUse): string {
  if (u.socket === 'none') return `no agent ("IdentityAgent none"), from ${u.source}`;
  if (!u.socket) return `no agent: ${u.source}`;
  const whose = u.keydock ? "KeyDock's agent" : 'an agent that is not KeyDock’s';
  const state = u.running ? (u.locked ? 'running, locked' : u.locked === false ? 'running, unlocked' : 'running') : 'not running (nothing answers there)';
  return `${u.socket} — ${whose}, ${state}; from ${u.source}`;
}

const LABEL: Record<AgentUse['who'], string> = { ssh: 'ssh', git: 'git', shells: 'new shells' };

/** One finding per user of an agent: which socket, from where, KeyDock's or not, running, locked. */
export async function checkWhichAgent(facts: DoctorFacts): Promise<CheckedFinding[]> {
  const uses = await whichAgents(facts);
  const state = await readLoginAgentState(facts.ctx.paths);
  const sshUse = uses[0] as AgentUse;
  return uses.map((u) => {
    // Differences between ssh and the others are what surprises people: say them as warnings.
    // Git with another agent than ssh surprises people (a warning); new shells' SSH_AUTH_SOCK only
    // matters to programs other than ssh (ssh-add), since ssh itself follows IdentityAgent.
    const differs = u.who !== 'ssh' && u.socket !== sshUse.socket && u.socket !== null;
    const notOurs = state !== null && u.socket !== null && !u.keydock;
    const severity = notOurs || (differs && u.who === 'git') ? 'warning' : differs || u.running === false ? 'info' : 'ok';
    const fix = notOurs
      ? `KeyDock is installed as the login agent (${state.socket}), but ${LABEL[u.who]} uses another one: ${u.who === 'shells' ? 'log out and in again' : u.who === 'git' ? 'remove the agent setting from Git’s ssh command' : 'remove the earlier IdentityAgent line from your SSH config'}.`
      : differs
        ? `${LABEL[u.who]} uses a different agent than ssh does, so keys loaded for one are not seen by the other.`
        : null;
    return finding({
      id: `which-agent:${u.who}`,
      severity,
      title: `Which agent ${LABEL[u.who]} ${u.who === 'shells' ? 'use' : 'uses'}`,
      message: describe(u),
      fix,
      canFix: false,
    });
  });
}
