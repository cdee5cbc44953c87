import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { DAEMON_NODE_FLAGS } from '../../../main/cli/commands/serve';
import { KEYDOCK_BIN, keygen, scratch, startServe } from './serve-process';

// `keydock serve` with ssh-agent's command line: forking into the background for
// `eval "$(keydock serve -s)"`, -k, -c/-s, -- COMMAND, -t, -E, -P/-O (docs/agent-protocol.md §1).

let home: TmpHome;
let sc: Awaited<ReturnType<typeof scratch>>;
let key: string;
const keydock = `${JSON.stringify(process.execPath)} ${JSON.stringify(KEYDOCK_BIN)}`;

beforeAll(async () => {
  home = await makeTmpHome('kd-cli-serve-');
  sc = await scratch();
  key = await keygen(sc.dir, 'ed', 'ed25519');
}, 60_000);

afterAll(async () => {
  await sc?.cleanup();
  await home?.cleanup();
});

const SOCKET_RE = new RegExp(`^${tmpdir()}/keydock-[A-Za-z0-9]{6}/agent\\.\\d+$`);

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe('keydock serve like ssh-agent', () => {
  it('eval "$(keydock serve -s)" returns at once with a background agent; ssh-add uses it; keydock serve -k stops it', async () => {
    const script = [
      'set -e',
      `eval "$(${keydock} serve -s)"`,
      'echo "sock=$SSH_AUTH_SOCK pid=$SSH_AGENT_PID"',
      `ssh-add ${JSON.stringify(key)} 2>&1`,
      'ssh-add -l',
      `out=$(${keydock} serve -k)`,
      'echo "$out"',
      'eval "$out"',
      'echo "after=${SSH_AUTH_SOCK-unset}"',
    ].join('\n');
    // Were the agent holding the $(...) pipe open, bash would wait for it forever (timeoutMs kills it).
    const r = await run('bash', ['-c', script], { env: home.env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const m = /^sock=(\S+) pid=(\d+)$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const [socket, pid] = [m?.[1] as string, Number(m?.[2])];
    expect(socket).toMatch(SOCKET_RE);
    expect(r.stdout).toContain('Identity added: ');
    expect(r.stdout).toMatch(/^256 SHA256:\S+ ed@keydock-test \(ED25519\)$/m);
    expect(r.stdout).toContain(`unset SSH_AUTH_SOCK;\nunset SSH_AGENT_PID;\necho Agent pid ${pid} killed;\n`);
    expect(r.stdout).toContain('after=unset');
    // -k waits briefly for the agent to go; it removed its private directory on the way out.
    await expect.poll(() => gone(pid), { timeout: 10_000 }).toBe(true);
    await expect(stat(dirname(socket))).rejects.toThrow(/ENOENT/);
  });

  it('prints exactly ssh-agent’s sh and csh lines, and -k -c unsets in csh', async () => {
    const sh = await run(process.execPath, [KEYDOCK_BIN, 'serve', '-s'], { env: home.env, timeoutMs: 120_000 });
    expect(sh.code, sh.stderr).toBe(0);
    const m = /^SSH_AUTH_SOCK=(\S+); export SSH_AUTH_SOCK;\nSSH_AGENT_PID=(\d+); export SSH_AGENT_PID;\necho Agent pid \2;\n$/.exec(sh.stdout);
    expect(m, sh.stdout).not.toBeNull();
    const shPid = Number(m?.[2]);

    // csh by -c, and by default when $SHELL is a csh.
    const csh = await run(process.execPath, [KEYDOCK_BIN, 'serve'], { env: { ...home.env, SHELL: '/bin/tcsh' }, timeoutMs: 120_000 });
    expect(csh.code, csh.stderr).toBe(0);
    const c = /^setenv SSH_AUTH_SOCK (\S+);\nsetenv SSH_AGENT_PID (\d+);\necho Agent pid \2;\n$/.exec(csh.stdout);
    expect(c, csh.stdout).not.toBeNull();
    const cshPid = Number(c?.[2]);
    expect(c?.[1]).toMatch(SOCKET_RE);
    expect(c?.[1]).not.toBe(m?.[1]);

    const killCsh = await run(process.execPath, [KEYDOCK_BIN, 'serve', '-k', '-c'], { env: { ...home.env, SSH_AGENT_PID: String(cshPid) } });
    expect(killCsh.stdout).toBe(`unsetenv SSH_AUTH_SOCK;\nunsetenv SSH_AGENT_PID;\necho Agent pid ${cshPid} killed;\n`);
    const killSh = await run(process.execPath, [KEYDOCK_BIN, 'serve', '-k'], { env: { ...home.env, SSH_AGENT_PID: String(shPid) } });
    expect(killSh.code, killSh.stderr).toBe(0);
    await expect.poll(() => gone(shPid) && gone(cshPid), { timeout: 10_000 }).toBe(true);

    const noPid = await run(process.execPath, [KEYDOCK_BIN, 'serve', '-k'], { env: home.env });
    expect(noPid.code).toBe(1);
    expect(noPid.stderr).toContain('SSH_AGENT_PID not set, cannot kill agent');
  });

  it('keydock serve -- COMMAND runs it with the agent and exits with its status; the agent goes with it', async () => {
    const env = { ...home.env, KEY: key };
    const list = await run(process.execPath, [KEYDOCK_BIN, 'serve', '--', 'ssh-add', '-l'], { env, timeoutMs: 120_000 });
    expect(list.code).toBe(1); // ssh-add -l on an empty agent
    expect(list.stdout).toContain('The agent has no identities.');

    const script = 'ssh-add -q "$KEY" && ssh-add -l && echo "sock=$SSH_AUTH_SOCK pid=$SSH_AGENT_PID" && exit 7';
    const r = await run(process.execPath, [KEYDOCK_BIN, 'serve', '-t', '1h', '--', 'sh', '-c', script], { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stdout).toContain('ed@keydock-test');
    const m = /sock=(\S+) pid=(\d+)/.exec(r.stdout);
    expect(m?.[1]).toMatch(SOCKET_RE);
    await expect(stat(dirname(m?.[1] as string))).rejects.toThrow(/ENOENT/);

    const missing = await run(process.execPath, [KEYDOCK_BIN, 'serve', '--', 'no-such-command-kd'], { env, timeoutMs: 120_000 });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no-such-command-kd: command not found');
  });

  it('two agents side by side get their own private sockets; -t 2 makes added keys expire', async () => {
    const [a, b] = await Promise.all([startServe(['-t', '2'], home.env), startServe([], home.env)]);
    try {
      expect(a.socket).toMatch(SOCKET_RE);
      expect(b.socket).toMatch(SOCKET_RE);
      expect(dirname(a.socket)).not.toBe(dirname(b.socket));
      for (const s of [a, b]) expect((await stat(dirname(s.socket))).mode & 0o777).toBe(0o700);
      // ssh-agent -D prints the socket line and the pid line only.
      expect(a.firstLine).toBe(`SSH_AUTH_SOCK=${a.socket}; export SSH_AUTH_SOCK;`);

      expect((await a.sshAdd([key])).code).toBe(0);
      expect((await b.sshAdd([key])).code).toBe(0);
      expect((await a.sshAdd(['-l'])).stdout).toContain('ed@keydock-test');
      await expect.poll(async () => (await a.sshAdd(['-l'])).stdout, { timeout: 10_000, interval: 250 }).toContain('The agent has no identities.');
      expect((await b.sshAdd(['-l'])).stdout).toContain('ed@keydock-test');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    await expect(stat(dirname(a.socket))).rejects.toThrow(/ENOENT/);
  });

  it('-d logs with the -E hash; -P and ssh-agent’s -O options are accepted; bad options exit 2', async () => {
    const d = await startServe(['-d', '-E', 'md5', '-P', '/usr/lib/*', '-O', 'no-restrict-websafe', '-O', 'allow-remote-pkcs11'], home.env);
    try {
      expect((await d.sshAdd([key])).code).toBe(0);
      const pub = (await readFile(`${key}.pub`, 'utf8')).split(' ')[1] as string;
      const md5 = await run('ssh-keygen', ['-l', '-E', 'md5', '-f', `${key}.pub`]);
      const fp = /MD5:\S+/.exec(md5.stdout)?.[0] as string;
      expect(pub.length).toBeGreaterThan(0);
      await d.waitForStderr(` add ${fp} - allowed added`);
      expect(d.stderr()).toMatch(/keydock serve: hardening: core-files: RLIMIT_CORE 0\/0; dumpable: PR_SET_DUMPABLE 0/);
    } finally {
      await d.stop();
    }
    for (const args of [['-O', 'bogus'], ['-c', '-s'], ['-t', '5x'], ['-E', 'sha3'], ['-D', '-d'], ['-s', '--', 'true']]) {
      const r = await run(process.execPath, [KEYDOCK_BIN, 'serve', ...args], { env: home.env, timeoutMs: 120_000 });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
    }
  });

  it('the background agent’s V8 settings keep WebAssembly (Argon2 of a PPK kept encrypted until first use)', async () => {
    const code = `const { argon2id } = await import('hash-wasm');
      process.stdout.write(await argon2id({ password: 'pw', salt: 'saltsaltsalt', parallelism: 1, iterations: 1, memorySize: 1024, hashLength: 8, outputType: 'hex' }));`;
    const r = await run(process.execPath, [...DAEMON_NODE_FLAGS, '--input-type=module', '-e', code], { cwd: dirname(dirname(KEYDOCK_BIN)) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^[0-9a-f]{16}$/);
  });

  it('keydock serve --help shows the eval line that works, not one that hangs', async () => {
    const r = await run(process.execPath, [KEYDOCK_BIN, 'serve', '--help'], { env: home.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('eval "$(keydock serve -s)"');
    expect(r.stdout).not.toContain('head -n');
    expect(r.stdout).not.toContain('--daemon-child');
  });
});
