import { join } from 'node:path';
import { userPaths, type UserPaths } from './util/paths';
import { SettingsStore } from './config/settings-store';
import { EventBus } from './util/events';

/**
 * Everything a service needs from the outside world, passed in rather than read from
 * globals so the CLI, the tests and the app each build their own (tests: a temp HOME).
 */
export interface AppContext {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  paths: UserPaths;
  events: EventBus;
  settings: SettingsStore;
  transport: 'electron' | 'bridge' | 'cli';
  version: string;
  /** Services keep long-lived state here (own agent, watchers); disposed on shutdown. */
  disposers: Array<() => Promise<void> | void>;
}

export const KEYDOCK_VERSION = '0.1.0';

/** Builds a context from an environment; the only place process.env is read for services. */
export function createContext(options: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform; transport: AppContext['transport'] }): AppContext {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const paths = userPaths(env, platform);
  return {
    env,
    platform,
    paths,
    events: new EventBus(),
    settings: new SettingsStore(join(paths.configDir, 'settings.json')),
    transport: options.transport,
    version: KEYDOCK_VERSION,
    disposers: [],
  };
}

/** Stops whatever services started (sockets, timers, child processes). */
export async function disposeContext(ctx: AppContext): Promise<void> {
  for (const d of ctx.disposers.splice(0).reverse()) await d();
}
