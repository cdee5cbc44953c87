import type { Command } from 'commander';
import type { Identity } from '../../../shared/models';
import { KeyDockError } from '../../util/errors';
import { promptHidden, readStdinLine, type CliIo } from '../io';
import { oneLine, table } from '../output';
import type { CommandEnv, CommandOutput } from '../program';

// Smartcards (PKCS#11 tokens) in the agent KeyDock manages, like `ssh-add -s` / `ssh-add -e`:
// `keydock add --pkcs11 PROVIDER [--pin-stdin]`, `keydock remove --pkcs11 PROVIDER`, and
// `keydock pkcs11-providers` (docs/hardware-keys.md).

/** The token's PIN: the first line of stdin with --pin-stdin, else asked at the terminal without echo. */
async function readPin(io: CliIo, provider: string, fromStdin: boolean): Promise<Buffer> {
  if (fromStdin) return Buffer.from(await readStdinLine(io), 'utf8');
  if (!io.stdin.isTTY) {
    throw new KeyDockError('pin-required', 'The token’s PIN is needed but there is no terminal to ask on.', 'Pipe it in with --pin-stdin (e.g. keydock add --pkcs11 PROVIDER --pin-stdin).', { exitCode: 2 });
  }
  return Buffer.from(await promptHidden(io, `PIN for the token(s) of ${provider}: `), 'utf8');
}

/** `keydock add --pkcs11 PROVIDER`: the agent loads the provider and takes its keys. */
export async function addSmartcardCommand(env: CommandEnv, out: CommandOutput, files: string[], opts: { agent?: string; pkcs11: string; pinStdin?: boolean; lifetimeSeconds?: number; confirm?: boolean }): Promise<void> {
  if (files.length > 0) throw new KeyDockError('usage', '--pkcs11 adds the keys of a token; key files are added without it.', 'Run keydock add FILE… and keydock add --pkcs11 PROVIDER as two commands.', { exitCode: 2 });
  if (!opts.pkcs11.trim()) throw new KeyDockError('usage', '--pkcs11 needs the path of a PKCS#11 provider library.', 'Run keydock pkcs11-providers to see the common ones found here.', { exitCode: 2 });
  const ctx = await env.context();
  const pin = await readPin(env.io, opts.pkcs11, Boolean(opts.pinStdin));
  let added: Identity[];
  try {
    added = await ctx.agents.addSmartcard(opts.pkcs11, pin, { lifetimeSeconds: opts.lifetimeSeconds, confirm: opts.confirm }, opts.agent);
  } finally {
    pin.fill(0);
  }
  const provider = added[0]?.smartcard?.provider ?? opts.pkcs11;
  out.success({ provider, added }, () =>
    [`Added ${added.length} key(s) from the token(s) of ${provider}:`, ...added.map((i) => `  ${i.fingerprint} ${oneLine(i.comment)} (${i.type}, smartcard)`)].join('\n'),
  );
}

/** `keydock remove --pkcs11 PROVIDER`: the provider's keys leave the agent. */
export async function removeSmartcardCommand(env: CommandEnv, out: CommandOutput, keys: string[], opts: { agent?: string; pkcs11: string }): Promise<void> {
  if (keys.length > 0) throw new KeyDockError('usage', '--pkcs11 removes every key of a provider; name no keys with it.', 'Run keydock remove --pkcs11 PROVIDER on its own.', { exitCode: 2 });
  const ctx = await env.context();
  await ctx.agents.removeSmartcard(opts.pkcs11, opts.agent);
  out.success({ removed: 'pkcs11', provider: opts.pkcs11 }, () => `Removed the keys of ${opts.pkcs11}.`);
}

/** `keydock pkcs11-providers`: the usual provider libraries on this OS, and which are installed. */
export function registerPkcs11Commands(program: Command, env: CommandEnv): void {
  program
    .command('pkcs11-providers')
    .description('list the PKCS#11 provider libraries (OpenSC, ykcs11, SoftHSM) found in the usual places, for keydock add --pkcs11')
    .option('--all', 'also list the usual places where nothing is installed')
    .action(
      env.run(async (out, opts: { all?: boolean }) => {
        const { commonPkcs11Providers, installedPkcs11Providers } = await import('../../agent/server/pkcs11-paths');
        const found = new Set(installedPkcs11Providers().map((p) => p.path));
        const providers = commonPkcs11Providers()
          .map((p) => ({ ...p, found: found.has(p.path) }))
          .filter((p) => opts.all || p.found);
        out.success({ providers }, () => {
          if (providers.length === 0) return 'No PKCS#11 provider found in the usual places. Install OpenSC (opensc-pkcs11) or yubico-piv-tool (libykcs11), or give your card vendor’s library to keydock add --pkcs11.';
          return table(['PROVIDER', 'WHAT', 'INSTALLED'], providers.map((p) => [p.path, p.name, p.found ? 'yes' : 'no']));
        });
      }),
    );
}
