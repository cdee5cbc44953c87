import type { Command } from 'commander';
import type { AppContext } from '../context';
import { createRuntime, type Runtime } from '../config/runtime';
import type { CliIo } from './io';
import { printFailure, printSuccess, type OutputOptions } from './output';

// What every command gets, whether commander parsed its arguments (program.ts) or the fast path
// did (fast.ts). Nothing here loads commander, zod or a service: a command asks for what it uses.

/** What every command gets: its streams, a way to build the service context, and output helpers. */
export interface CommandEnv {
  io: CliIo;
  /** A fresh context for this run, disposed after the command (loaded on first use, so --help stays light). */
  context(): Promise<AppContext>;
  /**
   * The Runtime alone (environment, user folders, settings on first use): enough for the
   * read-only commands, which start no service (docs/architecture.md §4).
   */
  runtime(): Runtime;
  /** Wraps a command body: prints failures, sets the exit code, never shows a stack trace. */
  run<A extends unknown[]>(body: (out: CommandOutput, ...args: A) => Promise<void>): (...args: A) => Promise<void>;
  /** Runs a command body with --json known beforehand (the fast path: no commander Command to ask). */
  execute(json: boolean, body: (out: CommandOutput) => Promise<void>): Promise<void>;
}

export interface CommandOutput extends OutputOptions {
  success(value: Record<string, unknown>, human: () => string): void;
  /** Exit code 1 without an exception, for commands whose result is "not ok" (a failed test). */
  setExitCode(code: 0 | 1 | 2): void;
}

/** The env of one CLI run; `state.exitCode` is what the run exits with. */
export function createCommandEnv(io: CliIo, state: { exitCode: number }): CommandEnv {
  const contexts: AppContext[] = [];
  const env: CommandEnv = {
    io,
    async context() {
      const { createContext } = await import('../context');
      const ctx = createContext({ env: io.env, transport: 'cli' });
      contexts.push(ctx);
      return ctx;
    },
    runtime() {
      return createRuntime(io.env, process.platform);
    },
    run(body) {
      return (...args) => {
        const command = args[args.length - 1] as Command;
        const json = Boolean((command.optsWithGlobals?.() as { json?: boolean } | undefined)?.json);
        return env.execute(json, (out) => body(out, ...args));
      };
    },
    async execute(json, body) {
      const out: CommandOutput = {
        json,
        success: (value, human) => printSuccess(io, { json }, value, human),
        setExitCode: (code) => {
          state.exitCode = code;
        },
      };
      try {
        await body(out);
      } catch (e) {
        state.exitCode = printFailure(io, { json }, e);
      } finally {
        if (contexts.length > 0) {
          const { disposeContext } = await import('../context');
          for (const ctx of contexts.splice(0)) await disposeContext(ctx);
        }
      }
    },
  };
  return env;
}
