import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';
import { startOpenSshAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { bundleCli, runKeydock, startKeydockServe } from './cli-process';

// keydock git-signing against real Git and ssh-keygen: after setup, `git commit -S` in a fresh
// repository and `git verify-commit HEAD` succeed — with the key held only in KeyDock's own
// agent (keydock serve), in OpenSSH's agent with the private file gone, and on disk. Git always
// runs with GIT_CONFIG_GLOBAL inside the temp HOME and the default ssh-keygen as signing program.

let cli: { bin: string; cleanup(): Promise<void> };
let home: TmpHome;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  cli = await bundleCli();
}, 120_000);
afterAll(async () => {
  await cli?.cleanup();
});
beforeEach(async () => {
  home = await makeTmpHome('keydock-signing-');
  env = { ...home.env, GIT_CONFIG_GLOBAL: join(home.dir, 'gitconfig'), GIT_CONFIG_NOSYSTEM: '1', SSH_AUTH_SOCK: '' };
  await run('git', ['config', '--global', 'user.email', 'dev@example.com'], { env });
  await run('git', ['config', '--global', 'user.name', 'Dev'], { env });
});
afterEach(async () => {
  await home.cleanup();
});

async function keygen(name: string): Promise<{ path: string; pub: string; fingerprint: string }> {
  const path = join(home.sshDir, name);
  const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@dev`, '-f', path]);
  expect(r.code, r.stderr).toBe(0);
  const fp = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`]);
  return { path, pub: (await readFile(`${path}.pub`, 'utf8')).trim(), fingerprint: fp.stdout.split(' ')[1] as string };
}

