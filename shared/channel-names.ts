// The names alone, without zod: the preload needs nothing else, and loading the schemas there
// would put all of zod into a bundle that only forwards strings. ipc-contract.ts holds the
// schemas; a unit test keeps these lists equal to its keys.

/** Every invoke channel in the contract. */
export const CHANNEL_NAMES = [
  'app:get-info',
  'settings:get-settings',
  'settings:update-settings',
  'agent:list-agents',
  'agent:select-agent',
  'agent:list-identities',
  'agent:add-key',
  'agent:remove-key',
  'agent:remove-all',
  'agent:lock',
  'agent:unlock',
  'server:get-status',
  'server:start-agent',
  'server:stop-agent',
  'server:remove-all-keys',
  'server:list-activity',
  'server:answer-confirm',
  'server:list-pairings',
  'server:forget-pairing',
  'server:login-agent-plan',
  'server:login-agent-apply',
  'keys:list-files',
  'keys:pick-files',
  'keys:inspect-file',
  'keys:read-public-key',
  'keys:generate-key',
  'keys:forget-passphrase',
  'keys:list-backups',
  'keys:restore-backup',
  'keys:load-remembered',
  'keys:config-hosts',
  'tester:list-presets',
  'tester:run-test',
  'tester:which',
  'tester:apply-fix',
  'doctor:run-checks',
  'doctor:apply-fix',
  'lifecycle:plan-rotation',
  'lifecycle:rotation-status',
  'lifecycle:rotate',
  'lifecycle:git-signing-status',
  'lifecycle:git-signing-setup',
  'publish:start-sign-in',
  'publish:poll-sign-in',
  'publish:publish-key',
  'publish:setup-host',
  'publish:sign-out',
  'smartcard:list-providers',
  'smartcard:add',
  'smartcard:remove',
] as const;

/** Every event main pushes to the renderer. */
export const EVENT_NAMES = [
  'settings:changed',
  'app:navigate',
  'agent:changed',
  'server:confirm-request',
  'server:confirm-closed',
  'server:activity',
  'tester:progress',
  'publish:progress',
  'lifecycle:rotation-progress',
] as const;

export type ChannelName = (typeof CHANNEL_NAMES)[number];
export type EventName = (typeof EVENT_NAMES)[number];

const channelSet: ReadonlySet<string> = new Set(CHANNEL_NAMES);
const eventSet: ReadonlySet<string> = new Set(EVENT_NAMES);

/** Lets the preload and the router refuse anything not in the contract. */
export function isChannel(name: unknown): name is ChannelName {
  return typeof name === 'string' && channelSet.has(name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && eventSet.has(name);
}
