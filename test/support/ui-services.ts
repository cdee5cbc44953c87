import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext, disposeContext, type AppContext } from '../../main/context';
import { createHandlers } from '../../main/ipc/handlers';
import { startBridge, type Bridge } from '../../main/bridge/server';
import { startOpenSshAgent, type RealAgent } from './ssh-agent';
import { makeTmpHome, type TmpHome } from './tmp-home';

export const BUILT_RENDERER = fileURLToPath(new URL('../../out/renderer', import.meta.url));
const FAVICON_FILE = fileURLToPath(new URL('../../build/icons/32x32.png', import.meta.url));

export interface UiServices {
  /**
   * A fresh one-time launch address (http://127.0.0.1:PORT/#code=…) on every read: each
   * openWindow() is a new page load, and a launch code opens one page only once.
   */
  readonly url: string;
  bridge: Bridge;
  ctx: AppContext;
  home: TmpHome;
  agent: RealAgent | null;
  /** Stops the bridge and services but keeps HOME and the agent (to test a restart). */
  restart(): Promise<UiServices>;
  stop(): Promise<void>;
}

export interface UiServicesOptions {
  /** Start a real OpenSSH ssh-agent and point SSH_AUTH_SOCK at it (default true). */
  agent?: boolean;
  home?: TmpHome;
  existingAgent?: RealAgent | null;
  /** Extra environment (e.g. the keyring's DBUS_SESSION_BUS_ADDRESS). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the real main-process services for a temp HOME, with a real ssh-agent, and the
 * bridge serving the built renderer: what the Playwright UI tests drive.
 */
export async function startUiServices(options: UiServicesOptions = {}): Promise<UiServices> {
  const home = options.home ?? (await makeTmpHome('keydock-ui-'));
  const agent = options.existingAgent !== undefined ? options.existingAgent : options.agent === false ? null : await startOpenSshAgent();
  const env: NodeJS.ProcessEnv = { ...home.env, ...options.env };
  if (agent) env.SSH_AUTH_SOCK = agent.socket;
  const ctx = createContext({ env, transport: 'bridge' });
  const bridge = await startBridge(ctx, { staticDir: BUILT_RENDERER, handlers: createHandlers(ctx), validateResponses: true, faviconFile: FAVICON_FILE });
  const services: UiServices = {
    get url() {
      return bridge.issueLaunchCode().url;
    },
    bridge,
    ctx,
    home,
    agent,
    async restart() {
      await bridge.close();
      await disposeContext(ctx);
      return startUiServices({ ...options, home, existingAgent: agent });
    },
    async stop() {
      await bridge.close();
      await disposeContext(ctx);
      await agent?.stop();
      if (!options.home) await home.cleanup();
    },
  };
  return services;
}

export const SCREENSHOT_DIR = join(fileURLToPath(new URL('../../docs/screenshots', import.meta.url)));
