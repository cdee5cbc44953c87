import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { KeyDockError } from '../../util/errors';
import { plainBlobOf } from '../../keys/format';
import { OPENSSH_AGENT_PIPE } from '../../platform/windows/pipe-names';
import type { RunningAgent } from '../../agent/server/own-agent';
import type { ActivityEntry } from '../../../shared/contract/server';
import type { WindowsTransports } from '../../agent/transports/windows';
import type { CliIo } from '../io';
import type { CommandEnv, CommandOutput } from '../program';
import { DAEMON_NODE_FLAGS, EXIT_BAD_OPTION } from '../../util/daemon-node-flags';

// `keydock serve`: KeyDock's own agent with ssh-agent's command line (docs/agent-protocol.md §1),
// so `eval "$(keydock serve -s)"` in a shell start-up file, `keydock serve -D` under a service
// manager and `keydock serve -- command` all work as they do with OpenSSH's ssh-agent.

const SERVE_HELP = `
Like ssh-agent: without -D or -d the agent goes to the background and the shell
commands that point ssh at it are printed, so in ~/.bashrc or ~/.profile:
  eval "$(keydock serve -s)"        (csh: eval \`keydock serve -c\`)
and to stop it again: eval "$(keydock serve -k)".
  keydock serve -D                  foreground (systemd, launchd, a terminal)
  keydock serve -- COMMAND [ARGS]   run COMMAND with SSH_AUTH_SOCK and SSH_AGENT_PID set,
                                    stop the agent when it exits, exit with its status
The socket is a fresh 0700 directory per agent, $TMPDIR/keydock-XXXXXX/agent.PID,
unless -a names one (the app's own agent uses $XDG_RUNTIME_DIR/keydock/agent.sock).

-t LIFE is a default lifetime for added keys, in ssh-agent's time format:
30 (seconds), 30m, 1h30m, 2d, 4w. -E md5|sha1|sha256|sha384|sha512 picks the hash of
fingerprints in log lines (-d, -v). -P LIST is ssh-agent's allow-list of PKCS#11
providers for ssh-add -s and of FIDO providers named by ssh-add -S (patterns matched
against the library's real path; default /usr/lib*/*,/usr/local/lib*/*, see
docs/hardware-keys.md). FIDO (sk-) keys added with "internal" sign through
$SSH_SK_PROVIDER, else libsk-libfido2 where installed. -O allow-remote-pkcs11
lets forwarded connections add providers; -O no-restrict-websafe and
websafe-allow=LIST are accepted and change nothing here.

Always there (docs/login-agent.md): --install makes KeyDock's agent the login
agent. Linux: a socket-activated systemd user unit on $XDG_RUNTIME_DIR/keydock/agent.sock,
SSH_AUTH_SOCK for new sessions (environment.d) and "IdentityAgent" under "Host *"
in ~/.ssh/config (with a backup); macOS: a LaunchAgent and the IdentityAgent line;
Windows: a sign-in entry serving ssh.exe's pipe and Pageant. Remembered keys
(keydock add --remember) are loaded when it starts. --dry-run shows the plan only;
--uninstall takes back exactly what --install did.
  keydock serve --install [--dry-run]   keydock serve --uninstall

Keys live in memory only; the process cannot be traced or dumped by other
programs of your user (Linux: not dumpable, no core files; macOS: PT_DENY_ATTACH).
Keys added with \`ssh-add -c\` are confirmed through $SSH_ASKPASS (with
SSH_ASKPASS_PROMPT=confirm, as OpenSSH's agent does; exit 0 = allow); no answer
within 30 s = deny. Connections from users other than you and root are refused.`;

/** Internal: the background agent started by `keydock serve` (reports over an IPC channel when it listens). */
const DAEMON_FLAG = '--daemon-child';

/** The background agent's V8 settings (main/util/daemon-node-flags.ts); serve retries without them if node refuses one. */
export { DAEMON_NODE_FLAGS };

/** How long `keydock serve` waits for its background agent to listen. */
const DAEMON_READY_TIMEOUT_MS = 120_000;

const FINGERPRINT_HASHES = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'] as const;
type FingerprintHash = (typeof FINGERPRINT_HASHES)[number];

