// The composition root of main/: every service of one context is made here, once, and carried as
// a typed field. The app, the CLI, the browser bridge and the tests each build their own context
// (tests: a temp HOME through `env`). Layers below this file take a `Runtime` (config/runtime.ts)
// or a service, never the context itself.
import { AgentManager } from './agent/manager';
import { OwnAgentService } from './agent/server/lifecycle';
import { createRuntime, type Runtime } from './config/runtime';
import { RememberedKeys } from './keys/remembered-keys';
import { lookupPassphrase } from './secrets/passphrases';
import { createSecretStore, type SecretStore } from './secrets/store';
import { KEYDOCK_VERSION } from './util/version';

/** Opens a native file dialog and returns the chosen paths (the Electron glue provides one). */
export type FilePicker = () => Promise<string[]>;

/** Everything one face of KeyDock works with: its runtime and its services. */
export interface AppContext extends Runtime {
  transport: 'electron' | 'bridge' | 'cli';
  version: string;
  /** The OS keychain (or the store a test passed in). */
  secrets: SecretStore;
  /** Keys whose passphrase is in the keychain. */
  remembered: RememberedKeys;
  /** The agent KeyDock manages: list, add, remove, lock. */
  agents: AgentManager;
  /** KeyDock's own agent inside this process. */
  ownAgent: OwnAgentService;
  /** The native open dialog; null where there is none (bridge, CLI, tests). */
  pickFiles: FilePicker | null;
  /** Long-lived things services started (sockets, timers); disposed on shutdown. */
  disposers: Array<() => Promise<void> | void>;
}

export interface ContextOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  transport: AppContext['transport'];
  secrets?: SecretStore;
  pickFiles?: FilePicker;
}

/** Builds a context from an environment; the only place process.env is read for services. */
export function createContext(options: ContextOptions): AppContext {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const runtime = createRuntime(env, platform);
  const paths = runtime.paths;
  const secrets = options.secrets ?? createSecretStore(platform);
  const remembered = new RememberedKeys(secrets, paths.configDir);
  const agents = new AgentManager(runtime, remembered);
  const ownAgent = new OwnAgentService(runtime, (fp) => lookupPassphrase(secrets, fp));
  return {
    ...runtime,
    transport: options.transport,
    version: KEYDOCK_VERSION,
    secrets,
    remembered,
    agents,
    ownAgent,
    pickFiles: options.pickFiles ?? null,
    disposers: [() => ownAgent.stop().then(() => undefined), () => agents.dispose()],
  };
}

/** Stops whatever services started (sockets, timers, child processes). */
export async function disposeContext(ctx: AppContext): Promise<void> {
  for (const d of ctx.disposers.splice(0).reverse()) await d();
}
