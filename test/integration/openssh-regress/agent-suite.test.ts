// OpenSSH's own regression tests for the agent, run with KeyDock's agent in ssh-agent's place.
// The suite is the one of the installed OpenSSH (Debian's openssh-tests package, with its
// run-tests script); TEST_SSH_SSHAGENT points at scripts/keydock-ssh-agent, so every
// `ssh-agent …` a test runs is `keydock serve …`. Each OpenSSH test is one `it`, run by
// run-tests in its own temp dir (HOME and TMPDIR too), and its log is the failure message.
//
// agent-getpeereid and agent-ptrace skip themselves as root, so they run as an unprivileged
// user; their `sudo -u nobody …` goes through a private copy of setpriv that holds only
// CAP_SETUID/CAP_SETGID (as file capabilities), so the agent, gdb and ssh-add themselves hold
// no privilege at all.
//
// Set KEYDOCK_REGRESS_AGENT=/usr/bin/ssh-agent to run the same harness against OpenSSH's agent,
// and KEYDOCK_REGRESS_KEEP=1 to keep each test's temp dir (its path is in the log) for a look.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';

const SUITE = '/usr/lib/openssh/regress';
const RUN_TESTS = join(SUITE, 'run-tests');
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const AGENT = process.env.KEYDOCK_REGRESS_AGENT || join(REPO, 'scripts', 'keydock-ssh-agent');

/**
 * Key types the suite takes from `ssh -Q key-plain` (and `ssh -Q key-sig`) that are left out of
 * every test, by the prefix of their names, and why. A shim `ssh` first on PATH drops them from
 * `-Q` answers only; the suite has no other knob for its key types.
 */
const EXCLUDED_KEY_TYPES: ReadonlyArray<{ prefix: string; why: string }> = [
  { prefix: 'ssh-dss', why: 'DSA (ssh-dss and its certificate): KeyDock refuses DSA keys on purpose, as OpenSSH 10 removed DSA' },
];

/** Agent tests of the suite that are not run at all, and why. */
const EXCLUDED_TESTS: ReadonlyArray<{ name: string; why: string }> = [];

interface SuiteTest {
  name: string;
  /** Runs as an unprivileged user with a `sudo` that can become `nobody` (the test skips as root). */
  unprivileged?: boolean;
  minutes: number;
}

const TESTS: SuiteTest[] = [
  { name: 'agent', minutes: 15 },
  { name: 'agent-timeout', minutes: 5 },
  // SoftHSM is the token (scripts/install-deps.sh: softhsm2); the test skips itself without it, which fails here.
  { name: 'agent-pkcs11', minutes: 5 },
  { name: 'agent-restrict', minutes: 30 },
  { name: 'agent-getpeereid', unprivileged: true, minutes: 5 },
  { name: 'agent-ptrace', unprivileged: true, minutes: 5 },
  { name: 'agent-subprocess', minutes: 5 },
  { name: 'cert-file', minutes: 10 },
  { name: 'hostkey-agent', minutes: 15 },
  { name: 'sshsig', minutes: 30 },
];

/** The unprivileged user (any existing account other than root and nobody, which the suite uses). */
const UNPRIVILEGED_USER = 'daemon';