interface ServeOptions {
  socket?: string;
  c?: boolean;
  s?: boolean;
  D?: boolean;
  d?: boolean;
  k?: boolean;
  t?: string;
  E?: string;
  P?: string;
  O: string[];
  verbose?: boolean;
  pageant?: boolean;
  opensshPipe?: boolean;
  onlyKnownKeys?: boolean;
  daemonChild?: boolean;
  install?: boolean;
  uninstall?: boolean;
  dryRun?: boolean;
  socketActivated?: boolean;
  loadRemembered?: boolean;
}

/** What the background agent tells `keydock serve` over IPC once it listens (or why it could not). */
type DaemonReport = { ok: true; socket: string; pid: number } | { ok: false; error: { code: string; message: string; hint: string; exitCode: 1 | 2 } };

/**
 * ssh-agent's time format (OpenSSH convtime): a number of seconds, or numbers each with a unit
 * s, m, h, d or w (either case), concatenated: 30, 30m, 1h30m, 4w. At most 2^32-1 seconds.
 */
export function parseAgentTime(text: string): number {
  const bad = () => new KeyDockError('usage', `Invalid lifetime "${text}".`, 'Use seconds or a number with s, m, h, d or w, combined if you like: 30, 30m, 1h30m, 4w.', { exitCode: 2 });
  if (!/^(\d+[smhdwSMHDW]?)+$/.test(text)) throw bad();
  const mult: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
  let total = 0;
  for (const m of text.matchAll(/(\d+)([smhdwSMHDW]?)/g)) total += Number(m[1]) * (mult[(m[2] as string).toLowerCase()] as number);
  if (!Number.isSafeInteger(total) || total > 0xffffffff) throw bad();
  return total;
}

