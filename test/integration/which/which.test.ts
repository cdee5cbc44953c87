import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../main/cli/io';
import { runCli } from '../../../main/cli/program';
import { SSH_CONFIG_CORPUS } from '../../fixtures/connect/ssh-config-corpus';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// keydock which answers what ssh would do. Its fields agree with `ssh -G` on the corpus the
// resolver is checked against, and with a real ssh-agent holding 7 keys it warns that the
// host's own key would come after a server's usual 6 tries.

function captureIo(env: NodeJS.ProcessEnv): { io: CliIo; out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.resume();
  return { io: { stdin, stdout, stderr, env }, out: () => out };
}

// ssh expands ~ to the passwd home, KeyDock to $HOME (a temp dir here): map one onto the other.
const passwdHome = userInfo().homedir;
const localUser = userInfo().username;

describe('keydock which', () => {
  let home: TmpHome;
  let env: NodeJS.ProcessEnv;
  const which = async (argv: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const c = captureIo({ ...env, ...extraEnv });
    const code = await runCli(['which', ...argv, '--json'], c.io);
    return { code, json: JSON.parse(c.out()) as Record<string, unknown> & { ok: boolean } };
  };

  beforeAll(async () => {
    home = await makeTmpHome('keydock-which-');
    env = { ...home.env, SSH_AUTH_SOCK: join(home.dir, 'no-agent.sock'), KEYDOCK_TEST_AGENT: '/tmp/keydock-var-agent.sock', KEYDOCK_TEST_DIR: '/tmp/keydock-var-dir' };
  });
  afterAll(async () => {
    await home.cleanup();
  });

  it('agrees with ssh -G on the corpus (hostname, port, user, identityfile, identitiesonly, identityagent, userknownhostsfile, proxyjump, proxycommand)', async () => {
    let compared = 0;
    for (const [idx, c] of SSH_CONFIG_CORPUS.entries()) {
      const dir = join(home.dir, `corpus${idx}`);
      const fill = (t: string) => t.replaceAll('@DIR@', dir).replaceAll('@LOCALUSER@', localUser);
      for (const [rel, text] of Object.entries(c.files ?? {})) {
        await mkdir(dirname(join(dir, rel)), { recursive: true });
        await writeFile(join(dir, rel), fill(text));
      }
      await mkdir(dir, { recursive: true });
      const configFile = join(dir, 'config');
      await writeFile(configFile, fill(c.config));
      for (const q of c.queries) {
        const dest = `${q.user ? `${q.user}@` : ''}${q.host}${q.port ? `:${q.port}` : ''}`;
        const label = `${c.name} / ${dest}`;
        const args = ['-G', '-F', configFile, ...(q.user ? ['-l', q.user] : []), ...(q.port ? ['-p', String(q.port)] : []), q.host];
        const g = await run('ssh', args, { env: { PATH: process.env.PATH, ...env } });
        const r = await which([dest, '-F', configFile]);
        if (g.code !== 0) {
          expect(r.code, label).toBe(2);
          expect(r.json.ok, label).toBe(false);
          continue;
        }
        expect(r.code, `${label}: ${JSON.stringify(r.json)}`).toBe(0);
        const sshVals = new Map<string, string[]>();
        for (const line of g.stdout.split('\n')) {
          const m = /^(\S+) (.*)$/.exec(line);
          if (m) sshVals.set(m[1] as string, [...(sshVals.get(m[1] as string) ?? []), m[2] as string]);
        }
        const one = (k: string) => sshVals.get(k)?.[0] ?? null;
        // Compared with KeyDock's $HOME written back as the passwd home ssh uses.
        const mapHome = (p: string) => (p === '~' ? passwdHome : p.startsWith('~/') ? join(passwdHome, p.slice(2)) : p);
        const norm = (v: unknown): unknown =>
          typeof v === 'string' ? v.replaceAll(home.dir, passwdHome) : Array.isArray(v) ? v.map(norm) : v;
        const j = r.json as Record<string, unknown>;
        expect(j.hostname, label).toBe(one('hostname'));
        expect(String(j.port), label).toBe(one('port'));
        expect(j.user, label).toBe(one('user'));
        expect(j.identitiesonly ? 'yes' : 'no', label).toBe(one('identitiesonly'));
        expect(j.proxyjump, label).toBe(one('proxyjump'));
        expect(j.proxycommand, label).toBe(one('proxycommand'));
        const ukh = one('userknownhostsfile');
        expect((norm(j.userknownhostsfile) as string[]).join(' ') || 'none', label).toBe(ukh);
        const ids = (sshVals.get('identityfile') ?? []).filter((f) => f.toLowerCase() !== 'none');
        // Tokens and ${VAR} in identity files are checked by the resolver's own corpus test; here the plain ones.
        if (!ids.some((f) => /[%$]/.test(f))) expect(norm(j.identityfile), label).toEqual(ids.map(mapHome));
        const agent = one('identityagent');
        if (agent === null || agent === 'SSH_AUTH_SOCK') expect(j.identityagent, label).toBe(env.SSH_AUTH_SOCK);
        else if (agent.startsWith('$')) expect(j.identityagent, label).toBe(env[agent.slice(1)]);
        else expect(norm(j.identityagent), label).toBe(mapHome(agent));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(50);
  }, 120_000);

  describe('with a real ssh-agent holding 7 keys', () => {
    let agent: RealAgent;
    const keys: string[] = [];
    beforeAll(async () => {
      agent = await startOpenSshAgent();
      for (let i = 0; i < 8; i++) {
        const path = join(home.sshDir, `id_k${i}`);
        const g = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `k${i}`, '-f', path]);
        expect(g.code, g.stderr).toBe(0);
        keys.push(path);
      }
      // Seven keys in the agent; the eighth is the host's own key, only on disk.
      for (const k of keys.slice(0, 7)) expect((await agent.sshAdd([k])).code).toBe(0);
      await writeFile(
        join(home.sshDir, 'config'),
        `Host many\n  HostName git.example.org\n  User git\n  IdentityFile ${keys[7]}\nHost only\n  HostName git.example.org\n  IdentityFile ${keys[7]}\n  IdentitiesOnly yes\nHost loaded\n  HostName git.example.org\n  IdentityFile ${keys[2]}\n`,
        { mode: 0o600 },
      );
    }, 60_000);
    afterAll(async () => {
      await agent.stop();
    });

    it('warns that MaxAuthTries (6) would be reached before the IdentityFile key', async () => {
      const r = await which(['many'], { SSH_AUTH_SOCK: agent.socket });
      expect(r.code).toBe(0);
      const j = r.json as unknown as { agent: { state: string; keycount: number }; offers: Array<{ source: string; path: string | null }>; warnings: string[]; identityfiles: Array<{ loaded: boolean; exists: boolean }> };
      expect(j.agent).toMatchObject({ state: 'running', keycount: 7 });
      expect(j.offers).toHaveLength(8);
      expect(j.offers[7]).toMatchObject({ source: 'file', path: keys[7] });
      expect(j.identityfiles[0]).toMatchObject({ exists: true, loaded: false });
      expect(j.warnings.join('\n')).toMatch(/MaxAuthTries/);
      expect(j.warnings.join('\n')).toMatch(/IdentitiesOnly yes/);
    });

    it('no warning with IdentitiesOnly, or when the agent holds the IdentityFile key (offered first)', async () => {
      const only = await which(['only'], { SSH_AUTH_SOCK: agent.socket });
      expect((only.json.offers as unknown[]).length).toBe(1);
      expect((only.json.warnings as string[]).join('\n')).not.toMatch(/MaxAuthTries/);
      const loaded = await which(['loaded'], { SSH_AUTH_SOCK: agent.socket });
      const offers = loaded.json.offers as Array<{ path: string | null; source: string }>;
      expect(offers[0]).toMatchObject({ source: 'agent', path: keys[2] });
      expect((loaded.json.identityfiles as Array<{ loaded: boolean }>)[0]?.loaded).toBe(true);
      expect((loaded.json.warnings as string[]).join('\n')).not.toMatch(/MaxAuthTries/);
    });

    it('human output lists the offer order and the warning', async () => {
      const c = captureIo({ ...env, SSH_AUTH_SOCK: agent.socket });
      expect(await runCli(['which', 'git@many:2222'], c.io)).toBe(0);
      expect(c.out()).toMatch(/ssh many → git@git\.example\.org port 2222/);
      expect(c.out()).toMatch(/ 8\. SHA256:/);
      expect(c.out()).toMatch(/Warning: .*MaxAuthTries/);
    });

    it('reports a known host key without connecting, and an agent that is not running', async () => {
      const pub = (await run('ssh-keygen', ['-y', '-f', keys[0] as string])).stdout.trim();
      await writeFile(join(home.sshDir, 'known_hosts'), `[git.example.org]:2222 ${pub}\n`);
      const r = await which(['many:2222']);
      expect(r.json).toMatchObject({ knownhostsname: '[git.example.org]:2222', hostkeyknown: true, knownhostkeytypes: ['ssh-ed25519'] });
      expect(r.json.agent).toMatchObject({ state: 'not-running' });
      const r2 = await which(['many']);
      expect(r2.json).toMatchObject({ knownhostsname: 'git.example.org', hostkeyknown: false });
    });
  });

  it('a destination ssh refuses is a usage error', async () => {
    const r = await which(['a,b']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'invalid-host' } });
  });
});
