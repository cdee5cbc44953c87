import { copyFile, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordHostPairing } from '../../../main/agent/host-pairings';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { bundleCli, runKeydock, type CliRun } from './cli-process';

// keydock rotate against real peers: a local sshd whose account lets the old key in (with
// options on its line, other keys around it), OpenSSH's ssh-agent holding the old key, Git
// with a signing key, and ~/.ssh/config kept in a dotfiles folder behind a symlink. Every
// `keydock` runs as its own process; KEYDOCK_TEST_STOP_AFTER=<step> makes it SIGKILL itself
// right after a step, and --resume / --rollback must then reach the same end / the start.

const PASS = 'correct horse battery staple';
const DAY = new Date().toISOString().slice(0, 10);
const NEW_NAME = `id_old-${DAY.replace(/-/g, '')}`;

let cli: { bin: string; cleanup(): Promise<void> };
let sshd: Sshd;
let others: string[] = [];

interface World {
  home: TmpHome;
  agent: RealAgent;
  env: NodeJS.ProcessEnv;
  oldPriv: string;
  oldPrivText: string;
  oldPubText: string;
  akBefore: string;
  configBefore: string;
  signersBefore: string;
  gitconfig: string;
}

async function git(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  const r = await run('git', args, { env });
  return r.stdout.trim();
}

async function makeWorld(): Promise<World> {
  const home = await makeTmpHome('keydock-rotate-');
  const oldPriv = join(home.sshDir, 'id_old');
  const k = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'old@laptop', '-f', oldPriv]);
  expect(k.code, k.stderr).toBe(0);
  const oldPubText = await readFile(`${oldPriv}.pub`, 'utf8');
  const [t, b] = oldPubText.trim().split(' ');
  const akBefore = `${others[0]}\nfrom="127.0.0.1",no-agent-forwarding ${t} ${b} old@laptop\n${others[1]}\n`;
  await writeFile(sshd.authorizedKeysFile, akBefore);
  await copyFile(sshd.knownHostsFile, join(home.sshDir, 'known_hosts'));
  const configBefore = [
    '# my config, kept in dotfiles',
    'Host box',
    '  HostName 127.0.0.1',
    `  Port ${sshd.port}`,
    `  User ${sshd.user}`,
    '  IdentityFile ~/.ssh/id_old',
    '  IdentitiesOnly yes',
    '',
    'Host *',
    '  ServerAliveInterval 30',
    '',
  ].join('\n');
  await mkdir(join(home.dir, 'dotfiles'), { mode: 0o700 });
  await writeFile(join(home.dir, 'dotfiles', 'ssh_config'), configBefore, { mode: 0o600 });
  await symlink('../dotfiles/ssh_config', join(home.sshDir, 'config'));
  const agent = await startOpenSshAgent();
  expect((await agent.sshAdd([oldPriv])).code).toBe(0);
  const gitconfig = join(home.dir, 'gitconfig');
  const env: NodeJS.ProcessEnv = { ...home.env, SSH_AUTH_SOCK: agent.socket, GIT_CONFIG_GLOBAL: gitconfig, GIT_CONFIG_NOSYSTEM: '1' };
  const signersBefore = `me@example.com namespaces="git" ${t} ${b}\n`;
  await writeFile(join(home.sshDir, 'allowed_signers'), signersBefore);
  for (const [key, value] of [
    ['user.email', 'me@example.com'],
    ['gpg.format', 'ssh'],
    ['user.signingkey', '~/.ssh/id_old.pub'],
    ['gpg.ssh.allowedSignersFile', '~/.ssh/allowed_signers'],
  ]) {
    await run('git', ['config', '--global', key as string, value as string], { env });
  }
  return { home, agent, env, oldPriv, oldPrivText: await readFile(oldPriv, 'utf8'), oldPubText, akBefore, configBefore, signersBefore, gitconfig };
}

async function dropWorld(w: World): Promise<void> {
  await w.agent.stop();
  await w.home.cleanup();
}

const rotateArgs = (w: World, ...extra: string[]) => ['rotate', w.oldPriv, '--yes', '--passphrase-stdin', '--authorized-keys-file', sshd.authorizedKeysFile, '--json', ...extra];

function rotate(w: World, extra: string[] = [], stopAfter?: string): Promise<CliRun> {
  return runKeydock(cli.bin, rotateArgs(w, ...extra), { ...w.env, ...(stopAfter ? { KEYDOCK_TEST_STOP_AFTER: stopAfter } : {}) }, `${PASS}\n`);
}

