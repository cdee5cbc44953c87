/**
 * The doctor's checks: the setup problems behind most "Permission denied (publickey)"
 * reports that the connection tester cannot see from one host. Each check returns findings
 * with a plain message and, when the fix is safe and reversible, a function that applies it.
 */
import { execFile } from 'node:child_process';
import { chmod, readFile, readdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Runtime } from '../config/runtime';
import type { ListedIdentity } from '../agent/codec';
import { probeAgent } from '../agent/probe';
import { inspectIdentityFile } from '../keys/identity-file';
import { resolveSshConfig, expandGlob, expandTilde } from '../openssh/ssh-config';
import { setHostIdentity } from '../openssh/ssh-config-edit';
import { hostPatternsMatch, parseConfigBlocks, type ConfigBlock } from '../openssh/ssh-config-parse';
import { fingerprintSha256 } from '../keys/format';
import { finding, privateKeyFiles, sshDirMissing, type CheckedFinding, type FixChange } from './findings';
import { checkWindowsPermissions, type WindowsAclAccess } from './windows-permissions';

export type { CheckedFinding } from './findings';
export type { WindowsAclAccess } from './windows-permissions';

/** What several checks need, gathered once per doctor run. */
export interface DoctorFacts {
  ctx: Runtime;
  configFile: string;
  agentPath: string | null;
  agentSource: 'config' | 'env' | 'none';
  agentReachable: boolean;
  agentError: string | null;
  agentKeys: ListedIdentity[];
  /** Why ssh would refuse the config (its message names file:line), or null. */
  configError?: string | null;
  /** How the Windows permission check reads ACLs (tests inject one; default: Win32, loaded lazily). */
  windowsAcl?: WindowsAclAccess;
}

/** Gathers the agent ssh would use and its keys. */
export async function gatherFacts(ctx: Runtime, configFile?: string, deps: { windowsAcl?: WindowsAclAccess } = {}): Promise<DoctorFacts> {
  const file = configFile ?? join(ctx.paths.sshDir, 'config');
  // A host name no config block targets: what ssh does for "any" host.
  let configError: string | null = null;
  // A config file named by the caller must exist (like ssh -F); the default ~/.ssh/config may be missing, as for ssh.
  const r = await resolveSshConfig('keydock-doctor.invalid', { home: ctx.paths.home, env: ctx.env, ...(configFile !== undefined ? { configFile: file } : {}), platform: ctx.platform }).catch((e: unknown) => {
    configError = e instanceof Error ? e.message : String(e);
    return null;
  });
  const agentPath = r ? r.identityAgent : (ctx.env.SSH_AUTH_SOCK ?? null);
  const agentSource = r ? r.identityAgentSource : 'env';
  const facts: DoctorFacts = { ctx, configFile: file, agentPath, agentSource, agentReachable: false, agentError: null, agentKeys: [], configError, windowsAcl: deps.windowsAcl };
  if (agentPath && agentPath !== 'none') {
    // Unreachable: the errno (ENOENT, ECONNREFUSED, …); reachable but not listing: the words why.
    const p = await probeAgent(agentPath, 3000, 10_000);
    facts.agentReachable = p.reachable;
    if (p.listed) facts.agentKeys = p.keys;
    else facts.agentError = p.reachable ? p.reason : p.code;
  }
  return facts;
}

async function modeOf(path: string): Promise<{ mode: number; uid: number } | null> {
  try {
    const s = await stat(path);
    return { mode: s.mode & 0o777, uid: s.uid };
  } catch {
    return null;
  }
}

const octal = (m: number) => `0${m.toString(8).padStart(3, '0')}`;

async function chmodChange(path: string, from: number, to: number): Promise<FixChange[]> {
  await chmod(path, to);
  return [{ file: path, change: `permissions ${octal(from)} → ${octal(to)}`, backup: null }];
}

