import type { AppContext } from '../../context';
import type { Handlers } from '../router';
import { createAgentHandlers } from './agent';
import { createAppHandlers } from './app';
import { createConnectHandlers } from './connect';
import { createKeysHandlers } from './keys';
import { createLifecycleHandlers } from './lifecycle';
import { createLoginAgentHandlers } from './login-agent';
import { createPublishHandlers } from './publish';
import { createServerHandlers } from './server';
import { createSmartcardHandlers } from './smartcard';

/** The full channel → service table; a missing channel is a type error here. */
export function createHandlers(ctx: AppContext): Handlers {
  return {
    ...createAppHandlers(ctx),
    ...createAgentHandlers(ctx),
    ...createServerHandlers(ctx),
    ...createLoginAgentHandlers(ctx),
    ...createKeysHandlers(ctx),
    ...createConnectHandlers(ctx),
    ...createLifecycleHandlers(ctx),
    ...createPublishHandlers(ctx),
    ...createSmartcardHandlers(ctx),
  };
}
