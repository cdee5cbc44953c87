import { createCommandEnv } from './env';
import type { CliIo } from './io';

// The fast path of the read-only commands. Building commander's tree of every command costs more
// than `list` itself, so `list`, `agents`, `which` and `fingerprint`, given plainly, are
// recognised here and run without it. "Plainly" is narrow on purpose: the command first (after
// --json at most), only its own options, each once, the `--name value` form, the exact number
// of arguments, nothing that starts with "-" where a value or an argument goes. Anything else
// (help, version, unknown or repeated options, `--name=value`, `--`, a missing argument) goes to
// commander (program.ts), which prints the same help and usage errors as always.

interface FastSpec {
  /** How many arguments the command takes (exactly). */
  args: number;
  /** Options that take a value: the flag as typed → the option's name. */
  values: Record<string, string>;
  /** Options without a value. */
  flags: Record<string, string>;
}

const SPECS: Record<string, FastSpec> = {
  list: { args: 0, values: { '--agent': 'agent' }, flags: {} },
  agents: { args: 0, values: {}, flags: {} },
  which: { args: 1, values: { '-F': 'config', '--config': 'config' }, flags: {} },
  fingerprint: { args: 1, values: {}, flags: { '--md5': 'md5', '--passphrase-stdin': 'passphraseStdin' } },
};

/** A command line the fast path can run. */
export interface FastCommand {
  name: 'list' | 'agents' | 'which' | 'fingerprint';
  json: boolean;
  args: string[];
  opts: Record<string, string | true>;
}

/** Reads ARGV as one of the read-only commands, or null when commander should read it. */
export function parseFastPath(argv: readonly string[]): FastCommand | null {
  let json = false;
  let i = 0;
  for (; i < argv.length && argv[i] === '--json'; i++) {
    if (json) return null;
    json = true;
  }
  const name = argv[i];
  const spec = name === undefined ? undefined : Object.hasOwn(SPECS, name) ? SPECS[name] : undefined;
  if (!spec) return null;
  const args: string[] = [];
  const opts: Record<string, string | true> = {};
  for (i++; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith('-')) {
      args.push(token);
      continue;
    }
    if (token === '--json') {
      if (json) return null;
      json = true;
      continue;
    }
    const valueOf = Object.hasOwn(spec.values, token) ? spec.values[token] : undefined;
    const flagOf = Object.hasOwn(spec.flags, token) ? spec.flags[token] : undefined;
    const key = valueOf ?? flagOf;
    if (key === undefined || Object.hasOwn(opts, key)) return null;
    if (flagOf !== undefined) {
      opts[key] = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('-')) return null;
    opts[key] = value;
    i++;
  }
  if (args.length !== spec.args) return null;
  return { name: name as FastCommand['name'], json, args, opts };
}

/** Runs ARGV on the fast path and resolves to its exit status, or to null when it is not one for the fast path. */
export async function runFastPath(argv: readonly string[], io: CliIo): Promise<number | null> {
  const cmd = parseFastPath(argv);
  if (!cmd) return null;
  const state = { exitCode: 0 };
  const env = createCommandEnv(io, state);
  const commands = await import('./commands/read-only');
  const [arg = ''] = cmd.args;
  const str = (key: string) => (typeof cmd.opts[key] === 'string' ? (cmd.opts[key] as string) : undefined);
  await env.execute(cmd.json, (out) => {
    switch (cmd.name) {
      case 'list':
        return commands.listCommand(env, out, { agent: str('agent') });
      case 'agents':
        return commands.agentsCommand(env, out);
      case 'which':
        return commands.whichCommand(env, out, arg, { config: str('config') });
      case 'fingerprint':
        return commands.fingerprintCommand(env, out, arg, { md5: cmd.opts.md5 === true || undefined, passphraseStdin: cmd.opts.passphraseStdin === true || undefined });
    }
  });
  return state.exitCode;
}