/** Shell-safe value for the SSH_AUTH_SOCK line (plain paths stay unquoted, exactly like ssh-agent). */
function shellValue(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** ssh-agent's output: `-s` (sh) or `-c` (csh); without either, csh when $SHELL ends in csh. */
function shellKind(opts: ServeOptions, env: NodeJS.ProcessEnv): 'sh' | 'csh' {
  if (opts.c) return 'csh';
  if (opts.s) return 'sh';
  return (env.SHELL ?? '').endsWith('csh') ? 'csh' : 'sh';
}

/** The lines ssh-agent prints: both variables when it forked (pid = the agent), only the socket with -D/-d. */
export function envLines(shell: 'sh' | 'csh', socket: string, pid: number, withPid: boolean): string {
  const set = (name: string, value: string) => (shell === 'csh' ? `setenv ${name} ${value};\n` : `${name}=${value}; export ${name};\n`);
  return set('SSH_AUTH_SOCK', shellValue(socket)) + (withPid ? set('SSH_AGENT_PID', String(pid)) : '') + `echo Agent pid ${pid};\n`;
}

/** `MD5:aa:bb:…` or `SHA256:base64` of a key's plain public blob, as ssh-keygen -E prints it. */
function fingerprintWith(hash: FingerprintHash, plainBlob: Buffer): string {
  const digest = createHash(hash).update(plainBlob).digest();
  if (hash === 'md5') return 'MD5:' + [...digest].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `${hash.toUpperCase()}:${digest.toString('base64').replace(/=+$/, '')}`;
}

/** `-k`: SIGTERM to $SSH_AGENT_PID and the shell lines that forget the agent, as ssh-agent -k. */
async function killAgent(io: CliIo, out: CommandOutput, shell: 'sh' | 'csh'): Promise<void> {
  const text = io.env.SSH_AGENT_PID;
  if (text === undefined) throw new KeyDockError('usage', 'SSH_AGENT_PID not set, cannot kill agent.', 'Run it in the shell where you ran eval "$(keydock serve -s)".');
  const pid = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(pid) || pid < 2 || pid > 2 ** 31 - 1) {
    throw new KeyDockError('usage', `SSH_AGENT_PID="${text.slice(0, 40)}", which is not a good PID.`, 'Unset it, or set it to the pid `keydock serve` printed.');
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KeyDockError('agent-not-running', `kill: ${code === 'ESRCH' ? 'No such process' : code === 'EPERM' ? 'Operation not permitted' : String(code)} (pid ${pid}).`, 'The agent has stopped already; unset SSH_AUTH_SOCK and SSH_AGENT_PID.');
  }
  // Give it a moment to remove its socket, so a script can start the next agent right away.
  for (let i = 0; i < 60 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (out.json) {
    io.stdout.write(JSON.stringify({ ok: true, killed: pid }) + '\n');
    return;
  }
  const unset = (name: string) => (shell === 'csh' ? `unsetenv ${name};\n` : `unset ${name};\n`);
  io.stdout.write(unset('SSH_AUTH_SOCK') + unset('SSH_AGENT_PID') + `echo Agent pid ${pid} killed;\n`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Checks the options that only have to be valid (-P, -O), as ssh-agent does. */
function checkCompatibilityOptions(opts: ServeOptions): void {
  if (opts.P !== undefined && opts.P.trim() === '') throw new KeyDockError('usage', '-P needs a list of provider path patterns.', 'Give comma-separated patterns for the real paths of allowed PKCS#11 libraries, e.g. -P \'/usr/lib*/*,/usr/local/lib*/*\'.', { exitCode: 2 });
  for (const o of opts.O) {
    if (o === 'allow-remote-pkcs11' || o === 'no-restrict-websafe' || o.startsWith('websafe-allow=')) continue;
    throw new KeyDockError('usage', `Unknown -O option "${o.slice(0, 60)}".`, 'ssh-agent knows allow-remote-pkcs11, no-restrict-websafe and websafe-allow=LIST.', { exitCode: 2 });
  }
}

/** `keydock serve`: KeyDock's own agent for shells and ssh, with ssh-agent's options. */
export function registerServeCommands(program: Command, env: CommandEnv): void {
  program
    .command('serve')
    .description('run KeyDock’s own SSH agent, with ssh-agent’s options (-s, -c, -D, -d, -k, -a, -t, -E)')
    .argument('[command...]', 'after --: a command to run with the agent; the agent stops when it exits')
    .option('-a, --socket <path>', 'socket path (default: a new 0700 directory, $TMPDIR/keydock-XXXXXX/agent.PID)')
    .option('-c', 'print csh commands (setenv) — the default when $SHELL ends in csh')
    .option('-s', 'print sh commands (VAR=value; export VAR;)')
    .option('-D', 'stay in the foreground')
    .option('-d', 'stay in the foreground and log every request to stderr (debug)')
    .option('-k', 'stop the agent named by $SSH_AGENT_PID and print commands that unset the variables')
    .option('-t <life>', 'default lifetime of added keys: 30 (seconds), 30m, 1h30m, 4w')
    .option('-E <hash>', 'fingerprint hash in log lines: sha256 (default) or md5, sha1, sha384, sha512')
    .option('-P <allowlist>', 'PKCS#11 providers ssh-add -s may load: patterns for their real paths (default /usr/lib*/*,/usr/local/lib*/*)')
    .option('-O <option>', 'allow-remote-pkcs11 (forwarded connections may add PKCS#11 providers); no-restrict-websafe, websafe-allow=LIST are accepted', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('-v, --verbose', 'log every request (client, operation, key fingerprint, outcome) to stderr')
    .option('--only-known-keys', 'to a host some keys are known to open (keydock hosts), offer only those keys')
    .option('--pageant', 'Windows: also answer PuTTY, WinSCP and TortoiseGit (Pageant window + Pageant pipe)')
    .option('--openssh-pipe', `Windows: also serve ${OPENSSH_AGENT_PIPE} for ssh.exe and Git`)
    .option('--install', "make KeyDock's agent the login agent (systemd user unit, launchd or Windows sign-in; IdentityAgent in ~/.ssh/config)")
    .option('--uninstall', 'take back exactly what --install did')
    .option('--dry-run', 'with --install or --uninstall: print the plan, change nothing')
    .option('--socket-activated', 'listen on the socket the service manager passes (systemd: LISTEN_FDS, fd 3)')
    .option('--load-remembered', 'load every key whose passphrase is remembered in the keychain when the agent starts')
    .addOption(new Option(DAEMON_FLAG).hideHelp())
    .addHelpText('after', SERVE_HELP)
    .action(
      env.run(async (out, command: string[], opts: ServeOptions) => {
        const io = env.io;
        if (opts.install || opts.uninstall || opts.dryRun) return runLoginAgentCommand(env, out, opts, command);
        if (opts.c && opts.s) throw new KeyDockError('usage', '-c and -s exclude each other.', 'Pick the shell syntax you eval: -s for sh, bash, zsh; -c for csh, tcsh.', { exitCode: 2 });
        if (opts.D && opts.d) throw new KeyDockError('usage', '-D and -d exclude each other.', '-d is -D with a debug log on stderr.', { exitCode: 2 });
        if (command.length > 0 && (opts.c || opts.s || opts.k)) throw new KeyDockError('usage', 'A command runs with the agent; -c, -s and -k print shell commands instead.', 'Use either `keydock serve -- COMMAND` or `eval "$(keydock serve -s)"`.', { exitCode: 2 });
        if (opts.k) return killAgent(io, out, shellKind(opts, io.env));
        if ((opts.pageant || opts.opensshPipe) && process.platform !== 'win32') {
          throw new KeyDockError('windows-only', '--pageant and --openssh-pipe exist only on Windows.', 'On this system, use the Unix socket `keydock serve` prints.', { exitCode: 2 });
        }
        checkCompatibilityOptions(opts);
        const lifetime = opts.t !== undefined ? parseAgentTime(opts.t) : undefined;
        const hash = (opts.E ?? 'sha256').toLowerCase() as FingerprintHash;
        if (!FINGERPRINT_HASHES.includes(hash)) throw new KeyDockError('usage', `Invalid hash algorithm "${opts.E}".`, `Use one of ${FINGERPRINT_HASHES.join(', ')}.`, { exitCode: 2 });
        const socketPath = opts.socket ? resolve(opts.socket) : undefined;

        if (opts.daemonChild) return runDaemonChild(io, opts, socketPath, lifetime);
        if (command.length > 0) return runWithCommand(io, out, opts, socketPath, lifetime, hash, command);
        if (opts.socketActivated && !(opts.D || opts.d)) throw new KeyDockError('usage', '--socket-activated runs under a service manager, in the foreground.', 'Add -D, as the systemd unit written by keydock serve --install does.', { exitCode: 2 });
        if (opts.D || opts.d) return runForeground(io, out, opts, socketPath, lifetime, hash);
        return startInBackground(io, out, opts, socketPath, lifetime);
      }),
    );
}

/** Starts the agent in this process with the serve options; logs to stderr when asked. */
async function startAgent(io: CliIo, opts: ServeOptions, socketPath: string | undefined, lifetime: number | undefined, log: ((line: string) => void) | null, hash: FingerprintHash): Promise<{ agent: RunningAgent; windows: WindowsTransports | null }> {
  const [{ AskpassConfirmer }, { startOwnAgent }, { peerCredentialsSupported }] = await Promise.all([
    import('../../agent/server/askpass'),
    import('../../agent/server/own-agent'),
    import('../../agent/transports/peer-cred'),
  ]);
  const confirmer = new AskpassConfirmer(io.env);
  const { HostPairingStore, pairingsFiles } = await import('../../agent/host-pairings');
  const { userPaths } = await import('../../util/paths');
  const pairings = new HostPairingStore(pairingsFiles(io.env, userPaths(io.env)).serve, {
    onlyKnownKeys: Boolean(opts.onlyKnownKeys),
    onError: (message) => io.stderr.write(`keydock serve: ${message}\n`),
  });
  const { HostNameResolver, defaultKnownHostsFiles, sshConfigCandidates } = await import('../../openssh/host-names');
  const { askpassPassphraseAsker } = await import('../../agent/server/encrypted-keys');
  const { askpassPinAsker } = await import('../../agent/server/pkcs11-keys');
  const { GIT_HOST_PRESETS } = await import('../../connect/git-hosts');
  const sshDir = userPaths(io.env).sshDir;
  const presetNames = GIT_HOST_PRESETS.flatMap((p) => [p.host, ...p.alternates.map((a) => (a.port === 22 ? a.host : `[${a.host}]:${a.port}`))]);
  const hostNames = new HostNameResolver(defaultKnownHostsFiles(sshDir), async () => [...(await sshConfigCandidates(sshDir)), ...presetNames]);
  const listenFd = opts.socketActivated ? activationFd(io.env) : undefined;
  const agent = await startOwnAgent({
    env: io.env,
    socketPath: listenFd !== undefined ? (socketPath ?? (await inheritedSocketName(listenFd, io.env))) : socketPath,
    privateSocket: true,
    ...(listenFd !== undefined ? { listenFd } : {}),
    server: { confirmer, pairings, hostNames: (k) => hostNames.describe(k), passphraseAsker: askpassPassphraseAsker(io.env), ...(lifetime ? { defaultLifetimeSeconds: lifetime } : {}), ...(opts.P !== undefined ? { providerAllowlist: opts.P } : {}), allowRemotePkcs11: opts.O.includes('allow-remote-pkcs11'), pinAsker: askpassPinAsker(io.env) },
    // Always said, like ssh-agent's error(): who was turned away, with uid and pid.
    onRefused: (reason) => io.stderr.write(`keydock serve: refused a connection: ${reason}\n`),
  });
  let windows: WindowsTransports | null = null;
  if (opts.pageant || opts.opensshPipe) {
    const { startWindowsTransports } = await import('../../agent/transports/windows');
    try {
      windows = await startWindowsTransports(agent.server, {
        pageantWindow: Boolean(opts.pageant),
        pageantPipe: Boolean(opts.pageant),
        opensshPipe: Boolean(opts.opensshPipe),
        onEvent: (e) => io.stderr.write(`keydock serve: ${e.transport}: ${e.kind}: ${e.detail}\n`),
      });
    } catch (e) {
      await agent.stop();
      throw e;
    }
    io.stderr.write(`keydock serve: Windows endpoints: ${JSON.stringify(windows?.endpoints)}\n`);
  }
  if (log) {
    const { hardening, server } = agent;
    const { describeHardening } = await import('../../platform/hardening');
    log(`hardening: ${describeHardening(hardening)}`);
    if (lifetime) log(`default lifetime ${lifetime}s`);
    const fingerprint = fingerprintLookup(agent, hash);
    server.activity.subscribe((e: ActivityEntry) => {
      const parts = [new Date(e.at).toISOString(), e.client, e.operation, e.fingerprint ? fingerprint(e.fingerprint) : '-', e.destination ?? '-', e.outcome, e.detail ?? ''];
      log(parts.join(' ').trimEnd());
    });
  }
  if (!peerCredentialsSupported()) {
    io.stderr.write('keydock serve: warning: this system does not let KeyDock check who connects (no SO_PEERCRED/getpeereid); every connection will be dropped.\n');
  }
  const why = confirmer.unavailableReason();
  if (why && log) log(`note: keys added with confirmation (ssh-add -c) will be refused: ${why}.`);
  if (opts.loadRemembered) await loadRememberedKeys(io, agent.socketPath);
  return { agent, windows };
}

/**
 * Log lines name keys by the hash -E chose. The activity log keeps SHA256 fingerprints; the
 * blobs behind them come from the keystore (remembered, so a removed key still maps).
 */
function fingerprintLookup(agent: RunningAgent, hash: FingerprintHash): (sha256: string) => string {
  if (hash === 'sha256') return (fp) => fp;
  const known = new Map<string, string>();
  return (fp) => {
    if (!known.has(fp)) {
      if (known.size > 10_000) known.clear();
      for (const id of agent.server.keystore.list()) {
        if (known.has(id.fingerprint)) continue;
        // A certificate's fingerprint is that of the key it certifies, as in the activity log.
        known.set(id.fingerprint, fingerprintWith(hash, plainBlobOf(id.publicBlob)));
      }
    }
    return known.get(fp) ?? fp;
  };
}

/** Resolves on SIGTERM or SIGHUP (and SIGINT when `interrupt`); ignores SIGINT otherwise, as ssh-agent does in the background. */
function untilStopSignal(interrupt: boolean): Promise<NodeJS.Signals> {
  return new Promise((resolveStop) => {
    const ignore = () => {};
    const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
    const stop = (sig: NodeJS.Signals) => {
      for (const s of signals) process.off(s, stop);
      if (!interrupt) process.off('SIGINT', ignore);
      resolveStop(sig);
    };
    process.on('SIGTERM', stop);
    process.on('SIGHUP', stop);
    if (interrupt) process.on('SIGINT', stop);
    else process.on('SIGINT', ignore);
  });
}

async function stopAll(agent: RunningAgent, windows: WindowsTransports | null): Promise<void> {
  await windows?.stop();
  await agent.stop();
}

/** `-D` / `-d`: the agent in this process until SIGTERM, SIGHUP or SIGINT; prints what ssh-agent -D prints. */
async function runForeground(io: CliIo, out: CommandOutput, opts: ServeOptions, socketPath: string | undefined, lifetime: number | undefined, hash: FingerprintHash): Promise<void> {
  const log = opts.d || opts.verbose ? (line: string) => io.stderr.write(`keydock serve: ${line}\n`) : null;
  const { agent, windows } = await startAgent(io, opts, socketPath, lifetime, log, hash);
  if (out.json) io.stdout.write(JSON.stringify({ ok: true, socket: agent.socketPath, pid: process.pid }) + '\n');
  else io.stdout.write(envLines(shellKind(opts, io.env), agent.socketPath, process.pid, false));
  await untilStopSignal(true);
  await stopAll(agent, windows);
}

/** The background agent: no terminal, no output; tells its parent over IPC when it listens. */
async function runDaemonChild(io: CliIo, opts: ServeOptions, socketPath: string | undefined, lifetime: number | undefined): Promise<void> {
  const report = (r: DaemonReport) =>
    new Promise<void>((done) => {
      if (!process.send) return done();
      process.send(r, () => {
        process.disconnect?.();
        done();
      });
    });
  let started: Awaited<ReturnType<typeof startAgent>>;
  try {
    started = await startAgent(io, opts, socketPath, lifetime, null, 'sha256');
  } catch (e) {
    const err = e instanceof KeyDockError ? e : new KeyDockError('agent-start-failed', `KeyDock's agent could not start: ${e instanceof Error ? e.message : String(e)}`, 'Run `keydock serve -d` to see it in the foreground.');
    await report({ ok: false, error: { code: err.code, message: err.message, hint: err.hint, exitCode: err.exitCode } });
    throw err;
  }
  await report({ ok: true, socket: started.agent.socketPath, pid: process.pid });
  await untilStopSignal(false);
  await stopAll(started.agent, started.windows);
}

/**
 * The default: start the agent as a detached process of the same program (its own session, stdio
 * on /dev/null, cwd /), wait until it listens, print the shell lines and exit, as ssh-agent's
 * fork does. The child never holds our stdout, so `eval "$(keydock serve -s)"` returns at once.
 */
async function startInBackground(io: CliIo, out: CommandOutput, opts: ServeOptions, socketPath: string | undefined, lifetime: number | undefined): Promise<void> {
  const script = process.argv[1];
  if (!script) throw new KeyDockError('serve-no-background', 'This program cannot start KeyDock\'s agent in the background.', 'Run `keydock serve -D` and put it in the background yourself.', { exitCode: 2 });
  const serveArgs = [
    ...process.execArgv.filter((a) => !a.startsWith('--inspect')),
    script,
    'serve',
    DAEMON_FLAG,
    ...(socketPath ? ['--socket', socketPath] : []),
    ...(lifetime ? ['-t', String(lifetime)] : []),
    ...(opts.pageant ? ['--pageant'] : []),
    ...(opts.opensshPipe ? ['--openssh-pipe'] : []),
    ...(opts.onlyKnownKeys ? ['--only-known-keys'] : []),
    ...(opts.P !== undefined ? ['-P', opts.P] : []),
    ...opts.O.flatMap((o) => ['-O', o]),
    ...(opts.loadRemembered ? ['--load-remembered'] : []),
  ];
  let report = await spawnDaemon(io, [...DAEMON_NODE_FLAGS, ...serveArgs]);
  if (report === EXIT_BAD_OPTION) report = await spawnDaemon(io, serveArgs);
  if (typeof report === 'number') throw new KeyDockError('agent-start-failed', `KeyDock's agent exited before it listened (status ${report}).`, 'Run `keydock serve -d` to see why in the foreground.');
  if (!report.ok) throw new KeyDockError(report.error.code, report.error.message, report.error.hint, { exitCode: report.error.exitCode });
  if (out.json) io.stdout.write(JSON.stringify({ ok: true, socket: report.socket, pid: report.pid }) + '\n');
  else io.stdout.write(envLines(shellKind(opts, io.env), report.socket, report.pid, true));
}

/** Spawns the background agent and waits for its report; a number is the status it exited with before reporting. */
async function spawnDaemon(io: CliIo, args: string[]): Promise<DaemonReport | number> {
  const child: ChildProcess = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], cwd: '/', env: io.env, windowsHide: true });
  try {
    return await new Promise<DaemonReport | number>((resolveReport, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGTERM');
        reject(new KeyDockError('agent-start-failed', `KeyDock's agent did not start listening within ${DAEMON_READY_TIMEOUT_MS / 1000} s.`, 'Run `keydock serve -d` to see it in the foreground.'));
      }, DAEMON_READY_TIMEOUT_MS);
      child.once('message', (m) => {
        clearTimeout(timer);
        resolveReport(m as DaemonReport);
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new KeyDockError('agent-start-failed', `KeyDock's agent could not be started: ${e.message}`, 'Run `keydock serve -d` to see it in the foreground.'));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolveReport(code ?? 128 + (signal ? signalNumber(signal) : 0));
      });
    });
  } finally {
    child.removeAllListeners();
    if (child.connected) child.disconnect();
    child.unref();
  }
}

