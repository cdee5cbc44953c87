import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { KeyDockError } from '../../util/errors';
import type { CommandEnv } from '../program';

/** `--port`: a whole number 0–65535 (0 = any free port); anything else is a usage error. */
export function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new KeyDockError('usage', `"${text}" is not a port number.`, 'Use a whole number from 1 to 65535, or 0 (the default) for any free port.', { exitCode: 2 });
  }
  return port;
}

/** `keydock ui`: the window without Electron, served to a browser over the loopback bridge. */
export function registerUiCommands(program: Command, env: CommandEnv): void {
  program
    .command('ui')
    .description('serve the KeyDock window to your browser (127.0.0.1 only) — used when Electron is not installed')
    .option('--port <n>', 'port on 127.0.0.1 (default: a random free port)')
    .option('--no-open', 'do not open Chromium, just print the address')
    .action(
      env.run(async (out, opts: { port?: string; open: boolean }) => {
        const port = opts.port === undefined ? undefined : parsePort(opts.port);
        const { openInChromium, serveUi } = await import('../../bridge/serve-ui');
        const ctx = await env.context();
        const bridge = await serveUi(ctx, { port });
        const opened = opts.open ? await openInChromium(bridge, env.io.env) : false;
        // The address printed for a person works once: it goes to this user's terminal only,
        // never into a command line (see openInChromium).
        const launch = opened ? null : bridge.issueLaunchCode();
        const interactive = Boolean(env.io.stdin.isTTY) && !out.json;
        out.success({ url: launch?.url ?? bridge.url, port: bridge.port, opened }, () =>
          [
            `KeyDock is running at ${launch?.url ?? bridge.url}`,
            opened ? 'Opened it in Chromium.' : 'Open that address in your browser (keep the part after #). It opens one window, once, within 10 minutes.',
            interactive ? 'Press Enter for a new one-time address, Ctrl-C to stop.' : 'Press Ctrl-C to stop.',
          ].join('\n'),
        );
        const lines = interactive ? createInterface({ input: env.io.stdin, terminal: false }) : null;
        lines?.on('line', () => env.io.stdout.write(`${bridge.issueLaunchCode().url}\n`));
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        lines?.close();
        await bridge.close();
      }),
    );
}