/** A signed commit in a brand-new repository, then git verify-commit: what a user would do. */
async function signedCommitVerifies(e: NodeJS.ProcessEnv, sign: '-S' | 'config' = '-S'): Promise<{ ok: boolean; detail: string }> {
  const repo = await mkdtemp(join(tmpdir(), 'keydock-signing-repo-'));
  try {
    await run('git', ['init', '-q', repo], { env: e });
    const c = await run('git', ['-C', repo, '-c', 'gpg.ssh.program=ssh-keygen', 'commit', '-q', '--allow-empty', ...(sign === '-S' ? ['-S'] : []), '-m', 'signed'], { env: e });
    if (c.code !== 0) return { ok: false, detail: `commit: ${c.stderr}` };
    const v = await run('git', ['-C', repo, '-c', 'gpg.ssh.program=ssh-keygen', 'verify-commit', 'HEAD'], { env: e });
    return { ok: v.code === 0, detail: v.stderr };
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}

async function git(e: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return (await run('git', args, { env: e })).stdout.trim();
}

describe('keydock git-signing', () => {
  it('with the key only in KeyDock’s own agent (keydock serve): key:: signing key, signed commits verify', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kds-'));
    const serve = await startKeydockServe(cli.bin, home.env, join(dir, 'agent.sock'));
    try {
      const key = await keygen('id_agent_only');
      const e = { ...env, SSH_AUTH_SOCK: serve.socket };
      expect((await run('ssh-add', [key.path], { env: e })).code).toBe(0);
      await rm(key.path);
      await rm(`${key.path}.pub`);

      const setup = await runKeydock(cli.bin, ['git-signing', 'setup', '--key', key.fingerprint, '--sign-commits', '--json'], e);
      expect(setup.code, setup.stdout + setup.stderr).toBe(0);
      const [t, b] = key.pub.split(' ');
      expect(setup.json).toMatchObject({ ok: true, signingKeyKind: 'literal', signingKey: `key::${t} ${b}`, fingerprint: key.fingerprint, proof: { ok: true } });
      expect(await git(e, ['config', '--global', 'gpg.format'])).toBe('ssh');
      expect(await git(e, ['config', '--global', 'commit.gpgsign'])).toBe('true');
      expect(await readFile(join(home.sshDir, 'allowed_signers'), 'utf8')).toBe(`dev@example.com namespaces="git" ${t} ${b}\n`);
      expect((setup.json?.signingKeyPages as Array<{ url: string }>).map((p) => p.url)).toEqual(['https://github.com/settings/ssh/new', 'https://gitlab.com/-/user_settings/ssh_keys', 'https://bitbucket.org/account/settings/ssh-keys/']);

      const signed = await signedCommitVerifies(e);
      expect(signed.ok, signed.detail).toBe(true);
      expect(signed.detail).toMatch(/Good "git" signature for dev@example.com/);
      // commit.gpgsign: a plain `git commit` is signed too.
      expect((await signedCommitVerifies(e, 'config')).ok).toBe(true);

      const status = await runKeydock(cli.bin, ['git-signing', 'status', '--json'], e);
      expect(status.json).toMatchObject({ ok: true, works: true, signingKeyKind: 'literal', allowedSignerListed: true, agent: { reachable: true, keyLoaded: true }, problems: [] });
    } finally {
      await serve.stop();
      await rm(dir, { recursive: true, force: true });
    }
    // The agent is gone: status says signing does not work now, and why.
    const after = await runKeydock(cli.bin, ['git-signing', 'status', '--json'], env);
    expect(after.code).toBe(1);
    expect(after.json).toMatchObject({ ok: false, works: false });
    expect((after.json?.problems as Array<{ code: string }>).map((p) => p.code)).toContain('key-not-in-agent');
  }, 240_000);

  it('with the key in OpenSSH’s agent and only its .pub on disk: the .pub is the signing key', async () => {
    const agent = await startOpenSshAgent();
    try {
      const key = await keygen('id_pub_only');
      const e = { ...env, SSH_AUTH_SOCK: agent.socket };
      expect((await agent.sshAdd([key.path])).code).toBe(0);
      await rm(key.path);
      const setup = await runKeydock(cli.bin, ['git-signing', 'setup', '--key', `${key.path}.pub`, '--json'], e);
      expect(setup.code, setup.stdout + setup.stderr).toBe(0);
      expect(setup.json).toMatchObject({ signingKeyKind: 'file', signingKey: `${key.path}.pub`, proof: { ok: true } });
      const signed = await signedCommitVerifies(e);
      expect(signed.ok, signed.detail).toBe(true);
    } finally {
      await agent.stop();
    }
  }, 240_000);

  it('with the key on disk and no agent, for one repository only (--repo), with --email', async () => {
    const key = await keygen('id_disk');
    const repo = await mkdtemp(join(tmpdir(), 'keydock-signing-own-'));
    try {
      await run('git', ['init', '-q', repo], { env });
      const setup = await runKeydock(cli.bin, ['git-signing', 'setup', '--key', key.path, '--repo', repo, '--sign-tags', '--email', 'work@example.com', '--json'], env);
      expect(setup.code, setup.stdout + setup.stderr).toBe(0);
      expect(setup.json).toMatchObject({ scope: 'repo', signingKey: `${key.path}.pub`, email: 'work@example.com', proof: { ok: true } });
      expect(await git(env, ['-C', repo, 'config', '--local', 'user.signingkey'])).toBe(`${key.path}.pub`);
      expect(await git(env, ['-C', repo, 'config', '--local', 'tag.gpgsign'])).toBe('true');
      expect(await git(env, ['config', '--global', '--get', 'user.signingkey'])).toBe('');
      const c = await run('git', ['-C', repo, '-c', 'gpg.ssh.program=ssh-keygen', 'commit', '-q', '--allow-empty', '-S', '-m', 'x'], { env });
      expect(c.code, c.stderr).toBe(0);
      const v = await run('git', ['-C', repo, '-c', 'gpg.ssh.program=ssh-keygen', 'verify-commit', 'HEAD'], { env });
      expect(v.code, v.stderr).toBe(0);
      expect(v.stderr).toMatch(/Good "git" signature for work@example.com/);
      const status = await runKeydock(cli.bin, ['git-signing', 'status', '--repo', repo, '--json'], env);
      expect(status.json).toMatchObject({ works: true, scope: 'repo', signingKeyKind: 'file', tagSign: true, keyFile: { privateKey: true, encrypted: false } });
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  }, 240_000);

  it('refuses to guess: no key named and none to choose from; a bad e-mail; nothing set up says what is missing', async () => {
    const none = await runKeydock(cli.bin, ['git-signing', 'setup', '--json'], env);
    expect(none.code).toBe(2);
    expect(none.json).toMatchObject({ ok: false, error: { code: 'signing-key-needed' } });
    const key = await keygen('id_x');
    const bad = await runKeydock(cli.bin, ['git-signing', 'setup', '--key', key.path, '--email', 'not an email', '--json'], env);
    expect(bad.json).toMatchObject({ ok: false, error: { code: 'invalid-email' } });
    const status = await runKeydock(cli.bin, ['git-signing', 'status', '--json'], env);
    expect(status.code).toBe(1);
    expect((status.json?.problems as Array<{ code: string }>).map((p) => p.code)).toEqual(expect.arrayContaining(['format-not-ssh', 'no-signing-key', 'no-allowed-signers']));
  }, 240_000);
});
