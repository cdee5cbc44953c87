import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { resolveSshConfig, type ResolvedHost } from '../../../main/openssh/ssh-config';
import { run } from '../../support/processes';
import { SSH_CONFIG_CORPUS } from '../../fixtures/connect/ssh-config-corpus';

// ssh ignores $HOME and expands ~ to the passwd home, so the resolver gets the same home here.
const home = userInfo().homedir;
const localUser = userInfo().username;
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  SSH_AUTH_SOCK: '/tmp/keydock-fake-agent.sock',
  KEYDOCK_TEST_AGENT: '/tmp/keydock-var-agent.sock',
  KEYDOCK_TEST_DIR: '/tmp/keydock-var-dir',
};


async function sshG(configFile: string, q: { host: string; user?: string; port?: number }): Promise<Map<string, string[]> | { error: string }> {
  const args = ['-G', '-F', configFile];
  if (q.user) args.push('-l', q.user);
  if (q.port) args.push('-p', String(q.port));
  args.push(q.host);
  const r = await run('ssh', args, { env });
  if (r.code !== 0) return { error: r.stderr };
  const out = new Map<string, string[]>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+) (.*)$/.exec(line);
    if (!m) continue;
    const list = out.get(m[1] as string) ?? [];
    list.push(m[2] as string);
    out.set(m[1] as string, list);
  }
  return out;
}

function expandLikeSsh(raw: string, r: ResolvedHost, host: string): string {
  const withHome = raw === '~' ? home : raw.startsWith('~/') ? join(home, raw.slice(2)) : raw;
  const tokens: Record<string, string> = { h: r.hostname, r: r.user, p: String(r.port), u: localUser, n: host, d: home, '%': '%' };
  // ssh -G prints IdentityFile and CertificateFile as written; ssh expands them when it loads them.
  return withHome.replace(/%(.)|\$\{([^}]*)\}/g, (_m, t: string | undefined, name: string | undefined) =>
    t !== undefined ? (tokens[t] ?? `%${t}`) : (env[name ?? ''] ?? ''),
  );
}

describe('resolveSshConfig agrees with ssh -G', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'keydock-sshg-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  SSH_CONFIG_CORPUS.forEach((c, idx) => {
    it(c.name, async () => {
      const dir = join(root, `case${idx}`);
      await mkdir(dir, { recursive: true });
      const fill = (t: string) => t.replaceAll('@DIR@', dir).replaceAll('@LOCALUSER@', localUser);
      for (const [rel, text] of Object.entries(c.files ?? {})) {
        await mkdir(dirname(join(dir, rel)), { recursive: true });
        await writeFile(join(dir, rel), fill(text));
      }
      const configFile = join(dir, 'config');
      await writeFile(configFile, fill(c.config));
      for (const q of c.queries) {
        const g = await sshG(configFile, q);
        const label = `${c.name} / ${q.host}`;
        if ('error' in g) {
          // ssh -G refused: KeyDock must refuse too, as a usage error naming the same file:line.
          const err = await resolveSshConfig(q.host, { home, env, configFile, user: q.user, port: q.port, localUser }).then(
            () => null,
            (e: unknown) => e as { exitCode?: number; message: string },
          );
          expect(err, `${label}: ssh -G failed (${g.error.trim()}) but KeyDock resolved it`).not.toBeNull();
          expect(err?.exitCode, label).toBe(2);
          const m = /line (\d+)/.exec(g.error);
          if (m) expect(err?.message, label).toContain(`:${m[1]}`);
          expect(q.error, `${label}: ssh -G failed unexpectedly: ${g.error}`).toBe(true);
          continue;
        }
        expect(q.error ?? false, `${label}: the corpus expects ssh -G to fail`).toBe(false);
        const r = await resolveSshConfig(q.host, { home, env, configFile, user: q.user, port: q.port, localUser });
        const one = (k: string) => g.get(k)?.[0];
        expect(r.hostname, label).toBe(one('hostname'));
        expect(r.user, label).toBe(one('user'));
        expect(String(r.port), label).toBe(one('port'));
        expect(r.identitiesOnly ? 'yes' : 'no', label).toBe(one('identitiesonly'));
        // ssh skips an IdentityFile of "none" when it loads keys; -G still lists it.
        expect(r.identityFiles, label).toEqual((g.get('identityfile') ?? []).filter((f) => f.toLowerCase() !== 'none').map((f) => expandLikeSsh(f, r, q.host)));
        const agent = one('identityagent');
        if (agent === undefined) {
          expect(r.identityAgentSource, label).toBe('env');
          expect(r.identityAgent, label).toBe(env.SSH_AUTH_SOCK);
        } else if (agent === 'SSH_AUTH_SOCK') {
          expect(r.identityAgent, label).toBe(env.SSH_AUTH_SOCK);
        } else if (agent.startsWith('$')) {
          expect(r.identityAgent, label).toBe(env[agent.slice(1)]);
        } else {
          expect(r.identityAgent, label).toBe(agent);
        }
        const ukh = one('userknownhostsfile');
        expect(r.userKnownHostsFiles.join(' ') || 'none', label).toBe(ukh);
        expect(r.globalKnownHostsFiles.join(' '), label).toBe(one('globalknownhostsfile'));
        expect(r.proxyJump, label).toBe(one('proxyjump') ?? null);
        expect(r.hostKeyAlias, label).toBe(one('hostkeyalias') ?? null);
        const shkc: Record<string, string> = { yes: 'true', no: 'false', off: 'false' };
        expect(shkc[r.strictHostKeyChecking] ?? r.strictHostKeyChecking, label).toBe(one('stricthostkeychecking'));
        expect(r.proxyCommand, label).toBe(one('proxycommand') ?? null);
        expect(r.certificateFiles, label).toEqual((g.get('certificatefile') ?? []).map((f) => expandLikeSsh(f, r, q.host)));
        expect(r.hashKnownHosts ? 'yes' : 'no', label).toBe(one('hashknownhosts'));
        expect(r.batchMode ? 'yes' : 'no', label).toBe(one('batchmode'));
        expect(r.controlPath ?? null, label).toBe(one('controlpath') ?? null);
      }
    });
  });
});
