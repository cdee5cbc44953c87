import type { z } from 'zod';
import { agentChannels, agentEvents } from './contract/agent';
import { appChannels, appEvents } from './contract/app';
import { connectChannels, connectEvents } from './contract/connect';
import { keysChannels, keysEvents } from './contract/keys';
import { lifecycleChannels, lifecycleEvents } from './contract/lifecycle';
import { loginAgentChannels } from './contract/login-agent';
import { publishChannels, publishEvents } from './contract/publish';
import { serverChannels, serverEvents } from './contract/server';
import { smartcardChannels } from './contract/smartcard';

/** The one table both sides agree on: channel → request schema and response value schema. */
export const contract = {
  ...appChannels,
  ...agentChannels,
  ...serverChannels,
  ...loginAgentChannels,
  ...keysChannels,
  ...connectChannels,
  ...lifecycleChannels,
  ...publishChannels,
  ...smartcardChannels,
} as const;

/** Events main pushes to the renderer. */
export const events = {
  ...appEvents,
  ...agentEvents,
  ...serverEvents,
  ...keysEvents,
  ...connectEvents,
  ...lifecycleEvents,
  ...publishEvents,
} as const;

export type Contract = typeof contract;
export type Channel = keyof Contract;
export type EventName = keyof typeof events;
export type Req<C extends Channel> = z.input<Contract[C]['req']>;
export type ParsedReq<C extends Channel> = z.output<Contract[C]['req']>;
export type Res<C extends Channel> = z.output<Contract[C]['res']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export const channelNames = Object.keys(contract) as Channel[];

// The bare name lists and their checks live in channel-names.ts, which has no zod, so the
// preload uses them without bundling the schemas; test/unit/ipc/channel-names.test.ts keeps
// those lists equal to the keys above.
export { isChannel } from './channel-names';
