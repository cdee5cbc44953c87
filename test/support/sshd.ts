/**
 * A throwaway OpenSSH sshd on 127.0.0.1 that behaves like a Git host (GitHub, GitLab or
 * Bitbucket greeting; docs/agent-protocol.md §5), started from here with no outside script.
 *
 * - Host keys (ed25519, ecdsa, rsa) are generated in `dir` on first use and kept across
 *   restarts in the same dir (`rotateHostKeys()` replaces them: a "changed host key").
 * - Every session runs `dir/git-shell` (ForceCommand): it finds the key sshd accepted
 *   (ExposeAuthInfo) in authorized_keys; a `command="..."` line written by `addKey()`
 *   greets as NAME, any other line greets with the key's comment (or "git").
 * - Unknown keys: "Permission denied (publickey)."; MaxAuthTries is sshd's default 6.
 * - LogLevel VERBOSE: the log (`log()`) names offered/accepted keys and failures.
 * - Login user: the user running the tests (root in CI, PermitRootLogin prohibit-password).
 *
 * `sshd -D -e` runs in the foreground as a child of the test (tracked by processes.ts,
 * so it is killed at the end of the test file at the latest); its stderr is the log.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { appendFile, chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { run, startProcess, stopProcess } from './processes';

export type GreetingFlavour = 'github' | 'gitlab' | 'bitbucket';

export interface SshdOptions {
  /** Which Git host to imitate (default github). */
  greeting?: GreetingFlavour;
  /** Directory for keys, config and log (created if needed); default a new temp dir. */
  dir?: string;
  /** Fixed port (default: a free one picked by the kernel, retried on a race). */
  port?: number;
  /**
   * Extra sshd_config lines. Plain lines go BEFORE the defaults, because sshd keeps the first
   * value it reads (so `AllowAgentForwarding yes` or `MaxAuthTries 3` win); everything from
   * the first `Match` line on goes at the end, as sshd requires.
   */
  extraConfig?: string[];
  /** ForceCommand (default the git-shell greeter); null runs the user's real shell. */
  forceCommand?: string | null;
}

