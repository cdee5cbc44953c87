import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, EVENT_NAMES, isChannel, isEventName, type ChannelName, type EventName as ListedEventName } from '../../../shared/channel-names';
import { contract, events, type Channel, type EventName } from '../../../shared/ipc-contract';

// The preload checks names against zod-free lists; these tests keep them equal to the contract
// and keep the preload bundle free of zod.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe('channel and event name lists', () => {
  it('are exactly the keys of the zod contract', () => {
    expect([...CHANNEL_NAMES].sort()).toEqual(Object.keys(contract).sort());
    expect([...EVENT_NAMES].sort()).toEqual(Object.keys(events).sort());
    // The same, checked by tsc: a missing or extra name makes this line fail to compile.
    const sameTypes: SameKeys<Channel, ChannelName> & SameKeys<EventName, ListedEventName> = true;
    expect(sameTypes).toBe(true);
  });

  it('accept only listed names, not prototype keys or non-strings', () => {
    expect(isChannel('agent:list-identities')).toBe(true);
    expect(isEventName('agent:changed')).toBe(true);
    for (const bad of ['agent:format-disk', '__proto__', 'constructor', 'hasOwnProperty', 42, null, undefined]) {
      expect(isChannel(bad)).toBe(false);
      expect(isEventName(bad)).toBe(false);
    }
    expect(isChannel('agent:changed')).toBe(false);
    expect(isEventName('agent:lock')).toBe(false);
  });
});

describe('preload bundle', () => {
  it('does not carry zod and stays small', async () => {
    // Bundled like electron-vite's preload build: CommonJS, everything inlined but electron.
    const result = await build({
      entryPoints: ['main/app/preload.ts'],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      external: ['electron'],
      metafile: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.includes('node_modules'))).toEqual([]);
    expect(code).not.toMatch(/zod/i);
    expect(code.length).toBeLessThan(8 * 1024);
  });
});
