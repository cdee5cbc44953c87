import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { KeyDockError } from '../../util/errors';
import { userPaths } from '../../util/paths';
import type { CommandEnv } from '../program';

const HOSTS_HELP = `
KeyDock's agent remembers which key opened which host: when ssh logs in with a key in a
session bound to a host (session-bind@openssh.com), the key's fingerprint and the host key's
fingerprint are saved, and the next time ssh asks that host's agent connection for keys, the
known key comes first (so MaxAuthTries is never hit by the other keys). Successful connection
tests in the window are remembered too. Only fingerprints are kept — no host names, users or
key material — in a 0600 file:
  keydock serve:  $XDG_STATE_HOME/keydock/host-pairings.json (~/.local/state/keydock/…)
  the app:        the KeyDock config folder, host-pairings.json

  keydock hosts list                         what is remembered, with host names from known_hosts
  keydock hosts forget KEY|HOST              forget a key's hosts, or a host's keys
  keydock hosts forget --all                 forget everything
  keydock hosts only-known KEY on|off        offer KEY only to hosts it is known to open
                                             (keydock serve --only-known-keys: every key)
KEY is a fingerprint (SHA256:…) or a public key file; HOST is a host-key fingerprint or a
host name as in known_hosts (host, or [host]:port).`;

interface PairingRow {
  key: string;
  host: string;
  hostNames: string[];
  firstSeen: string;
  lastUsed: string;
  source: string;
  file: string;
}

/** `keydock hosts`: the key ↔ host pairings KeyDock's agent learnt. */
export function registerHostsCommands(program: Command, env: CommandEnv): void {
  const hosts = program.command('hosts').description('which key opens which host: list or forget what KeyDock’s agent remembers').addHelpText('after', HOSTS_HELP);

  hosts
    .command('list')
    .description('list remembered key ↔ host pairings')
    .action(
      env.run(async (out) => {
        const { listHostPairings } = await import('../../agent/host-pairings');
        const { namesForHostFingerprint, displayHostName } = await import('../../openssh/host-names');
        const files = await pairingFiles(env.io.env);
        const knownHosts = knownHostsFiles(env.io.env);
        const candidates = await candidateNames(env.io.env);
        const rows: PairingRow[] = [];
        const onlyKnown = new Set<string>();
        const names = new Map<string, string[]>();
        for (const file of files) {
          const l = await listHostPairings(file);
          for (const k of l.onlyKnown) onlyKnown.add(k);
          for (const p of l.pairings) {
            if (!names.has(p.host)) names.set(p.host, (await namesForHostFingerprint(p.host, knownHosts, candidates)).map(displayHostName));
            rows.push({ key: p.key, host: p.host, hostNames: names.get(p.host) ?? [], firstSeen: new Date(p.firstSeen).toISOString(), lastUsed: new Date(p.lastUsed).toISOString(), source: p.source, file });
          }
        }
        out.success({ pairings: rows, onlyKnown: [...onlyKnown], files }, () => {
          if (rows.length === 0) return 'No key ↔ host pairings remembered.';
          const lines = rows.map((r) => `${r.key}  opens  ${r.hostNames[0] ?? `unknown host ${r.host}`}${r.hostNames[0] ? ` (${r.host})` : ''}  last used ${r.lastUsed.slice(0, 10)}${onlyKnown.has(r.key) ? '  [only known hosts]' : ''}`);
          return lines.join('\n');
        });
      }),
    );

  hosts
    .command('forget')
    .description('forget the pairings of a key (fingerprint or .pub file) or of a host (host-key fingerprint or name)')
    .argument('[which]', 'KEY or HOST')
    .option('--all', 'forget every pairing')
    .action(
      env.run(async (out, which: string | undefined, opts: { all?: boolean }) => {
        const { forgetHostPairings, listHostPairings } = await import('../../agent/host-pairings');
        const files = await pairingFiles(env.io.env);
        if (!which && !opts.all) throw new KeyDockError('usage', 'Name a key or a host to forget, or use --all.', 'keydock hosts list shows what is remembered.', { exitCode: 2 });
        let fingerprints: string[];
        if (opts.all) {
          const all = new Set<string>();
          for (const f of files) for (const p of (await listHostPairings(f)).pairings) all.add(p.key);
          fingerprints = [...all];
        } else fingerprints = await resolveWhich(env.io.env, which as string);
        let n = 0;
        for (const f of files) for (const fp of fingerprints) n += await forgetHostPairings(f, fp);
        out.success({ forgotten: n, fingerprints }, () => `Forgot ${n} pairing${n === 1 ? '' : 's'}.`);
      }),
    );

  hosts
    .command('only-known')
    .description('offer a key only to hosts it is known to open (on), or to every host (off)')
    .argument('<key>', 'fingerprint (SHA256:…) or public key file')
    .argument('<state>', 'on or off')
    .action(
      env.run(async (out, key: string, state: string) => {
        if (state !== 'on' && state !== 'off') throw new KeyDockError('usage', 'The state is on or off.', 'keydock hosts only-known KEY on', { exitCode: 2 });
        const { setOnlyKnown } = await import('../../agent/host-pairings');
        const [fp] = await resolveWhich(env.io.env, key, true);
        for (const f of await pairingFiles(env.io.env)) await setOnlyKnown(f, fp as string, state === 'on');
        out.success({ key: fp, onlyKnown: state === 'on' }, () => (state === 'on' ? `${fp} is offered only to hosts it is known to open (where any key is known).` : `${fp} is offered to every host again.`));
      }),
    );
}

