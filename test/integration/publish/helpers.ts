// Shared set-up for the publish tests: the CLI in-process with its own streams, a temp HOME
// whose ssh_config aims 127.0.0.1 at the local sshd, and a walk of HOME looking for a secret.
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../../main/cli/program';
import type { AddedKey, FakeProvider } from '../../support/git-host-api';
import { run } from '../../support/processes';
import type { Sshd } from '../../support/sshd';
import type { TmpHome } from '../../support/tmp-home';
import { endedStdin, memoryIo } from '../../support/memory-io';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> & { ok: boolean; error?: { code: string; message: string; hint: string } };
}

/** Runs `keydock ARGV` in this process; INPUT is standard input (ended). */
export async function cli(argv: string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliResult> {
  const m = memoryIo(env, endedStdin(input));
  const code = await runCli(argv, m.io);
  let json: CliResult['json'] = { ok: false };
  try {
    json = JSON.parse(m.stdout()) as CliResult['json'];
  } catch {
    // human output
  }
  return { code, stdout: m.stdout(), stderr: m.stderr(), json };
}

/** A fresh Ed25519 key at ~/.ssh/NAME (ssh offers ~/.ssh/id_ed25519 by default). */
export async function keygen(home: TmpHome, name = 'id_ed25519', comment = 'me@laptop'): Promise<{ path: string; pub: string; fingerprint: string }> {
  const path = join(home.sshDir, name);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  const pub = (await readFile(`${path}.pub`, 'utf8')).trim();
  const fingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`])).stdout.split(' ')[1] as string;
  return { path, pub, fingerprint };
}

/** ~/.ssh/config and known_hosts so that the tester's "127.0.0.1" is the local sshd. */
export async function aimAtSshd(home: TmpHome, sshd: Sshd): Promise<void> {
  await writeFile(join(home.sshDir, 'config'), `Host 127.0.0.1\n  Port ${sshd.port}\n`);
  await copyFile(sshd.knownHostsFile, join(home.sshDir, 'known_hosts'));
}

/** What the fake provider calls on every added key: the sshd then greets like that provider. */
export function registerWithSshd(sshd: Sshd, dir: string, provider: FakeProvider): (k: AddedKey) => Promise<void> {
  let n = 0;
  return async (k) => {
    const file = join(dir, `added-${provider}-${n++}.pub`);
    await writeFile(file, `${k.key.trim()}\n`);
    await sshd.addKey(file, k.kind === 'deploy' && provider === 'gitlab' ? 'Anonymous' : k.owner, { greeting: provider });
  };
}

/** Every file under DIR whose bytes contain SECRET. */
export async function filesContaining(dir: string, secret: string): Promise<string[]> {
  const hits: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() && (await readFile(p)).includes(secret)) hits.push(p);
    }
  };
  await walk(dir);
  return hits;
}

/** The keychain entry for a provider's token, as secret-tool sees it ('' when none). */
export async function keychainEntry(keyringEnv: NodeJS.ProcessEnv, account: string): Promise<string> {
  return (await run('secret-tool', ['lookup', 'service', 'KeyDock publish', 'username', account], { env: { ...process.env, ...keyringEnv } })).stdout;
}
