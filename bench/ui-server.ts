/**
 * The window benchmark's server: KeyDock's services and bridge in a process of their own, as
 * `keydock ui` runs them (serveUi, no response validation), so the browser and the benchmark's
 * Playwright client never share an event loop with the code being measured.
 *
 * Protocol on stdio: prints `{"port":N}` once listening; every line read from stdin is answered
 * with a fresh one-time launch address on its own line; end of stdin closes the bridge and exits.
 * The environment (HOME, SSH_AUTH_SOCK) is the parent's choice.
 */
import { createInterface } from 'node:readline';
import { serveUi } from '../main/bridge/serve-ui';
import { createContext, disposeContext } from '../main/context';

async function main(): Promise<void> {
  const ctx = createContext({ env: process.env, transport: 'bridge' });
  const bridge = await serveUi(ctx);
  process.stdout.write(`${JSON.stringify({ port: bridge.port })}\n`);
  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on('line', () => process.stdout.write(`${bridge.issueLaunchCode().url}\n`));
  await new Promise<void>((resolve) => lines.once('close', resolve));
  await bridge.close();
  await disposeContext(ctx);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`ui-server: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