/** ~/.ssh must be 0700 and private keys 0600: OpenSSH refuses keys others can read. */
export async function checkPermissions(facts: DoctorFacts): Promise<CheckedFinding[]> {
  const { ctx } = facts;
  if (ctx.platform === 'win32') return checkWindowsPermissions({ sshDir: ctx.paths.sshDir, env: ctx.env, windowsAcl: facts.windowsAcl });
  const out: CheckedFinding[] = [];
  const dir = ctx.paths.sshDir;
  const dm = await modeOf(dir);
  if (!dm) {
    out.push(sshDirMissing(dir));
    return out;
  }
  if (dm.mode & 0o077) {
    out.push(
      finding({
        id: 'ssh-dir-permissions',
        severity: 'warning',
        title: '~/.ssh is open to other users',
        message: `${dir} has permissions ${octal(dm.mode)}; it should be 0700 (only you).`,
        fix: `chmod 700 ${dir}`,
        fixAction: 'fix-permissions',
        fixPath: dir,
        apply: () => chmodChange(dir, dm.mode, 0o700),
      }),
    );
  } else {
    out.push(finding({ id: 'ssh-dir-permissions', severity: 'ok', title: '~/.ssh permissions', message: `${dir} is ${octal(dm.mode)}.`, fix: null }));
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  for (const { name, path } of await privateKeyFiles(dir)) {
    const m = await modeOf(path);
    if (!m) continue;
    if (m.mode & 0o077) {
      out.push(
        finding({
          id: `key-permissions:${path}`,
          severity: 'error',
          title: `Private key ${name} is readable by others`,
          message: `${path} has permissions ${octal(m.mode)}; ssh refuses to use a private key others can read ("UNPROTECTED PRIVATE KEY FILE").`,
          fix: `chmod 600 ${path}`,
          fixAction: 'fix-permissions',
          fixPath: path,
          apply: () => chmodChange(path, m.mode, 0o600),
        }),
      );
    }
    if (uid >= 0 && m.uid !== uid) {
      out.push(
        finding({
          id: `key-owner:${path}`,
          severity: 'warning',
          title: `Private key ${name} belongs to another user`,
          message: `${path} is owned by uid ${m.uid}, not you (uid ${uid}); ssh may refuse it.`,
          fix: `sudo chown ${uid} ${path}`,
          canFix: false,
        }),
      );
    }
  }
  return out;
}

function ownAgentPath(ctx: Runtime): string | null {
  // Where the app's own agent listens (its well-known socket; `keydock serve` makes a fresh private one per instance).
  return ctx.env.XDG_RUNTIME_DIR ? join(ctx.env.XDG_RUNTIME_DIR, 'keydock', 'agent.sock') : null;
}

/** Is an agent reachable, and is it the one KeyDock manages? */
export async function checkAgent(facts: DoctorFacts): Promise<CheckedFinding[]> {
  const { ctx } = facts;
  const out: CheckedFinding[] = [];
  const via = facts.agentSource === 'config' ? 'IdentityAgent in your SSH config' : 'SSH_AUTH_SOCK';
  if (facts.agentPath === 'none') {
    out.push(finding({ id: 'agent', severity: 'warning', title: 'ssh is told not to use an agent', message: 'Your SSH config sets "IdentityAgent none", so keys loaded in any agent are ignored.', fix: `Remove "IdentityAgent none" from ${facts.configFile} unless you meant it.`, fixAction: 'edit-ssh-config', fixPath: facts.configFile }));
    return out;
  }
  if (!facts.agentPath) {
    out.push(finding({ id: 'agent', severity: 'error', title: 'No SSH agent', message: 'SSH_AUTH_SOCK is not set and no IdentityAgent is configured, so ssh cannot use loaded keys.', fix: 'Start an agent: keydock serve prints the SSH_AUTH_SOCK line to set in your session (or run "eval $(ssh-agent)").', fixAction: 'start-agent' }));
    return out;
  }
  if (!facts.agentReachable) {
    out.push(
      finding({
        id: 'agent',
        severity: 'error',
        title: 'The SSH agent does not answer',
        message: `ssh uses the agent at ${facts.agentPath} (from ${via}), but it does not answer (${facts.agentError ?? 'error'}).`,
        fix: 'Start the agent again, or point SSH_AUTH_SOCK at a running one (keydock agents lists the agents KeyDock finds; keydock serve starts KeyDock\'s own).',
        fixAction: 'start-agent',
      }),
    );
    return out;
  }
  out.push(finding({ id: 'agent', severity: 'ok', title: 'SSH agent', message: `ssh uses ${facts.agentPath} (from ${via}); it holds ${facts.agentKeys.length} key(s).`, fix: null }));
  const settings = await ctx.settings.get().catch(() => null);
  const own = ownAgentPath(ctx);
  const managesOwn = settings?.runOwnAgent === true || settings?.managedAgentId === 'keydock';
  if (managesOwn && own && own !== facts.agentPath) {
    out.push(
      finding({
        id: 'agent-mismatch',
        severity: 'warning',
        title: 'ssh uses a different agent than KeyDock',
        message: `KeyDock manages its own agent at ${own}, but ssh uses ${facts.agentPath}; keys you load in KeyDock are not seen by ssh.`,
        fix: `Set SSH_AUTH_SOCK=${own} in your session, or add "IdentityAgent ${own}" under "Host *" in ${facts.configFile}.`,
        fixAction: 'choose-agent',
      }),
    );
  } else if (settings?.managedAgentId && !settings.managedAgentId.includes(facts.agentPath) && settings.managedAgentId !== 'keydock') {
    out.push(
      finding({
        id: 'agent-mismatch',
        severity: 'info',
        title: 'KeyDock shows another agent than ssh uses',
        message: `KeyDock is set to manage "${settings.managedAgentId}", while ssh uses ${facts.agentPath}.`,
        fix: `Choose the agent ssh uses (${facts.agentPath}) as the one KeyDock manages, so what you see is what ssh offers (keydock agents lists them).`,
        fixAction: 'choose-agent',
      }),
    );
  }
  return out;
}

/** Keys in ~/.ssh that the agent does not hold: often the reason ssh "has no key". */
export async function checkUnloadedKeys(facts: DoctorFacts): Promise<CheckedFinding[]> {
  if (!facts.agentReachable) return [];
  const dir = facts.ctx.paths.sshDir;
  const loaded = new Set(facts.agentKeys.map((k) => fingerprintSha256(k.blob)));
  const out: CheckedFinding[] = [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    if (!name.endsWith('.pub') || name.endsWith('-cert.pub')) continue;
    const priv = join(dir, name.slice(0, -4));
    if (!(await modeOf(priv))) continue;
    const info = await inspectIdentityFile(priv);
    if (!info.blob) continue;
    const fp = fingerprintSha256(info.blob);
    if (loaded.has(fp)) continue;
    out.push(
      finding({
        id: `key-not-loaded:${priv}`,
        severity: 'info',
        title: `${name.slice(0, -4)} is not loaded`,
        message: `${priv} (${fp}) is on disk but not in the agent${info.encrypted ? '; it has a passphrase, so ssh asks for it every time' : ''}.`,
        fix: `keydock add ${priv}`,
        fixAction: 'load-key',
        fixPath: priv,
        canFix: false,
      }),
    );
  }
  return out;
}

async function readConfigTree(file: string, home: string, depth = 0): Promise<Array<{ file: string; blocks: ConfigBlock[] }>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  let blocks: ConfigBlock[];
  try {
    blocks = parseConfigBlocks(text, file);
  } catch {
    return [];
  }
  const out = [{ file, blocks }];
  if (depth >= 16) return out;
  for (const b of blocks) {
    for (const e of b.entries) {
      if (e.keyword !== 'include') continue;
      for (const pattern of e.args) {
        let p = expandTilde(pattern, home);
        if (!p.startsWith('/')) p = join(home, '.ssh', p);
        for (const f of await expandGlob(p)) out.push(...(await readConfigTree(f, home, depth + 1)));
      }
    }
  }
  return out;
}