/** `keydock serve -- COMMAND`: the agent lives exactly as long as the command; its exit status is ours. */
async function runWithCommand(io: CliIo, out: CommandOutput, opts: ServeOptions, socketPath: string | undefined, lifetime: number | undefined, hash: FingerprintHash, command: string[]): Promise<void> {
  const log = opts.d || opts.verbose ? (line: string) => io.stderr.write(`keydock serve: ${line}\n`) : null;
  const { agent, windows } = await startAgent(io, opts, socketPath, lifetime, log, hash);
  let status: number;
  try {
    status = await new Promise<number>((resolveStatus) => {
      const child = spawn(command[0] as string, command.slice(1), {
        stdio: 'inherit',
        env: { ...io.env, SSH_AUTH_SOCK: agent.socketPath, SSH_AGENT_PID: String(process.pid) },
      });
      // Ctrl-C reaches the command through the terminal; SIGTERM and SIGHUP sent to us are passed on.
      const forward = (sig: NodeJS.Signals) => child.kill(sig);
      const ignore = () => {};
      process.on('SIGTERM', forward);
      process.on('SIGHUP', forward);
      process.on('SIGINT', ignore);
      const done = (n: number) => {
        process.off('SIGTERM', forward);
        process.off('SIGHUP', forward);
        process.off('SIGINT', ignore);
        resolveStatus(n);
      };
      child.once('error', (e: NodeJS.ErrnoException) => {
        io.stderr.write(`keydock serve: ${command[0]}: ${e.code === 'ENOENT' ? 'command not found' : e.message}\n`);
        done(1);
      });
      child.once('exit', (code, signal) => done(code ?? 128 + (signal ? signalNumber(signal) : 0)));
    });
  } finally {
    await stopAll(agent, windows);
  }
  // Any status the command had, not only 0/1/2 (CommandOutput's type names the CLI's own).
  out.setExitCode(status as 0);
}

