import { join } from 'node:path';
import { EventBus } from '../util/events';
import { userPaths, type UserPaths } from '../util/paths';
import { SettingsStore } from './settings-store';

/**
 * What every service below the context layer may know about the world it runs in: the
 * environment, the user's folders, KeyDock's settings and the event bus to the window.
 * `AppContext` (main/context.ts) extends it with the services themselves, so lower layers take a
 * Runtime and never need to import upwards.
 */
export interface Runtime {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  paths: UserPaths;
  events: EventBus;
  settings: SettingsStore;
}

/**
 * Builds a Runtime from an environment: the part of `createContext()` (main/context.ts) that
 * starts nothing. The CLI's read-only commands (`list`, `agents`, `which`, `fingerprint`) run on
 * this alone, without the keychain, the agent services or KeyDock's own agent
 * (docs/architecture.md §4).
 */
export function createRuntime(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Runtime {
  const paths = userPaths(env, platform);
  return { env, platform, paths, events: new EventBus(), settings: new SettingsStore(join(paths.configDir, 'settings.json')) };
}