/** A config ssh itself would refuse (bad port, unknown keyword, ...): every ssh command fails with it. */
export function checkConfigValid(facts: DoctorFacts): CheckedFinding[] {
  if (!facts.configError) return [];
  return [
    finding({
      id: 'ssh-config-invalid',
      severity: 'error',
      title: 'ssh would refuse your SSH config',
      message: facts.configError,
      fix: `Correct that line in ${facts.configFile}; keydock which HOST checks it again the way ssh -G does.`,
      fixAction: 'edit-ssh-config',
      fixPath: facts.configFile,
      canFix: false,
    }),
  ];
}

/**
 * IdentityFile lines that name a file that is not there: ssh says "no such identity" and goes on
 * without it (and with IdentitiesOnly the host gets no key at all). Paths whose %-tokens depend
 * on the host (%h, %r, %n, ...) are not checked; `~`, %d, %u, %% and set `${VAR}`s are expanded.
 */
export async function checkIdentityFiles(facts: DoctorFacts): Promise<CheckedFinding[]> {
  const { ctx } = facts;
  const home = ctx.paths.home;
  const localUser = ctx.env.USER ?? ctx.env.LOGNAME ?? ctx.env.USERNAME ?? '';
  const tree = await readConfigTree(facts.configFile, home);
  const out: CheckedFinding[] = [];
  for (const { file, blocks } of tree) {
    for (const b of blocks) {
      for (const e of b.entries) {
        if (e.keyword !== 'identityfile' || e.args.length !== 1) continue;
        const raw = e.args[0] as string;
        if (raw.toLowerCase() === 'none') continue;
        let unknown = false;
        const path = expandTilde(raw, home)
          .replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
            const v = ctx.env[name];
            if (v === undefined) unknown = true;
            return v ?? '';
          })
          .replace(/%(.)/g, (_m, t: string) => {
            if (t === '%') return '%';
            if (t === 'd') return home;
            if (t === 'u' && localUser) return localUser;
            unknown = true;
            return '';
          });
        if (unknown || !isAbsolute(path)) continue;
        if (await modeOf(path)) continue;
        const where = b.kind === 'global' ? 'before any Host line' : `${b.kind === 'host' ? 'Host' : 'Match'} ${b.patterns.join(' ')}`;
        out.push(
          finding({
            id: `identity-file-missing:${file}:${e.line}`,
            severity: 'warning',
            title: `IdentityFile ${raw} does not exist`,
            message: `${file}:${e.line} (${where}) names ${path}, which does not exist; ssh skips it ("no such identity"), so it never offers that key.`,
            fix: `Correct the path at ${file}:${e.line} (or remove the line); keydock which HOST shows the key files ssh would use.`,
            fixAction: 'edit-ssh-config',
            fixPath: file,
            canFix: false,
          }),
        );
      }
    }
  }
  return out;
}