function suiteMissing(): string | null {
  if (process.platform !== 'linux') return 'Linux only';
  if (!existsSync(RUN_TESTS)) return `${RUN_TESTS} is missing: run scripts/install-deps.sh (package openssh-tests)`;
  for (const tool of ['make', 'gdb']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is missing: run scripts/install-deps.sh`;
    }
  }
  return null;
}

function userIds(name: string): { uid: number; gid: number } | null {
  try {
    const [uid, gid] = ['-u', '-g'].map((f) => Number(execFileSync('id', [f, name], { encoding: 'utf8' }).trim()));
    return { uid: uid!, gid: gid! };
  } catch {
    return null;
  }
}

/** Why the unprivileged tests cannot run here, or null. */
function unprivilegedMissing(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to switch to an unprivileged user';
  const ids = userIds(UNPRIVILEGED_USER);
  if (!ids) return `no user ${UNPRIVILEGED_USER}`;
  for (const tool of ['setpriv', 'setcap']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool} || test -x /sbin/${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is missing: run scripts/install-deps.sh`;
    }
  }
  try {
    execFileSync('setpriv', [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', '--', 'test', '-r', join(REPO, 'bin', 'keydock.cjs')], { stdio: 'ignore' });
  } catch {
    return `user ${UNPRIVILEGED_USER} cannot read the checkout at ${REPO}`;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `ssh` that answers `-Q` without the excluded key types and is OpenSSH's ssh otherwise. */
function sshShim(realSsh: string): string {
  const drop = EXCLUDED_KEY_TYPES.map((t) => `-e ${shellQuote('^' + t.prefix)}`).join(' ');
  return `#!/bin/sh
for a in "$@"; do
  case "$a" in
    -Q*) ${shellQuote(realSsh)} "$@" | grep -v ${drop}; exit 0 ;;
  esac
done
exec ${shellQuote(realSsh)} "$@"
`;
}

/**
 * \`sudo\` for the unprivileged run: \`sudo [-S|-n] -u USER cmd…\` runs cmd as USER through the
 * capability-holding setpriv copy; anything else runs as the caller (its chown to root fails,
 * which the suite tolerates).
 */
function sudoShim(setprivCaps: string): string {
  return `#!/bin/sh
user=
while [ $# -gt 0 ]; do
  case "$1" in
    -S|-n) shift ;;
    -u) user=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ -n "$user" ]; then
  exec ${shellQuote(setprivCaps)} --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups --inh-caps=-all -- "$@"
fi
exec "$@"
`;
}

/** Every process still carrying this run's marker in its environment (agents fork to the background). */
async function processesWithMarker(marker: string): Promise<Array<{ pid: number; cmd: string }>> {
  const needle = Buffer.from(`KEYDOCK_REGRESS_RUN=${marker}\0`);
  const out: Array<{ pid: number; cmd: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const env = await readFile(`/proc/${pid}/environ`);
      if (!env.includes(needle)) continue;
      const cmd = (await readFile(`/proc/${pid}/cmdline`)).toString().replace(/\0/g, ' ').trim();
      out.push({ pid, cmd });
    } catch {
      // Gone meanwhile, or not readable: not one of ours.
    }
  }
  return out;
}

/** Stops what this run left behind (by pid: TERM, then KILL) and says what that was. */
async function stopLeftovers(marker: string): Promise<string[]> {
  const left = await processesWithMarker(marker);
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  for (let i = 0; i < 30 && (await processesWithMarker(marker)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  for (const p of await processesWithMarker(marker)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return left.map((p) => `${p.pid} ${p.cmd}`);
}

/**
 * Why KeyDock's agent may start slowly here: bin/keydock.cjs runs the TypeScript through tsx
 * (seconds) while out/cli/keydock.cjs is older than a source, and some tests give the agent a
 * fixed time to listen (agent-restrict: `sleep 4`). `npm test` builds first, so CI uses the bundle.
 */
function staleBundleNote(): string | null {
  if (AGENT !== join(REPO, 'scripts', 'keydock-ssh-agent')) return null;
  const mtime = (p: string) => {
    try {
      return statSync(p).mtimeMs;
    } catch {
      return -1;
    }
  };
  const bundle = mtime(join(REPO, 'out', 'cli', 'keydock.cjs'));
  for (const dir of ['main', 'shared']) {
    for (const f of readdirSync(join(REPO, dir), { recursive: true }).map(String)) {
      if (f.endsWith('.ts') && mtime(join(REPO, dir, f)) > bundle) {
        return `note: out/cli/keydock.cjs is missing or older than ${dir}/${f}, so keydock started through tsx (slow); run \`npm run build\` first`;
      }
    }
  }
  return null;
}

/** The middle of a long log goes; the start (what ran) and the end (what failed) stay. */
function clip(log: string, head: number, tail: number): string {
  if (log.length <= head + tail) return log;
  return `${log.slice(0, head)}\n\n[… ${log.length - head - tail} characters left out …]\n\n${log.slice(-tail)}`;
}

/**
 * run-tests prints the test's own lines, then on failure each failed-*.log (`==> FILE <==`);
 * ssh's and sshd's are DEBUG3 and long, so every part is clipped on its own: all of them show.
 */
function clipOutput(output: string): string {
  const parts = output.split(/^(?===> .+ <==$)/m);
  return parts.map((p, i) => (i === 0 ? clip(p, 20_000, 20_000) : clip(p, 4_000, 16_000))).join('');
}

interface SuiteResult {
  ok: boolean;
  log: string;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Runs one test of the suite through run-tests, in a fresh temp dir, with AGENT as ssh-agent. */
async function runSuiteTest(t: SuiteTest): Promise<SuiteResult> {
  const marker = randomBytes(12).toString('hex');
  // Never the test's name in the path: hostkey-agent drops every sshd_config line matching "hostkey".
  const dir = await mkdtemp(join(tmpdir(), 'keydock-regress-'));
  if (!process.env.KEYDOCK_REGRESS_KEEP) cleanups.push(() => rm(dir, { recursive: true, force: true }));
  // Traversable, so agent-getpeereid's `nobody` really reaches the socket and the agent has to refuse.
  await chmod(dir, 0o755);
  const bin = join(dir, 'bin');
  const home = join(dir, 'home');
  const tmp = join(dir, 'tmp');
  const runDir = join(dir, 'run');
  for (const d of [bin, home, tmp, runDir]) await mkdir(d, { mode: 0o755 });

  await writeFile(join(bin, 'ssh'), sshShim('/usr/bin/ssh'), { mode: 0o755 });
  // The suite may chmod/chown its ssh-agent (agent-ptrace does): give it a copy, never the checkout's file.
  // Each call is written down first: the log then shows how the suite started and stopped the agent.
  const agentShim = join(bin, 'ssh-agent-under-test');
  const calls = join(dir, 'agent-calls.log');
  await writeFile(calls, '', { mode: 0o644 });
  await writeFile(agentShim, `#!/bin/sh\nprintf '%s\\n' "ssh-agent $*" >> ${shellQuote(calls)}\nexec ${shellQuote(AGENT)} "$@"\n`, { mode: 0o755 });

  const make = [RUN_TESTS, runDir, 't-exec', `LTESTS=${t.name}`, `TEST_SSH_SSHAGENT=${agentShim}`, `TEST_SSH_PORT=${await freePort()}`];
  const env: NodeJS.ProcessEnv = {
    PATH: [bin, dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
    HOME: home,
    TMPDIR: tmp,
    LANG: 'C.UTF-8',
    KEYDOCK_REGRESS_RUN: marker,
  };

  let cmd: string;
  let args: string[];
  if (t.unprivileged) {
    const ids = userIds(UNPRIVILEGED_USER)!;
    const setprivCaps = join(bin, 'setpriv-caps');
    await copyFile(execFileSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).trim(), setprivCaps);
    await writeFile(join(bin, 'sudo'), sudoShim(setprivCaps), { mode: 0o755 });
    for (const p of [dir, bin, home, tmp, runDir, join(bin, 'ssh'), agentShim, calls, join(bin, 'sudo'), setprivCaps]) await chown(p, ids.uid, ids.gid);
    // Only the test user may run it; the capabilities go on last (a chown would clear them).
    await chmod(setprivCaps, 0o700);
    execFileSync('setcap', ['cap_setuid,cap_setgid+ep', setprivCaps]);
    cmd = 'setpriv';
    args = [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', '--', ...make];
  } else {
    // As root (or the user running the tests) nothing needs sudo: the suite runs sshd -i itself.
    cmd = make[0]!;
    args = [...make.slice(1), 'SUDO='];
  }

  const started = Date.now();
  const r = await run(cmd, args, { cwd: dir, env, timeoutMs: t.minutes * 60_000 });
  const left = await stopLeftovers(marker);
  const output = `${r.stdout}${r.stderr ? `\n--- stderr ---\n${r.stderr}` : ''}`;
  const skipped = /^(SKIPPED|skipped|Skipped)\b.*$/m.exec(output)?.[0] ?? null;
  // Some tests cannot tell an agent that never started from one that behaved (agent-subprocess
  // passes when no agent ran at all): a refused command line fails the run whatever it printed.
  const usage = /^error: (unknown option|too many arguments|missing required argument|option ).*$/m.exec(output)?.[0] ?? null;
  const passed = r.code === 0 && /^ok /m.test(output) && skipped === null && usage === null && left.length === 0;
  const log = [
    `$ ${cmd} ${args.join(' ')}${process.env.KEYDOCK_REGRESS_KEEP ? `  (kept: ${dir})` : ''}`,
    `exit ${r.code ?? 'killed (timeout)'} after ${((Date.now() - started) / 1000).toFixed(0)} s`,
    skipped ? `the test skipped itself: ${skipped}` : '',
    usage ? `the agent refused its command line: ${usage}` : '',
    left.length ? `still running afterwards (stopped now):\n  ${left.join('\n  ')}` : '',
    passed ? '' : (staleBundleNote() ?? ''),
    `agent calls:\n  ${(await readFile(calls, 'utf8')).trimEnd().split('\n').join('\n  ')}`,
    clipOutput(output),
  ]
    .filter(Boolean)
    .join('\n');
  return { ok: passed, log };
}

const missing = suiteMissing();
const unprivMissing = missing ?? unprivilegedMissing();
const title = `OpenSSH regression tests with ${AGENT === join(REPO, 'scripts', 'keydock-ssh-agent') ? 'KeyDock’s agent' : AGENT} as ssh-agent`;

describe.skipIf(missing !== null)(missing ? `${title} (skipped: ${missing})` : title, () => {
  it('lists what it leaves out, and the wrapper runs `keydock serve`', () => {
    // FIDO (sk-) keys run: the suite sets SSH_SK_PROVIDER to its sk-dummy.so and KeyDock's agent signs through it.
    expect(EXCLUDED_KEY_TYPES.map((t) => t.prefix)).toEqual(['ssh-dss']);
    expect(EXCLUDED_TESTS.map((t) => t.name)).toEqual([]);
    accessSync(join(REPO, 'scripts', 'keydock-ssh-agent'), constants.X_OK);
  });

  for (const t of TESTS) {
    const skip = t.unprivileged ? unprivMissing : null;
    const name = `${t.name}${t.unprivileged ? ` (as ${UNPRIVILEGED_USER})` : ''}${skip ? ` (skipped: ${skip})` : ''}`;
    it.skipIf(skip !== null)(name, { timeout: (t.minutes + 1) * 60_000 }, async () => {
      const r = await runSuiteTest(t);
      expect(r.ok, r.log).toBe(true);
    });
  }
});