export interface Sshd {
  port: number;
  pid: number;
  dir: string;
  /** The login user (whoever runs the tests). */
  user: string;
  greeting: GreetingFlavour;
  /** `[127.0.0.1]:PORT TYPE BASE64` for each host key. */
  knownHostsFile: string;
  /** Host "sandbox" → 127.0.0.1:PORT, User, this known_hosts, IdentitiesOnly, BatchMode. */
  sshConfigFile: string;
  sshdConfigFile: string;
  authorizedKeysFile: string;
  /** Public host key lines (`TYPE BASE64 comment`) in the order ed25519, ecdsa, rsa. */
  hostKeys: string[];
  /** Authorizes a public key file as NAME (account or `owner/repo`); returns the line added. */
  addKey(pubFile: string, name: string, options?: { greeting?: GreetingFlavour }): Promise<string>;
  /** Appends a raw authorized_keys line (e.g. a key without command=, greeting by comment). */
  authorize(line: string): Promise<void>;
  /** Everything sshd logged so far. */
  log(): string;
  /** Resolves once the log contains `text` (e.g. an "Accepted publickey" line). */
  waitForLog(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Writes new host keys; takes effect after `restart()`. */
  rotateHostKeys(): Promise<void>;
  /** Restarts sshd on the same port with the same dir (after rotateHostKeys). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';
const HOST_KEY_TYPES = ['ed25519', 'ecdsa', 'rsa'] as const;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._/@-]*$/;

const GIT_SHELL = `#!/usr/bin/env bash
# Written by test/support/sshd.ts: emulates a Git host's answer to \`ssh -T git@host\`.
# git-shell [--greeting github|gitlab|bitbucket] NAME   -> print greeting, exit like the host
# git-shell (no args, via ForceCommand) -> honour the accepted key's command= or greet by comment
set -u
here=$(dirname "$0")
flavour=$(cat "$here/greeting" 2>/dev/null || echo github)
if [ "\${1:-}" = --greeting ]; then flavour=\${2:-github}; shift 2; fi
if [ $# -eq 0 ]; then
  name=git
  if [ -z "\${KEYDOCK_GIT_SHELL_NESTED:-}" ] && [ -r "\${SSH_USER_AUTH:-/nonexistent}" ]; then
    read -r _method ktype blob _rest < "$SSH_USER_AUTH"
    line=$(grep -F -- " $blob" "$here/authorized_keys" | head -n 1)
    [ -n "$line" ] || line=$(grep -- "^$ktype $blob" "$here/authorized_keys" | head -n 1)
    opts=\${line%%"$ktype $blob"*}
    comment=\${line#*"$blob"}; comment=\${comment# }
    case "$opts" in
      *command=\\"*)
        cmd=$(printf '%s' "$opts" | sed -E 's/^(.*,)?command="(([^"\\\\]|\\\\.)*)".*$/\\2/; s/\\\\"/"/g')
        export KEYDOCK_GIT_SHELL_NESTED=1
        exec /bin/sh -c "$cmd" ;;
    esac
    [ -z "$comment" ] || name=$comment
  fi
else
  name="$*"
fi
case "$flavour" in
  gitlab)    printf 'Welcome to GitLab, @%s!\\n' "$name"; exit 0 ;;
  bitbucket) printf 'authenticated via ssh key.\\n\\nYou can use git to connect to Bitbucket. Shell access is disabled\\n'; exit 0 ;;
  *)         printf "Hi %s! You've successfully authenticated, but GitHub does not provide shell access.\\n" "$name" >&2; exit 1 ;;
esac
`;

/** Asks the kernel for a free 127.0.0.1 port (may race with another process; callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

async function generateHostKeys(dir: string): Promise<void> {
  for (const t of HOST_KEY_TYPES) {
    const key = join(dir, `ssh_host_${t}_key`);
    await rm(key, { force: true });
    await rm(`${key}.pub`, { force: true });
    const r = await run('ssh-keygen', ['-q', '-t', t, '-N', '', '-C', `sshd-sandbox-host-${t}`, '-f', key]);
    if (r.code !== 0) throw new Error(`ssh-keygen could not create a ${t} host key: ${r.stderr}`);
  }
}

// RSA key generation costs seconds on a busy 2-core box: a test file's sshds share one
// generated set (each dir gets a copy); rotateHostKeys() always makes fresh ones.
let templateKeys: Promise<string> | null = null;

async function ensureHostKeys(dir: string): Promise<void> {
  let complete = true;
  for (const t of HOST_KEY_TYPES) {
    const key = join(dir, `ssh_host_${t}_key`);
    if (!(await exists(key)) || !(await exists(`${key}.pub`))) complete = false;
  }
  if (complete) return;
  templateKeys ??= (async () => {
    const template = await mkdtemp(join(tmpdir(), 'keydock-sshd-hostkeys-'));
    await generateHostKeys(template);
    return template;
  })();
  const template = await templateKeys;
  for (const t of HOST_KEY_TYPES) {
    for (const suffix of ['', '.pub']) {
      const name = `ssh_host_${t}_key${suffix}`;
      await copyFile(join(template, name), join(dir, name));
      await chmod(join(dir, name), suffix ? 0o644 : 0o600);
    }
  }
}

function sshdConfig(dir: string, port: number, user: string, options: SshdOptions): string {
  const extra = options.extraConfig ?? [];
  const matchAt = extra.findIndex((l) => /^\s*match\s/i.test(l));
  const before = matchAt < 0 ? extra : extra.slice(0, matchAt);
  const after = matchAt < 0 ? [] : extra.slice(matchAt);
  const force = options.forceCommand === undefined ? join(dir, 'git-shell') : options.forceCommand;
  return [
    '# generated by test/support/sshd.ts',
    ...before,
    `ListenAddress 127.0.0.1:${port}`,
    ...HOST_KEY_TYPES.map((t) => `HostKey ${join(dir, `ssh_host_${t}_key`)}`),
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'AuthorizedPrincipalsFile none',
    'StrictModes no',
    `AllowUsers ${user}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PubkeyAcceptedAlgorithms +ssh-rsa',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'UsePAM no',
    ...(force ? [`ForceCommand ${force}`] : []),
    'ExposeAuthInfo yes',
    'PermitTTY no',
    'PermitUserEnvironment no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'AllowStreamLocalForwarding no',
    'PermitTunnel no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'MaxStartups 100:30:200',
    'LoginGraceTime 30',
    'LogLevel VERBOSE',
    ...after,
    '',
  ].join('\n');
}

/** sshd >= 9.8 penalises addresses after failed logins; tests fail logins on purpose. */
async function supportsPerSourcePenalties(configFile: string): Promise<boolean> {
  const r = await run(SSHD, ['-t', '-f', configFile, '-o', 'PerSourcePenalties=no']);
  return r.code === 0;
}

/** Starts a Git-host-like sshd on 127.0.0.1 (see the file comment). */
export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const greeting = options.greeting ?? 'github';
  const dir = resolve(options.dir ?? (await mkdtemp(join(tmpdir(), 'keydock-sshd-'))));
  if (/[\s%]/.test(dir)) throw new Error(`sshd dir must not contain whitespace or '%': ${dir}`);
  await mkdir(dir, { recursive: true });
  const user = userInfo().username;
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  await ensureHostKeys(dir);
  const authorizedKeysFile = join(dir, 'authorized_keys');
  if (!(await exists(authorizedKeysFile))) await writeFile(authorizedKeysFile, '');
  await chmod(authorizedKeysFile, 0o600);
  await writeFile(join(dir, 'greeting'), `${greeting}\n`);
  await writeFile(join(dir, 'git-shell'), GIT_SHELL, { mode: 0o755 });
  await chmod(join(dir, 'git-shell'), 0o755);

  const sshdConfigFile = join(dir, 'sshd_config');
  const logFile = join(dir, 'sshd.log');
  let logText = '';
  let logStream: WriteStream | null = null;
  let child: ChildProcess | null = null;
  let port = 0;
  const logWaiters = new Set<() => void>();

  const launch = async (wantedPort: number | undefined): Promise<void> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      port = wantedPort ?? (await freePort());
      await writeFile(sshdConfigFile, sshdConfig(dir, port, user, options));
      if (await supportsPerSourcePenalties(sshdConfigFile)) await appendFile(sshdConfigFile, 'PerSourcePenalties no\n');
      const check = await run(SSHD, ['-t', '-f', sshdConfigFile]);
      if (check.code !== 0) throw new Error(`sshd rejected the generated config: ${check.stderr}`);
      await rm(join(dir, 'sshd.pid'), { force: true });
      logText = '';
      logStream?.end();
      logStream = createWriteStream(logFile, { flags: 'w' });
      const proc = startProcess(SSHD, ['-D', '-e', '-f', sshdConfigFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      const stream = logStream;
      proc.stderr?.on('data', (d: Buffer) => {
        logText += d.toString();
        stream.write(d);
        for (const w of [...logWaiters]) w();
      });
      const listening = `Server listening on 127.0.0.1 port ${port}`;
      const up = await new Promise<boolean>((resolveUp) => {
        const check = () => {
          if (logText.includes(listening)) done(true);
        };
        const onExit = () => done(false);
        const timer = setTimeout(() => done(false), 10_000);
        function done(ok: boolean) {
          clearTimeout(timer);
          logWaiters.delete(check);
          proc.off('exit', onExit);
          resolveUp(ok);
        }
        logWaiters.add(check);
        proc.once('exit', onExit);
        check();
      });
      if (up) {
        child = proc;
        return;
      }
      await stopProcess(proc);
      if (wantedPort === undefined && /address already in use|cannot bind/i.test(logText)) continue;
      throw new Error(`sshd did not start; last log lines:\n${logText.split('\n').slice(-15).join('\n')}`);
    }
    throw new Error(`no free port found after 5 attempts (see ${logFile})`);
  };

  const hostKeys: string[] = [];
  const knownHostsFile = join(dir, 'known_hosts');
  const sshConfigFile = join(dir, 'ssh_config');
  const writeClientFiles = async () => {
    hostKeys.length = 0;
    const known: string[] = [];
    for (const t of HOST_KEY_TYPES) {
      const line = (await readFile(join(dir, `ssh_host_${t}_key.pub`), 'utf8')).trim();
      hostKeys.push(line);
      const [ktype, blob] = line.split(/\s+/);
      known.push(`[127.0.0.1]:${port} ${ktype} ${blob}`);
    }
    await writeFile(`${knownHostsFile}.tmp`, `${known.join('\n')}\n`);
    await rename(`${knownHostsFile}.tmp`, knownHostsFile);
    await writeFile(
      sshConfigFile,
      [
        `# generated by test/support/sshd.ts: ssh -F ${sshConfigFile} -i KEY sandbox`,
        'Host sandbox',
        '  HostName 127.0.0.1',
        `  Port ${port}`,
        `  User ${user}`,
        `  UserKnownHostsFile ${knownHostsFile}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
        '  IdentitiesOnly yes',
        '  BatchMode yes',
        '  RequestTTY no',
        '',
      ].join('\n'),
    );
  };

  await launch(options.port);
  await writeFile(join(dir, 'port'), `${port}\n`);
  await writeClientFiles();

  const sshd: Sshd = {
    port,
    pid: (child as ChildProcess | null)?.pid ?? -1,
    dir,
    user,
    greeting,
    knownHostsFile,
    sshConfigFile,
    sshdConfigFile,
    authorizedKeysFile,
    hostKeys,
    async addKey(pubFile, name, addOptions = {}) {
      if (!NAME_RE.test(name)) throw new Error(`NAME must match [A-Za-z0-9][A-Za-z0-9._/@-]* (got '${name}')`);
      const check = await run('ssh-keygen', ['-l', '-f', pubFile]);
      if (check.code !== 0) throw new Error(`not a valid OpenSSH public key: ${pubFile}`);
      const first = (await readFile(pubFile, 'utf8')).split('\n').find((l) => l.trim() && !l.trim().startsWith('#')) ?? '';
      const [ktype = '', blob = '', ...rest] = first.trim().split(/\s+/);
      if (!/^(ssh-|ecdsa-|sk-)/.test(ktype)) throw new Error(`expected 'TYPE BASE64 [comment]' in ${pubFile} (no options)`);
      const current = await readFile(authorizedKeysFile, 'utf8');
      if (current.includes(` ${blob}`) || current.split('\n').some((l) => l.startsWith(`${ktype} ${blob}`))) {
        throw new Error(`Key is already in use (${pubFile})`);
      }
      const flag = addOptions.greeting ? `--greeting ${addOptions.greeting} ` : '';
      const comment = rest.join(' ');
      const line = `command="${join(dir, 'git-shell')} ${flag}${name}",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ${ktype} ${blob}${comment ? ` ${comment}` : ''}`;
      await appendFile(authorizedKeysFile, `${line}\n`);
      return line;
    },
    async authorize(line) {
      await appendFile(authorizedKeysFile, `${line.trim()}\n`);
    },
    log: () => logText,
    waitForLog(text, timeoutMs = 10_000) {
      const has = () => (typeof text === 'string' ? logText.includes(text) : text.test(logText));
      return new Promise((resolveWait, reject) => {
        const check = () => {
          if (!has()) return;
          clearTimeout(timer);
          logWaiters.delete(check);
          resolveWait();
        };
        const timer = setTimeout(() => {
          logWaiters.delete(check);
          reject(new Error(`sshd log never showed ${String(text)}; log:\n${logText}`));
        }, timeoutMs);
        logWaiters.add(check);
        check();
      });
    },
    async rotateHostKeys() {
      await generateHostKeys(dir);
    },
    async restart() {
      if (child) await stopProcess(child);
      child = null;
      await launch(port);
      sshd.pid = (child as ChildProcess | null)?.pid ?? -1;
      await writeClientFiles();
    },
    async stop() {
      if (child) await stopProcess(child);
      child = null;
      logStream?.end();
      await rm(join(dir, 'sshd.pid'), { force: true });
    },
  };
  return sshd;
}