const CONFLICT_KEYS = ['hostname', 'user', 'port', 'identityagent', 'identitiesonly', 'proxyjump'];

/** Host blocks that repeat or contradict each other: ssh silently keeps the first value. */
export async function checkHostBlocks(facts: DoctorFacts): Promise<CheckedFinding[]> {
  const tree = await readConfigTree(facts.configFile, facts.ctx.paths.home);
  const hostBlocks = tree.flatMap((t) => t.blocks.filter((b) => b.kind === 'host').map((b) => ({ file: t.file, block: b })));
  const out: CheckedFinding[] = [];
  const seen = new Map<string, { file: string; line: number }>();
  for (const { file, block } of hostBlocks) {
    const key = [...block.patterns].sort().join(' ');
    const prev = seen.get(key);
    if (prev) {
      out.push(
        finding({
          id: `duplicate-host:${key}:${file}:${block.line}`,
          severity: 'warning',
          title: `"Host ${key}" appears twice`,
          message: `${file} line ${block.line} repeats "Host ${key}" from ${prev.file} line ${prev.line}; for settings in both, ssh uses the first and ignores this one.`,
          fix: 'Merge the two blocks into one.',
          canFix: false,
        }),
      );
    } else seen.set(key, { file, line: block.line });
  }
  // Conflicts: a concrete alias matched by several blocks that set the same keyword differently.
  const aliases = new Set(hostBlocks.flatMap(({ block }) => block.patterns.filter((p) => !/[*?!]/.test(p))));
  for (const alias of aliases) {
    const matching = hostBlocks.filter(({ block }) => hostPatternsMatch(alias, block.patterns));
    for (const kw of CONFLICT_KEYS) {
      const sets = matching.flatMap(({ file, block }) => block.entries.filter((e) => e.keyword === kw).map((e) => ({ file, line: e.line, value: e.args.join(' '), hostLine: block.line })));
      const distinct = new Set(sets.map((s) => s.value.toLowerCase()));
      if (sets.length > 1 && distinct.size > 1) {
        const [winner, ...ignored] = sets;
        out.push(
          finding({
            id: `conflict:${alias}:${kw}`,
            severity: 'warning',
            title: `Conflicting ${kw} for ${alias}`,
            message: `For ${alias}, ssh uses ${kw} "${winner?.value}" (${winner?.file} line ${winner?.line}) and ignores ${ignored.map((s) => `"${s.value}" (line ${s.line})`).join(', ')}.`,
            fix: 'Keep one value: the first block that matches wins, so put specific Host blocks before "Host *".',
            canFix: false,
          }),
        );
      }
    }
  }
  return out;
}