/** ssh as a user would, with one key file and nothing else. */
function login(key: string) {
  return run('ssh', [
    '-F', 'none', '-o', 'HostName=127.0.0.1', '-p', String(sshd.port), '-l', sshd.user,
    '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-i', key, 'box', 'true',
  ]);
}

async function agentBlobs(w: World): Promise<string[]> {
  const r = await w.agent.sshAdd(['-L']);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[1] as string);
}

/** The end state of a finished rotation. */
async function expectRotated(w: World): Promise<void> {
  const newPriv = join(w.home.sshDir, NEW_NAME);
  const newPub = (await readFile(`${newPriv}.pub`, 'utf8')).trim();
  const [nt, nb] = newPub.split(' ');
  const [, ob] = w.oldPubText.trim().split(' ');
  expect(newPub).toMatch(/^ssh-ed25519 \S+ old@laptop$/);
  expect(await readFile(newPriv, 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');

  // authorized_keys: the old line is gone, every other line byte for byte, the new key carries the old options.
  expect(await readFile(sshd.authorizedKeysFile, 'utf8')).toBe(`${others[0]}\n${others[1]}\nfrom="127.0.0.1",no-agent-forwarding ${nt} ${nb} old@laptop\n`);

  // The new key (passphrase-protected) logs in; the old one is refused.
  const scratch = await mkdtemp(join(tmpdir(), 'keydock-rotated-'));
  try {
    const plain = join(scratch, 'new');
    await copyFile(newPriv, plain);
    const p = await run('ssh-keygen', ['-q', '-p', '-P', PASS, '-N', '', '-f', plain]);
    expect(p.code, `the new key opens with the passphrase: ${p.stderr}`).toBe(0);
    const ok = await login(plain);
    expect(ok.code, ok.stderr).toBe(0);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const archived = join(w.home.sshDir, 'keydock-archive', DAY, 'id_old');
  expect(await readFile(archived, 'utf8')).toBe(w.oldPrivText);
  expect(await readFile(`${archived}.pub`, 'utf8')).toBe(w.oldPubText);
  const refused = await login(archived);
  expect(refused.code).toBe(255);
  expect(refused.stderr).toMatch(/Permission denied/);
  await expect(lstat(w.oldPriv)).rejects.toThrow();

  // ~/.ssh/config: still a symlink into dotfiles; only the IdentityFile value changed.
  const config = join(w.home.sshDir, 'config');
  expect((await lstat(config)).isSymbolicLink()).toBe(true);
  expect(await readlink(config)).toBe('../dotfiles/ssh_config');
  expect(await readFile(config, 'utf8')).toBe(w.configBefore.split('IdentityFile ~/.ssh/id_old\n').join(`IdentityFile ~/.ssh/${NEW_NAME}\n`));

  // The agent holds the new key instead of the old one.
  const blobs = await agentBlobs(w);
  expect(blobs).toContain(nb);
  expect(blobs).not.toContain(ob);

  // Git signs with the new key; both keys verify (old signatures stay valid).
  expect(await git(w.env, ['config', '--global', '--get', 'user.signingkey'])).toBe(`~/.ssh/${NEW_NAME}.pub`);
  expect(await readFile(join(w.home.sshDir, 'allowed_signers'), 'utf8')).toBe(`${w.signersBefore}me@example.com namespaces="git" ${nt} ${nb}\n`);
}

/** The state before the rotation, byte for byte where KeyDock wrote. */
async function expectStart(w: World): Promise<void> {
  expect(await readFile(sshd.authorizedKeysFile, 'utf8')).toBe(w.akBefore);
  expect(await readFile(w.oldPriv, 'utf8')).toBe(w.oldPrivText);
  expect(await readFile(`${w.oldPriv}.pub`, 'utf8')).toBe(w.oldPubText);
  const config = join(w.home.sshDir, 'config');
  expect((await lstat(config)).isSymbolicLink()).toBe(true);
  expect(await readlink(config)).toBe('../dotfiles/ssh_config');
  expect(await readFile(config, 'utf8')).toBe(w.configBefore);
  const [, ob] = w.oldPubText.trim().split(' ');
  expect(await agentBlobs(w)).toEqual([ob]);
  expect(await git(w.env, ['config', '--global', '--get', 'user.signingkey'])).toBe('~/.ssh/id_old.pub');
  expect(await readFile(join(w.home.sshDir, 'allowed_signers'), 'utf8')).toBe(w.signersBefore);
  // The new key is kept aside, never deleted; nothing of it is left in ~/.ssh.
  expect((await readdir(w.home.sshDir)).filter((n) => n.startsWith(NEW_NAME))).toEqual([]);
  const ok = await login(w.oldPriv);
  expect(ok.code, ok.stderr).toBe(0);
}

beforeAll(async () => {
  cli = await bundleCli();
  sshd = await startSshd({ forceCommand: null });
  const dir = await mkdtemp(join(tmpdir(), 'keydock-others-'));
  for (const n of ['a', 'b']) {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `other-${n}@elsewhere`, '-f', join(dir, n)]);
  }
  others = [`no-pty ${(await readFile(join(dir, 'a.pub'), 'utf8')).trim()}`, (await readFile(join(dir, 'b.pub'), 'utf8')).trim()];
  await rm(dir, { recursive: true, force: true });
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  await cli?.cleanup();
});

describe('keydock rotate', () => {
  it('--dry-run lists every use of the key and changes nothing', async () => {
    const w = await makeWorld();
    try {
      const r = await runKeydock(cli.bin, ['rotate', w.oldPriv, '--dry-run', '--json'], w.env);
      expect(r.code, r.stderr).toBe(0);
      const plan = r.json?.plan as Record<string, unknown>;
      expect(plan.newKey).toMatchObject({ path: join(w.home.sshDir, NEW_NAME), type: 'ed25519' });
      expect(plan.configLines).toEqual([expect.objectContaining({ line: 6, text: '  IdentityFile ~/.ssh/id_old', replacement: `  IdentityFile ~/.ssh/${NEW_NAME}`, hosts: ['box'] })]);
      expect(plan.servers).toEqual([expect.objectContaining({ alias: 'box', hostname: '127.0.0.1', port: sshd.port, source: 'config' })]);
      expect(plan.agents).toEqual([expect.objectContaining({ agentId: w.agent.socket })]);
      expect(plan.gitSigning).toMatchObject({ current: '~/.ssh/id_old.pub', replacement: `~/.ssh/${NEW_NAME}.pub`, allowedSignerEntries: 1 });
      expect(plan.knownHosts).toMatchObject({ source: 'config', hosts: [], note: expect.stringContaining('no record of this key opening a host') });
      await expectStart(w);
    } finally {
      await dropWorld(w);
    }
  }, 120_000);

  it('--dry-run lists the hosts KeyDock’s records say the key opened (a connection test), and names the ones the plan does not reach', async () => {
    const w = await makeWorld();
    try {
      const tested = await runKeydock(cli.bin, ['test', 'box', '--json'], w.env);
      expect(tested.json, tested.stderr).toMatchObject({ ok: true });
      // A host the key opened earlier that no config line names (its pairing and its known_hosts line).
      const legacy = join(w.home.dir, 'legacy_host_key');
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', legacy]);
      const legacyPub = (await readFile(`${legacy}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
      await writeFile(join(w.home.sshDir, 'known_hosts'), `${await readFile(join(w.home.sshDir, 'known_hosts'), 'utf8')}legacy.example.net ${legacyPub}\n`);
      const fp = (p: string) => run('ssh-keygen', ['-l', '-E', 'sha256', '-f', p]).then((r) => r.stdout.split(' ')[1] as string);
      await recordHostPairing(join(w.home.env.XDG_CONFIG_HOME as string, 'keydock', 'host-pairings.json'), await fp(`${w.oldPriv}.pub`), await fp(`${legacy}.pub`), 'tester', Date.now() - 86_400_000);

      const r = await runKeydock(cli.bin, ['rotate', w.oldPriv, '--dry-run', '--json'], w.env);
      const known = (r.json?.plan as { knownHosts: { source: string; hosts: Array<{ names: string[]; covered: boolean }> } }).knownHosts;
      expect(known.source).toBe('test-history');
      expect(known.hosts).toEqual([
        expect.objectContaining({ names: [`127.0.0.1:${sshd.port}`], covered: true }),
        expect.objectContaining({ names: ['legacy.example.net'], covered: false }),
      ]);
      expect((r.json?.plan as { notes: string[] }).notes.join('\n')).toContain('add --server USER@legacy.example.net');
      const human = await runKeydock(cli.bin, ['rotate', w.oldPriv, '--dry-run'], w.env);
      expect(human.stdout).toContain('legacy.example.net (last');
      expect(human.stdout).toContain('not covered by this plan');
    } finally {
      await dropWorld(w);
    }
  }, 120_000);

  it('replaces the key on the server, in the symlinked config, in the agent and for Git signing; the old key is refused and archived', async () => {
    const w = await makeWorld();
    try {
      const r = await rotate(w);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.json).toMatchObject({ ok: true, status: 'done', mode: 'rotate' });
      expect((r.json?.steps as Array<{ id: string; status: string }>).map((s) => `${s.id}:${s.status}`)).toEqual([
        'generate:done',
        'server1-add:done',
        'server1-prove:done',
        'server1-remove-old:done',
        'config:done',
        'agents:done',
        'git-signing:done',
        'archive:done',
        'report:done',
      ]);
      await expectRotated(w);
      // The saved state and the report are private and hold no secret.
      for (const f of [r.json?.stateFile as string, r.json?.reportFile as string]) {
        expect((await stat(f)).mode & 0o777).toBe(0o600);
        const text = await readFile(f, 'utf8');
        expect(text).not.toContain(PASS);
        expect(text).not.toContain('PRIVATE KEY');
      }
      expect(await readFile((r.json?.reportFile as string).replace(/\.json$/, '.txt'), 'utf8')).toContain('What changed:');
      const report = JSON.parse(await readFile(r.json?.reportFile as string, 'utf8')) as { changes: unknown[]; todo: string[] };
      expect(report.changes.length).toBeGreaterThan(5);
      expect(report.todo.join('\n')).toMatch(/signing key/);
      // A second rotation of the archived key is refused; the finished one cannot be resumed.
      expect((await rotate(w, ['--resume'])).json).toMatchObject({ ok: false, error: { code: 'rotation-not-found' } });
    } finally {
      await dropWorld(w);
    }
  }, 400_000);

  it.each(['generate', 'server1-add', 'server1-remove-old', 'config:started', 'config', 'archive'])(
    'SIGKILLed after %s, --resume reaches the same end state',
    async (step) => {
      const w = await makeWorld();
      try {
        const killed = await rotate(w, [], step);
        expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
        const again = await rotate(w, ['--resume']);
        expect(again.code, again.stdout + again.stderr).toBe(0);
        expect(again.json).toMatchObject({ status: 'done' });
        await expectRotated(w);
      } finally {
        await dropWorld(w);
      }
    },
    400_000,
  );

  it.each(['server1-add', 'server1-prove', 'server1-remove-old', 'config', 'agents', 'git-signing', 'archive'])(
    'SIGKILLed after %s, --rollback gives back the start',
    async (step) => {
      const w = await makeWorld();
      try {
        const killed = await rotate(w, [], step);
        expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
        const back = await rotate(w, ['--rollback']);
        expect(back.code, back.stdout + back.stderr).toBe(0);
        expect(back.json).toMatchObject({ status: 'rolled-back', mode: 'rollback' });
        await expectStart(w);
        const kept = await readdir(join(w.home.sshDir, 'keydock-archive', DAY));
        expect(kept.some((n) => n.startsWith('rolled-back-'))).toBe(true);
      } finally {
        await dropWorld(w);
      }
    },
    400_000,
  );

  it('stops at a server it cannot reach (nothing after it changed); --resume --skip-server leaves that one out', async () => {
    const w = await makeWorld();
    try {
      w.configBefore += 'Host gone\n  HostName 127.0.0.1\n  Port 1\n  IdentityFile ~/.ssh/id_old\n';
      await writeFile(join(w.home.dir, 'dotfiles', 'ssh_config'), w.configBefore);
      const stopped = await rotate(w);
      expect(stopped.code).toBe(1);
      expect(stopped.json).toMatchObject({ ok: false, error: { code: 'server-unreachable', hint: expect.stringContaining('--skip-server gone') } });
      expect(await readFile(join(w.home.sshDir, 'config'), 'utf8')).toBe(w.configBefore);
      const done = await rotate(w, ['--resume', '--skip-server', 'gone']);
      expect(done.code, done.stdout + done.stderr).toBe(0);
      expect((done.json?.todo as string[]).join('\n')).toContain('gone: left out (--skip-server)');
      await expectRotated(w);
    } finally {
      await dropWorld(w);
    }
  }, 400_000);

  it('a finished rotation can be rolled back too, and a rollback killed halfway finishes on the next --rollback', async () => {
    const w = await makeWorld();
    try {
      expect((await rotate(w)).code).toBe(0);
      const killed = await rotate(w, ['--rollback'], 'undo-config');
      expect(killed.signal).toBe('SIGKILL');
      // A half rollback is not something to resume forward.
      expect((await rotate(w, ['--resume'])).json).toMatchObject({ ok: false, error: { code: 'rotation-rolling-back' } });
      const back = await rotate(w, ['--rollback']);
      expect(back.code, back.stdout + back.stderr).toBe(0);
      await expectStart(w);
    } finally {
      await dropWorld(w);
    }
  }, 400_000);
});
