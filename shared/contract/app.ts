import { z } from 'zod';
import { Empty, channel } from './define';

export const Settings = z.object({
  // Every field bounded: a settings file or an IPC call can never make KeyDock hold a megabyte of junk.
  managedAgentId: z.string().min(1).max(4096).nullable().default(null),
  runOwnAgent: z.boolean().default(false),
  startAtLogin: z.boolean().default(false),
  defaultLifetimeMinutes: z.number().int().min(0).max(10_080).default(0),
  lockAfterIdleMinutes: z.number().int().min(0).max(1440).default(0),
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  setupProgress: z
    .object({
      provider: z.string().max(64).nullable(),
      step: z.number().int().min(0).max(10),
      keyPath: z.string().max(4096).nullable(),
      /** A configured server's API address (publishServers) when the walkthrough is for it. */
      api: z.string().max(512).nullable().optional(),
    })
    .nullable()
    .default(null),
  /**
   * GitHub Enterprise / self-managed GitLab servers named in "Add it for me" (their API address):
   * the walkthrough offers them, and their pages join the list the window may open (main/app/external-pages.ts).
   */
  publishServers: z
    .array(z.object({ provider: z.enum(['github', 'gitlab', 'bitbucket']), api: z.string().min(8).max(512) }).strict())
    .max(16)
    .default([]),
});
export type Settings = z.infer<typeof Settings>;

export const AppInfo = z.object({
  version: z.string(),
  platform: z.string(),
  transport: z.enum(['electron', 'bridge']),
  home: z.string(),
  /** The login name and this computer's name: the walkthrough's default key comment (`user@host`). */
  user: z.string().optional(),
  hostname: z.string().optional(),
});

export const appChannels = {
  'app:get-info': channel(Empty, AppInfo),
  'settings:get-settings': channel(Empty, Settings),
  'settings:update-settings': channel(Settings.partial().strict(), Settings),
} as const;

export const appEvents = {
  'settings:changed': Settings,
  /** Main asks the window to show a view (tray menu, deep link `keydock://test/HOST`). */
  'app:navigate': z.object({ route: z.string() }),
} as const;
