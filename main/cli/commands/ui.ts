import type { Command } from 'commander';
import type { CommandEnv } from '../program';

/** `keydock ui`: the window without Electron, served to a browser over the loopback bridge. */
export function registerUiCommands(program: Command, env: CommandEnv): void {
  program
    .command('ui')
    .description('serve the KeyDock window to your browser (127.0.0.1 only) — used when Electron is not installed')
    .option('--port <n>', 'port on 127.0.0.1 (default: a random free port)', (v) => Number.parseInt(v, 10))
    .option('--no-open', 'do not open Chromium, just print the address')
    .action(
      env.run(async (out, opts: { port?: number; open: boolean }) => {
        const { openInChromium, serveUi } = await import('../../bridge/serve-ui');
        const ctx = env.context();
        const bridge = await serveUi(ctx, { port: opts.port });
        const opened = opts.open ? await openInChromium(bridge.url) : false;
        out.success({ url: bridge.url, port: bridge.port }, () =>
          [`KeyDock is running at ${bridge.url}`, opened ? 'Opened it in Chromium.' : 'Open that address in your browser (keep the part after #).', 'Press Ctrl-C to stop.'].join('\n'),
        );
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await bridge.close();
      }),
    );
}