/** With many keys in the agent, hosts without IdentitiesOnly hit "Too many authentication failures". */
export async function checkIdentitiesOnly(facts: DoctorFacts): Promise<CheckedFinding[]> {
  // sshd's default MaxAuthTries is 6; ssh offers every agent key until one works.
  if (facts.agentKeys.length < 6) return [];
  const tree = await readConfigTree(facts.configFile, facts.ctx.paths.home);
  const aliases = [...new Set(tree.flatMap((t) => t.blocks.filter((b) => b.kind === 'host').flatMap((b) => b.patterns.filter((p) => !/[*?!]/.test(p)))))];
  const out: CheckedFinding[] = [];
  const { ctx } = facts;
  for (const alias of aliases) {
    const r = await resolveSshConfig(alias, { home: ctx.paths.home, env: ctx.env, configFile: facts.configFile, platform: ctx.platform }).catch(() => null);
    if (!r || r.identitiesOnly) continue;
    const keyFile = r.identityFilesExplicit ? r.identityFiles[0] : undefined;
    out.push(
      finding({
        id: `identities-only:${alias}`,
        severity: 'warning',
        title: `${alias} may see too many keys`,
        message: `Your agent holds ${facts.agentKeys.length} keys and "Host ${alias}" does not set IdentitiesOnly, so ssh offers them all; servers stop after 6 tries.`,
        fix: keyFile
          ? `Add "IdentitiesOnly yes" to "Host ${alias}" (it already names ${keyFile}): keydock doctor --fix does it, with a backup.`
          : `Add "IdentityFile <the key for ${alias}>" and "IdentitiesOnly yes" to "Host ${alias}" in ${facts.configFile}.`,
        fixAction: keyFile ? 'add-identities-only' : 'edit-ssh-config',
        fixPath: facts.configFile,
        ...(keyFile
          ? {
              apply: async (): Promise<FixChange[]> => {
                const r = await setHostIdentity(facts.configFile, alias, keyFile, { home: ctx.paths.home, env: ctx.env, platform: ctx.platform });
                const at = r.linesAdded.length > 1 ? `lines ${r.linesAdded[0]}–${r.linesAdded[r.linesAdded.length - 1]}` : `line ${r.linesAdded[0]}`;
                return [{ file: r.configFile, change: `added "IdentityFile ${keyFile}" and "IdentitiesOnly yes" for Host ${alias} at ${at}`, backup: r.backupFile }];
              },
            }
          : {}),
      }),
    );
  }
  return out;
}

function runGit(args: string[], env: NodeJS.ProcessEnv): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { env, timeout: 5000 }, (err, stdout) => resolve(err ? null : stdout.trim()));
  });
}

/** Git may be told to use another ssh (plink, a wrapper, other keys) than the one KeyDock tests. */
export async function checkGitSsh(facts: DoctorFacts): Promise<CheckedFinding[]> {
  const env = facts.ctx.env;
  const sources: Array<{ where: string; value: string }> = [];
  if (env.GIT_SSH_COMMAND) sources.push({ where: 'the GIT_SSH_COMMAND environment variable', value: env.GIT_SSH_COMMAND });
  if (env.GIT_SSH) sources.push({ where: 'the GIT_SSH environment variable', value: env.GIT_SSH });
  const cfg = await runGit(['config', '--global', '--get', 'core.sshCommand'], env);
  if (cfg) sources.push({ where: 'git config core.sshCommand (global)', value: cfg });
  if (sources.length === 0) {
    return [finding({ id: 'git-ssh', severity: 'ok', title: 'Git uses ssh', message: 'Git runs the default ssh, so it sees the same agent and config as KeyDock\'s test.', fix: null })];
  }
  const winner = sources[0] as { where: string; value: string };
  const plainSsh = /^\s*(\S*\/)?ssh(\.exe)?\s*$/i.test(winner.value);
  if (plainSsh) {
    return [finding({ id: 'git-ssh', severity: 'ok', title: 'Git uses ssh', message: `Git runs "${winner.value}" (from ${winner.where}).`, fix: null })];
  }
  const changes: string[] = [];
  if (/plink|tortoiseplink/i.test(winner.value)) changes.push('it is PuTTY\'s plink, which uses Pageant and PuTTY sessions instead of ~/.ssh/config');
  if (/\s-i\s/.test(` ${winner.value} `)) changes.push('it picks a key file with -i');
  if (/IdentitiesOnly|IdentityAgent|\s-F\s|\s-o\s/.test(` ${winner.value} `)) changes.push('it overrides ssh options');
  return [
    finding({
      id: 'git-ssh',
      severity: 'warning',
      title: 'Git uses a different SSH command',
      message: `Git runs "${winner.value}" (from ${winner.where})${changes.length ? `: ${changes.join('; ')}` : ''}. KeyDock's connection test checks plain ssh, so Git may behave differently.`,
      fix: `If that is not intended, remove it: ${winner.where.startsWith('git config') ? '"git config --global --unset core.sshCommand"' : `unset ${winner.where.includes('GIT_SSH_COMMAND') ? 'GIT_SSH_COMMAND' : 'GIT_SSH'} in your shell profile`}.`,
      canFix: false,
    }),
  ];
}