async function pairingFiles(env: NodeJS.ProcessEnv): Promise<string[]> {
  const { pairingsFiles } = await import('../../agent/host-pairings');
  const f = pairingsFiles(env, userPaths(env));
  return f.serve === f.app ? [f.serve] : [f.serve, f.app];
}

function knownHostsFiles(env: NodeJS.ProcessEnv): string[] {
  const p = userPaths(env);
  return [join(p.sshDir, 'known_hosts'), join(p.sshDir, 'known_hosts2'), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
}

/** Names to try against hashed known_hosts entries: ~/.ssh/config Host/HostName and the Git host presets. */
async function candidateNames(env: NodeJS.ProcessEnv): Promise<string[]> {
  const { candidateNamesFromSshConfig } = await import('../../openssh/host-names');
  const { GIT_HOST_PRESETS } = await import('../../connect/git-hosts');
  const out: string[] = [];
  try {
    out.push(...candidateNamesFromSshConfig(await readFile(join(userPaths(env).sshDir, 'config'), 'utf8')));
  } catch {
    // no config: only the presets
  }
  for (const p of GIT_HOST_PRESETS) {
    out.push(p.host);
    for (const a of p.alternates) out.push(a.port === 22 ? a.host : `[${a.host}]:${a.port}`);
  }
  return out;
}

/** A fingerprint as given, a public key file's fingerprint, or the host-key fingerprints known for a host name. */
async function resolveWhich(env: NodeJS.ProcessEnv, which: string, keyOnly = false): Promise<string[]> {
  if (/^SHA256:[A-Za-z0-9+/]{43}$/.test(which)) return [which];
  const { parsePublicKeyLine, fingerprintSha256 } = await import('../../keys/format');
  let text: string | null = null;
  try {
    text = await readFile(which, 'utf8');
  } catch {
    text = null;
  }
  if (text !== null) {
    try {
      return [fingerprintSha256(parsePublicKeyLine(text.trim()).blob)];
    } catch {
      throw new KeyDockError('usage', `${which} is not a public key file.`, 'Give a fingerprint (SHA256:…) or a .pub file.', { exitCode: 2 });
    }
  }
  if (keyOnly) throw new KeyDockError('usage', `${which} is neither a fingerprint nor a public key file.`, 'Give a fingerprint (SHA256:…) or a .pub file.', { exitCode: 2 });
  const { hostKeysForName } = await import('../../openssh/host-names');
  const blobs = await hostKeysForName(which, knownHostsFiles(env));
  if (blobs.length === 0) throw new KeyDockError('host-not-known', `${which} is not in your known_hosts files.`, 'Give the host-key fingerprint (SHA256:…) instead; keydock hosts list shows them.', { exitCode: 2 });
  return blobs.map((b) => fingerprintSha256(b));
}
