import { Command, CommanderError } from 'commander';
import { KEYDOCK_VERSION } from '../util/version';
import { createCommandEnv } from './env';
import { runFastPath } from './fast';
import { processIo, type CliIo } from './io';
import { registerAgentCommands } from './commands/agent';
import { registerConnectCommands } from './commands/connect';
import { registerKeysCommands } from './commands/keys';
import { registerLifecycleCommands } from './commands/lifecycle';
import { registerPublishCommands } from './commands/publish';
import { registerServeCommands } from './commands/serve';
import { registerHostsCommands } from './commands/hosts';
import { registerUiCommands } from './commands/ui';
import { registerWhichCommand } from './commands/which';

export type { CommandEnv, CommandOutput } from './env';

const EXIT_HELP = `
Exit status:
  0  the operation succeeded
  1  the operation failed (agent refused, wrong passphrase, test failed, …)
  2  usage or environment error (bad arguments, no agent, file not found)

Every command accepts --json for machine-readable output: {"ok":true,…} or
{"ok":false,"error":{"code","message","hint"}}.`;

/** Builds the keydock command tree; the same tree serves the binary and in-process tests. */
export function buildProgram(io: CliIo, state: { exitCode: number }, parserOutput: ParserOutput = { writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) }): Command {
  const program = new Command('keydock');
  program
    .description('See, load and fix your SSH keys: manage ssh-agent, Pageant and KeyDock’s own agent.')
    .version(KEYDOCK_VERSION)
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError('(run keydock --help for usage)')
    .addHelpText('after', EXIT_HELP)
    .configureOutput(parserOutput)
    .exitOverride();

  const env = createCommandEnv(io, state);

  registerAgentCommands(program, env);
  registerServeCommands(program, env);
  registerHostsCommands(program, env);
  registerKeysCommands(program, env);
  registerConnectCommands(program, env);
  registerLifecycleCommands(program, env);
  registerPublishCommands(program, env);
  registerUiCommands(program, env);
  registerWhichCommand(program, env);
  for (const sub of program.commands) {
    sub.exitOverride();
    sub.configureOutput(parserOutput);
  }
  return program;
}

/** Where the argument parser writes help, version and usage errors. */
export interface ParserOutput {
  writeOut(s: string): void;
  writeErr(s: string): void;
}

/**
 * Runs the CLI with argv (without node and script) and resolves to the exit status. With --json,
 * every outcome is one JSON object on stdout, the parser's own (help, version, usage errors) too.
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  // The read-only commands, given plainly, start without building the command tree (./fast.ts).
  const fast = await runFastPath(argv, io);
  if (fast !== null) return fast;
  const state = { exitCode: 0 };
  const json = argv.includes('--json');
  const parser = { out: '', err: '' };
  const program = buildProgram(
    io,
    state,
    json
      ? { writeOut: (s) => void (parser.out += s), writeErr: (s) => void (parser.err += s) }
      : { writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) },
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      const shown = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
      if (json) {
        const text = (parser.out || parser.err).trim();
        const value = shown
          ? { ok: true, [e.code === 'commander.version' ? 'version' : 'help']: text }
          : { ok: false, error: { code: 'usage', message: e.message.replace(/^error: /, ''), hint: 'Run keydock --help (or keydock COMMAND --help) for usage.' } };
        io.stdout.write(JSON.stringify(value, null, 2) + '\n');
      }
      return shown ? 0 : 2;
    }
    throw e;
  }
  return state.exitCode;
}
