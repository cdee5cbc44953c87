import { existsSync } from 'node:fs';
import { chmod, chown, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startProcess, stopProcess } from '../../support/processes';
import { asUser, asUserUnavailable, keygen, scratch, startServe, type ServeProcess } from './serve-process';

// `keydock serve` run as an unprivileged user (nobody), as the login agent of a real user would
// be: its memory is closed to other processes of that user (Linux: not dumpable, no core files),
// root may still use it (as with ssh-agent), other users are refused by SO_PEERCRED.
// Tests run as root in CI, and root can read any memory; so both the agent and the prober run
// as uid 65534 here.

const NOBODY = 65534;
const OTHER = 65533;
const why = process.platform !== 'linux' ? 'Linux only (/proc, SO_PEERCRED)' : asUserUnavailable();
// pyenv shims under /root are out of nobody's reach: use the system python.
const PYTHON = ['/usr/bin/python3', '/bin/python3'].find((p) => existsSync(p)) ?? null;

/** Opens /proc/PID/mem and tries PTRACE_ATTACH, printing `mem:<result> ptrace:<result>`. */
const PROBE = `
import ctypes, errno, os, sys
pid = int(sys.argv[1])
try:
    open('/proc/%d/mem' % pid, 'rb').close()
    mem = 'open'
except OSError as e:
    mem = errno.errorcode.get(e.errno, str(e.errno))
out = 'mem:' + mem
if len(sys.argv) > 2:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
        os.waitpid(pid, 0x40000000)
        libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
        out += ' ptrace:attached'
    else:
        out += ' ptrace:' + errno.errorcode.get(ctypes.get_errno(), '?')
print(out)
`;

let sc: Awaited<ReturnType<typeof scratch>>;
let serve: ServeProcess;
let key: string;

beforeAll(async () => {
  if (why) return;
  sc = await scratch();
  await chown(sc.dir, NOBODY, NOBODY);
  key = await keygen(sc.dir, 'root-key', 'ed25519');
  // HOME and TMPDIR of the agent: nobody's own directory; its socket goes in a fresh 0700 dir there.
  const env = { PATH: process.env.PATH, HOME: sc.dir, TMPDIR: sc.dir, LANG: 'C.UTF-8' };
  serve = await startServe([], env, { wrap: asUser(NOBODY) as string[] });
}, 180_000);

afterAll(async () => {
  await serve?.stop();
  await sc?.cleanup();
});

describe.skipIf(why)(`keydock serve as an unprivileged user${why ? ` (skipped: ${why})` : ''}`, () => {
  it('runs as nobody with no core files, not dumpable and not traced', async () => {
    const status = await readFile(`/proc/${serve.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${NOBODY}\\s+${NOBODY}`, 'm'));
    expect(status).toMatch(/^TracerPid:\s+0$/m);
    expect(await readFile(`/proc/${serve.pid}/limits`, 'utf8')).toMatch(/^Max core file size\s+0\s+0\s+bytes/m);
    // A process that is not dumpable has its /proc files owned by root, whoever it runs as.
    expect((await stat(`/proc/${serve.pid}/mem`)).uid).toBe(0);
    expect((await stat(dirname(serve.socket))).uid).toBe(NOBODY);
  });

  it.skipIf(!PYTHON)('another process of the same user can neither open /proc/PID/mem nor ptrace-attach it (a plain one of that user can)', async () => {
    const control = startProcess((asUser(NOBODY) as string[])[0] as string, [...(asUser(NOBODY) as string[]).slice(1), process.execPath, '-e', 'setInterval(() => {}, 1000)']);
    try {
      const probe = (pid: number, ptrace: boolean) => run((asUser(NOBODY) as string[])[0] as string, [...(asUser(NOBODY) as string[]).slice(1), PYTHON as string, '-c', PROBE, String(pid), ...(ptrace ? ['ptrace'] : [])], { env: { PATH: process.env.PATH } });
      const agent = await probe(serve.pid, true);
      expect(agent.stdout.trim(), agent.stderr).toBe('mem:EACCES ptrace:EPERM');
      // The same prober reads a plain process of the same user: the refusal above is the agent's doing.
      await expect.poll(async () => (await stat(`/proc/${control.pid}/mem`)).uid).toBe(NOBODY);
      const plain = await probe(control.pid as number, false);
      expect(plain.stdout.trim(), plain.stderr).toBe('mem:open');
    } finally {
      await stopProcess(control);
    }
  });

  it('root may use the agent (as with ssh-agent); another unprivileged user is refused and named in the log', async () => {
    const empty = await serve.sshAdd(['-l']);
    expect(empty.code, empty.stderr).toBe(1);
    expect(empty.stdout).toContain('The agent has no identities.');
    expect((await serve.sshAdd([key])).code).toBe(0);
    expect((await serve.sshAdd(['-l'])).stdout).toContain('root-key@keydock-test');

    // Open the path up on purpose so only the peer-credential check stands in the way.
    for (const d of [sc.dir, dirname(serve.socket)]) await chmod(d, 0o755);
    await chmod(serve.socket, 0o666);
    const other = asUser(OTHER) as string[];
    const r = await run(other[0] as string, [...other.slice(1), 'ssh-add', '-l'], { env: { PATH: process.env.PATH, SSH_AUTH_SOCK: serve.socket } });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('root-key');
    await serve.waitForStderr(new RegExp(`refused a connection: connection from uid ${OTHER} \\(pid \\d+\\), not ours \\(${NOBODY}\\) nor root`));
    await chmod(serve.socket, 0o600);
    for (const d of [dirname(serve.socket), sc.dir]) await chmod(d, 0o700);
  });
});
