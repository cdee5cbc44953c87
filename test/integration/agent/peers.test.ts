import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../../main/context';
import { run, startProcess, stopProcess } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// KeyDock managing real agents that real clients then use: OpenSSH's ssh logging in to a
// local sshd with a key KeyDock loaded, and PuTTY's Unix Pageant as the managed agent.
let home: TmpHome;
let dir: string;

beforeAll(async () => {
  home = await makeTmpHome('kd-peers-');
  dir = await mkdtemp(join(tmpdir(), 'kd-peers-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await home.cleanup();
});

async function keygen(name: string, passphrase = ''): Promise<string> {
  const path = join(dir, name);
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', `${name}@kd`, '-f', path])).code).toBe(0);
  return path;
}

describe('a key KeyDock loads signs a real ssh login', () => {
  let agent: RealAgent;
  let sshd: Sshd;
  beforeAll(async () => {
    agent = await startOpenSshAgent();
    sshd = await startSshd({ greeting: 'github' });
  });
  afterAll(async () => {
    await sshd.stop();
    await agent.stop();
  });

  it('ssh authenticates through the agent with the encrypted key KeyDock added', async () => {
    const key = await keygen('login', 'pw-login');
    await sshd.addKey(`${key}.pub`, 'octocat');
    const ctx = createContext({ env: { ...home.env, SSH_AUTH_SOCK: agent.socket }, transport: 'cli' });
    await ctx.agents.addFile(key, { passphrase: async () => 'pw-login' });
    const ssh = (extra: string[]) =>
      run('ssh', ['-F', '/dev/null', '-p', String(sshd.port), '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', `IdentityAgent=${agent.socket}`, '-o', 'IdentityFile=none', '-T', ...extra, `${sshd.user}@127.0.0.1`], { env: home.env });
    const ok = await ssh([]);
    expect(ok.stderr).toContain("Hi octocat! You've successfully authenticated");
    // Removing it through KeyDock makes the same login fail: the agent really was the signer.
    await ctx.agents.remove([{ publicKey: await readFile(`${key}.pub`, 'utf8') }]);
    const denied = await ssh([]);
    expect(denied.code).toBe(255);
    expect(denied.stderr).toContain('Permission denied (publickey)');
  });
});

describe('PuTTY Pageant (Unix) as the managed agent', () => {
  it('lists keys Pageant holds and adds keys to it', async () => {
    const pdir = await mkdtemp(join(tmpdir(), 'kd-pageant-'));
    const link = join(pdir, 'agent.sock');
    // Pageant 0.78 loads PuTTY's own format; puttygen converts the OpenSSH key.
    const openssh = await keygen('in-pageant');
    const preloaded = `${openssh}.ppk`;
    expect((await run('puttygen', [openssh, '-O', 'private', '-o', preloaded])).code).toBe(0);
    // --debug keeps Pageant in the foreground so this test owns and stops the process.
    const pageant = startProcess('pageant', ['--debug', '-s', '--symlink', link, preloaded], { env: { PATH: process.env.PATH, HOME: pdir } });
    try {
      await expect.poll(() => access(link).then(() => true, () => false), { timeout: 10_000, interval: 100 }).toBe(true);
      const ctx = createContext({ env: { ...home.env, SSH_AUTH_SOCK: link }, transport: 'cli' });
      expect((await ctx.agents.list()).identities.map((i) => i.comment)).toEqual(['in-pageant@kd']);
      const added = await keygen('via-keydock');
      await ctx.agents.addFile(added, { passphrase: null });
      const listed = await run('ssh-add', ['-l', '-E', 'sha256'], { env: { ...home.env, SSH_AUTH_SOCK: link } });
      expect(listed.stdout).toContain('via-keydock@kd');
      // Pageant does not take constrained adds (docs/agent-protocol.md §1.10): a clear refusal, not a hang.
      await expect(ctx.agents.addFile(added, { passphrase: null, lifetimeSeconds: 60 })).rejects.toMatchObject({ code: 'agent-refused' });
    } finally {
      await stopProcess(pageant);
      await rm(pdir, { recursive: true, force: true });
    }
  });
});
