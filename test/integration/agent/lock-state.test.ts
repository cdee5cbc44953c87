// A locked agent is shown as locked by `keydock list` (and --json), `keydock agents` and the
// window's data, for OpenSSH's ssh-agent and for `keydock serve`, whoever locked it, as far as
// it can be told: a locked agent lists nothing, so only KeyDock's own agent (which answers the
// `query` extension whenever it is unlocked) and agents KeyDock locked itself (its record in
// agent-locks.json) are known to be locked; an empty ssh-agent locked with `ssh-add -x` cannot be
// told from an empty unlocked one (OpenSSH 9.2 refuses `query` either way), so it is `null`.
import { readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentInfo, AgentSnapshot, IdentityList } from '../../../shared/models';
import { runCli } from '../../../main/cli/program';
import { createContext } from '../../../main/context';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { startServe, type ServeProcess } from '../server/serve-process';
import { memoryIo, runCliInMemory } from '../../support/memory-io';

// Each test starts `keydock` processes; on a loaded machine one takes seconds.
vi.setConfig({ testTimeout: 180_000 });

const BIN = fileURLToPath(new URL('../../../bin/keydock.cjs', import.meta.url));

let home: TmpHome;
let key: string;
let askpass: string;

beforeAll(async () => {
  home = await makeTmpHome('kd-lock-');
  key = join(home.dir, 'id_lock');
  const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lock@kd', '-f', key]);
  expect(r.code, r.stderr).toBe(0);
  // ssh-add -x/-X read the passphrase from the terminal; with these two variables they ask this instead.
  askpass = join(home.dir, 'askpass.sh');
  await writeFile(askpass, '#!/bin/sh\necho "lock pass"\n');
  await chmod(askpass, 0o755);
});

afterAll(async () => {
  await home.cleanup();
});

/** One `keydock` command in this process (a fresh context each time, as a new process has). */
async function cli(socket: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliInMemory(argv, { ...home.env, SSH_AUTH_SOCK: socket });
}

/** `keydock lock|unlock --passphrase-stdin` as its own process (stdin is read once per process). */
async function keydockWithPassphrase(socket: string, verb: 'lock' | 'unlock'): Promise<void> {
  const r = await run(process.execPath, [BIN, verb, '--passphrase-stdin'], { input: 'lock pass\n', env: { ...home.env, SSH_AUTH_SOCK: socket }, timeoutMs: 60_000 });
  expect(r.code, `keydock ${verb}: ${r.stderr}`).toBe(0);
}