/** The shell's 128+N convention for a command killed by a signal. */
function signalNumber(signal: NodeJS.Signals): number {
  return osConstants.signals[signal] ?? 0;
}

/** Internal file descriptors passed by systemd start here (sd_listen_fds(3)). */
const SD_LISTEN_FDS_START = 3;

/**
 * The listening socket systemd passed (socket activation): LISTEN_PID must be this process and
 * LISTEN_FDS at least 1; the first one, fd 3, is served. The variables are then removed, so
 * programs the agent starts (askpass) do not take them for their own.
 */
export function activationFd(env: NodeJS.ProcessEnv): number {
  const pid = env.LISTEN_PID;
  const fds = Number(env.LISTEN_FDS);
  if (pid === undefined || env.LISTEN_FDS === undefined) {
    throw new KeyDockError('not-socket-activated', '--socket-activated, but no socket was passed (LISTEN_FDS and LISTEN_PID are not set).', 'Let systemd start it through keydock-agent.socket (keydock serve --install writes it), or leave --socket-activated out.', { exitCode: 2 });
  }
  if (pid !== String(process.pid) || !Number.isInteger(fds) || fds < 1) {
    throw new KeyDockError('not-socket-activated', `The passed socket is not for this process (LISTEN_PID=${pid.slice(0, 20)}, LISTEN_FDS=${env.LISTEN_FDS.slice(0, 20)}; this is pid ${process.pid}).`, 'Start it from the socket unit, or leave --socket-activated out.', { exitCode: 2 });
  }
  for (const name of ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES']) {
    delete env[name];
    delete process.env[name];
  }
  return SD_LISTEN_FDS_START;
}

