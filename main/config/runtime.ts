import type { EventBus } from '../util/events';
import type { UserPaths } from '../util/paths';
import type { SettingsStore } from './settings-store';

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