async function listJson(socket: string): Promise<IdentityList> {
  const r = await cli(socket, ['list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as IdentityList;
}

async function agentsJson(socket: string): Promise<AgentInfo> {
  const r = await cli(socket, ['agents', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const found = (JSON.parse(r.stdout) as { agents: AgentInfo[] }).agents.find((a) => a.path === socket);
  expect(found, r.stdout).toBeDefined();
  return found!;
}

/** `ssh-add ARGS` against SOCKET, with the askpass script answering "lock pass". */
async function sshAdd(socket: string, args: string[]): Promise<void> {
  const r = await run('ssh-add', args, { env: { ...home.env, SSH_AUTH_SOCK: socket, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' } });
  expect(r.code, `ssh-add ${args.join(' ')}: ${r.stderr}`).toBe(0);
}

/** Stops an ssh-agent and removes the temp dir its socket was in. */
async function stopAgent(agent: RealAgent): Promise<void> {
  await agent.stop();
  await rm(dirname(agent.socket), { recursive: true, force: true });
}

const recordFile = () => join(home.env.XDG_CONFIG_HOME as string, 'keydock', 'agent-locks.json');

describe('lock state with OpenSSH’s ssh-agent', () => {
  let agent: RealAgent;
  beforeEach(async () => {
    agent = await startOpenSshAgent();
    await sshAdd(agent.socket, [key]);
  });
  afterEach(async () => {
    await stopAgent(agent);
  });

  it('locked through KeyDock: every later command (another process too) and `agents` say locked, until unlocked', async () => {
    expect((await listJson(agent.socket)).agent).toMatchObject({ locked: false, keyCount: 1 });
    await keydockWithPassphrase(agent.socket, 'lock');

    const list = await listJson(agent.socket);
    expect(list.identities).toEqual([]);
    expect(list.agent).toMatchObject({ locked: true, keyCount: null });
    const text = await cli(agent.socket, ['list']);
    expect(text.stdout).toContain('The agent is locked');
    expect(text.stdout).not.toContain('holds no keys');
    expect(await agentsJson(agent.socket)).toMatchObject({ reachable: true, locked: true, keyCount: null });
    const table = await cli(agent.socket, ['agents']);
    expect(table.stdout).toMatch(new RegExp(`${agent.socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+locked\\s+-`));
    // A separate `keydock` process knows it too: the record is on disk, not in memory.
    const sub = await run(process.execPath, [BIN, 'list', '--json'], { env: { ...home.env, SSH_AUTH_SOCK: agent.socket }, timeoutMs: 60_000 });
    expect(sub.code, sub.stderr).toBe(0);
    expect((JSON.parse(sub.stdout) as IdentityList).agent.locked).toBe(true);
    expect(JSON.parse(await readFile(recordFile(), 'utf8')).agents[agent.socket].lockedAt).toEqual(expect.any(Number));

    // Unlocked elsewhere (ssh-add -X): the keys show again, so the lock goes from the record (what
    // stays is that this agent does not answer `query`, which tells nothing about a lock).
    await sshAdd(agent.socket, ['-X']);
    expect((await listJson(agent.socket)).agent).toMatchObject({ locked: false, keyCount: 1 });
    expect(JSON.parse(await readFile(recordFile(), 'utf8')).agents[agent.socket]).toEqual({ socket: expect.any(String), answersQuery: false });
  });

  it('keydock unlock clears the record; a lock made by ssh-add -x alone cannot be told (null), and is never called unlocked', async () => {
    await keydockWithPassphrase(agent.socket, 'lock');
    await keydockWithPassphrase(agent.socket, 'unlock');
    expect((await listJson(agent.socket)).agent.locked).toBe(false);

    await sshAdd(agent.socket, ['-x']);
    const list = await listJson(agent.socket);
    expect(list.identities).toEqual([]);
    expect(list.agent.locked).toBeNull();
    expect((await agentsJson(agent.socket)).locked).toBeNull();
    await sshAdd(agent.socket, ['-X']);
    expect((await listJson(agent.socket)).agent.locked).toBe(false);
  });

  it('a record for an agent that was restarted on the same path no longer applies', async () => {
    await keydockWithPassphrase(agent.socket, 'lock');
    expect((await listJson(agent.socket)).agent.locked).toBe(true);
    const record = await readFile(recordFile(), 'utf8');
    await stopAgent(agent);
    agent = await startOpenSshAgent();
    // Same path, new agent: copy the old record over to that path.
    const old = JSON.parse(record) as { agents: Record<string, unknown> };
    const entry = Object.values(old.agents)[0];
    await writeFile(recordFile(), JSON.stringify({ version: 1, agents: { [agent.socket]: entry } }));
    expect((await listJson(agent.socket)).agent.locked).toBeNull();
  });
});

describe('lock state with keydock serve', () => {
  let serve: ServeProcess;
  afterEach(async () => {
    await serve.stop();
  });

  it('on its own socket: ssh-add -x shows as locked at once, in list, agents and the window’s data', async () => {
    serve = await startServe(['-D'], { ...home.env });
    expect(serve.socket).toMatch(/\/keydock-[A-Za-z0-9]{6}\/agent\.\d+$/);
    await sshAdd(serve.socket, [key]);
    await sshAdd(serve.socket, ['-x']);
    const list = await listJson(serve.socket);
    expect(list.agent).toMatchObject({ locked: true, keyCount: null });
    expect(await agentsJson(serve.socket)).toMatchObject({ locked: true, kind: 'ssh-auth-sock' });

    // The window: agent:list-identities answers with the manager's list, agent:changed with its snapshot.
    const ctx = createContext({ env: { ...home.env, SSH_AUTH_SOCK: serve.socket }, transport: 'cli' });
    const events: AgentSnapshot[] = [];
    ctx.events.on('agent:changed', (s) => events.push(s));
    try {
      expect((await ctx.agents.list()).agent.locked).toBe(true);
      await ctx.agents.unlock('lock pass');
      expect(events.at(-1)).toMatchObject({ locked: false, identities: [expect.objectContaining({ comment: 'lock@kd' })] });
      await ctx.agents.lock('lock pass');
      expect(events.at(-1)).toMatchObject({ locked: true, identities: [] });
      // A lock made elsewhere reaches the window through the poll.
      await ctx.agents.unlock('lock pass');
      ctx.agents.watch(100);
      await sshAdd(serve.socket, ['-x']);
      await expect.poll(() => events.at(-1)?.locked, { timeout: 10_000 }).toBe(true);
    } finally {
      ctx.agents.dispose();
    }
    await sshAdd(serve.socket, ['-X']);
    expect((await listJson(serve.socket)).agent).toMatchObject({ locked: false, keyCount: 1 });
  });

  it('on a socket named with -a: known once KeyDock has seen it unlocked (it answers `query` then), unknown before', async () => {
    serve = await startServe(['-D', '-a', join(home.dir, 'other.sock')], { ...home.env });
    await sshAdd(serve.socket, [key]);
    await sshAdd(serve.socket, ['-x']);
    expect((await listJson(serve.socket)).agent.locked).toBeNull();
    await sshAdd(serve.socket, ['-X']);
    expect((await listJson(serve.socket)).agent.locked).toBe(false);
    await sshAdd(serve.socket, ['-x']);
    expect((await listJson(serve.socket)).agent.locked).toBe(true);
    expect((await agentsJson(serve.socket)).locked).toBe(true);
    await sshAdd(serve.socket, ['-X']);
    expect((await listJson(serve.socket)).agent.locked).toBe(false);
  });
});

describe('keydock lock at a terminal', () => {
  let agent: RealAgent;
  beforeAll(async () => {
    agent = await startOpenSshAgent();
    await sshAdd(agent.socket, [key]);
  });
  afterAll(async () => {
    await stopAgent(agent);
  });

  /** Runs `keydock lock` with a terminal-like stdin, typing each answer when its prompt appears. */
  async function lockAtTerminal(answers: string[]): Promise<{ code: number; stderr: string }> {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const m = memoryIo({ ...home.env, SSH_AUTH_SOCK: agent.socket }, stdin);
    const done = runCli(['lock'], m.io);
    for (const [i, a] of answers.entries()) {
      await expect.poll(() => (m.stderr().match(/Passphrase to lock the agent: |Again: /g) ?? []).length, { timeout: 5000 }).toBe(i + 1);
      stdin.write(`${a}\n`);
    }
    return { code: await done, stderr: m.stderr() };
  }

  it('asks twice, like ssh-add -x; two different answers lock nothing', async () => {
    const differ = await lockAtTerminal(['one', 'two']);
    expect(differ.code).toBe(1);
    expect(differ.stderr).toContain('The two passphrases differ; the agent was not locked.');
    expect((await listJson(agent.socket)).agent).toMatchObject({ locked: false, keyCount: 1 });

    const same = await lockAtTerminal(['lock pass', 'lock pass']);
    expect(same.code, same.stderr).toBe(0);
    expect((await listJson(agent.socket)).agent.locked).toBe(true);
    await keydockWithPassphrase(agent.socket, 'unlock');
  });
});