/**
 * The path an inherited socket is bound to, for the SSH_AUTH_SOCK line and the log: Linux says it
 * in /proc/net/unix (by the socket's inode); elsewhere, or when that fails, the well-known
 * `$XDG_RUNTIME_DIR/keydock/agent.sock` the unit listens on.
 */
async function inheritedSocketName(fd: number, env: NodeJS.ProcessEnv): Promise<string> {
  const { readFile, readlink } = await import('node:fs/promises');
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/self/fd/${fd}`))?.[1];
    // Num RefCount Protocol Flags Type St Inode Path
    const line = inode ? (await readFile('/proc/net/unix', 'utf8')).split('\n').find((l) => l.trim().split(/\s+/)[6] === inode) : undefined;
    const path = line?.trim().split(/\s+/).slice(7).join(' ');
    if (path && path.startsWith('/')) return path;
  } catch {
    // Not Linux, or /proc is not mounted.
  }
  return env.XDG_RUNTIME_DIR ? resolve(env.XDG_RUNTIME_DIR, 'keydock', 'agent.sock') : `fd ${fd}`;
}

/**
 * --load-remembered: every key whose passphrase the keychain gives goes into the agent that just
 * started, through its own socket (so -t applies); no prompt. A key that cannot be loaded (no
 * keychain, passphrase gone, file changed) is one line on stderr, and the agent runs on.
 */
async function loadRememberedKeys(io: CliIo, socket: string): Promise<void> {
  const [{ RememberedKeys }, { createSecretStore }, { userPaths }, { withAgent }] = await Promise.all([
    import('../../keys/remembered-keys'),
    import('../../secrets/store'),
    import('../../util/paths'),
    import('../../agent/session'),
  ]);
  const remembered = new RememberedKeys(createSecretStore(process.platform), userPaths(io.env).configDir);
  try {
    const r = await remembered.loadAll(async () => (key) => withAgent(socket, (c) => c.addIdentity(key, {})));
    for (const path of r.loaded) io.stderr.write(`keydock serve: loaded remembered key ${path}\n`);
    for (const f of r.failed) io.stderr.write(`keydock serve: remembered key ${f.path} not loaded: ${f.message}\n`);
  } catch (e) {
    io.stderr.write(`keydock serve: remembered keys not loaded: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}

