import { hostname } from 'node:os';
import type { AppContext } from '../../context';
import type { Handlers } from '../router';

type AppHandlers = Pick<Handlers, 'app:get-info' | 'settings:get-settings' | 'settings:update-settings'>;

/** App-wide channels: version/platform info and the settings file. */
export function createAppHandlers(ctx: AppContext): AppHandlers {
  return {
    'app:get-info': () => ({
      version: ctx.version,
      platform: ctx.platform,
      transport: ctx.transport === 'electron' ? 'electron' : 'bridge',
      home: ctx.paths.home,
      user: ctx.env.USER || ctx.env.USERNAME || 'you',
      hostname: hostname(),
    }),
    'settings:get-settings': () => ctx.settings.get(),
    'settings:update-settings': async (patch) => {
      const next = await ctx.settings.update(patch);
      ctx.events.emit('settings:changed', next);
      return next;
    },
  };
}
