import { Command, CommanderError } from 'commander';
import type { AppContext } from '../context';
import { KEYDOCK_VERSION } from '../util/version';
import { processIo, type CliIo } from './io';
import { printFailure, printSuccess, type OutputOptions } from './output';
import { registerAgentCommands } from './commands/agent';
import { registerConnectCommands } from './commands/connect';
import { registerKeysCommands } from './commands/keys';
import { registerLifecycleCommands } from './commands/lifecycle';
import { registerPublishCommands } from './commands/publish';
import { registerServeCommands } from './commands/serve';
import { registerHostsCommands } from './commands/hosts';
import { registerUiCommands } from './commands/ui';
import { registerWhichCommand } from './commands/which';

/** What every command gets: its streams, a way to build the service context, and output helpers. */
export interface CommandEnv {
  io: CliIo;
  /** A fresh context for this run, disposed after the command (loaded on first use, so --help stays light). */
  context(): Promise<AppContext>;
  /** Wraps a command body: prints failures, sets the exit code, never shows a stack trace. */
  run<A extends unknown[]>(body: (out: CommandOutput, ...args: A) => Promise<void>): (...args: A) => Promise<void>;
}

export interface CommandOutput extends OutputOptions {
  success(value: Record<string, unknown>, human: () => string): void;
  /** Exit code 1 without an exception, for commands whose result is "not ok" (a failed test). */
  setExitCode(code: 0 | 1 | 2): void;
  command: Command;
}

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
  const contexts: AppContext[] = [];
  program
    .description('See, load and fix your SSH keys: manage ssh-agent, Pageant and KeyDock’s own agent.')
    .version(KEYDOCK_VERSION)
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError('(run keydock --help for usage)')
    .addHelpText('after', EXIT_HELP)
    .configureOutput(parserOutput)
    .exitOverride();

  const env: CommandEnv = {
    io,
    async context() {
      const { createContext } = await import('../context');
      const ctx = createContext({ env: io.env, transport: 'cli' });
      contexts.push(ctx);
      return ctx;
    },
    run(body) {
      return async (...args) => {
        const command = args[args.length - 1] as Command;
        const json = Boolean((command.optsWithGlobals?.() as { json?: boolean } | undefined)?.json);
        const out: CommandOutput = {
          json,
          command,
          success: (value, human) => printSuccess(io, { json }, value, human),
          setExitCode: (code) => {
            state.exitCode = code;
          },
        };
        try {
          await body(out, ...args);
        } catch (e) {
          state.exitCode = printFailure(io, { json }, e);
        } finally {
          if (contexts.length > 0) {
            const { disposeContext } = await import('../context');
            for (const ctx of contexts.splice(0)) await disposeContext(ctx);
          }
        }
      };
    },
  };

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