/** `--install` / `--uninstall` [`--dry-run`]: the login agent's plan, or the steps done (lifecycle/login-agent.ts). */
async function runLoginAgentCommand(env: CommandEnv, out: CommandOutput, opts: ServeOptions, command: string[]): Promise<void> {
  if (opts.install && opts.uninstall) throw new KeyDockError('usage', '--install and --uninstall exclude each other.', 'Run one of them.', { exitCode: 2 });
  if (!opts.install && !opts.uninstall) throw new KeyDockError('usage', '--dry-run goes with --install or --uninstall.', 'Run keydock serve --install --dry-run to see the plan.', { exitCode: 2 });
  const others = command.length > 0 || opts.c || opts.s || opts.D || opts.d || opts.k || opts.socket || opts.t || opts.socketActivated || opts.loadRemembered || opts.pageant || opts.opensshPipe;
  if (others) throw new KeyDockError('usage', '--install and --uninstall take no other serve options.', 'The unit runs keydock serve -D --socket-activated --load-remembered; run keydock serve --install alone.', { exitCode: 2 });
  const action = opts.install ? 'install' : 'uninstall';
  const { applyLoginAgent, describeLoginAgentReport, findKeydockLauncher, planLoginAgent } = await import('../../lifecycle/login-agent');
  const rt = await env.context();
  const launcher = findKeydockLauncher(rt.env);
  const report = opts.dryRun ? await planLoginAgent(rt, action, { launcher }) : await applyLoginAgent(rt, action, { launcher });
  out.success({ ...report, dryRun: Boolean(opts.dryRun) }, () => describeLoginAgentReport(report, Boolean(opts.dryRun)));
  if (!report.ok) out.setExitCode(1);
}
