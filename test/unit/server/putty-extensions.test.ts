import { describe, expect, it } from 'vitest';
import { AgentServer } from '../../../main/agent/server/server';
import { ed25519, frame, msg, str, u32 } from './agent-harness';

// PuTTY's extensions on the wire (docs/agent-protocol.md §1.6), straight through AgentServer.
const ext = (name: string, data: Buffer = Buffer.alloc(0)) => frame(msg(27, str(`${name}@putty.projects.tartarus.org`), data));
const body = (reply: Buffer) => reply.subarray(4);

describe('PuTTY extensions', () => {
  it('lists keys with flags, refuses reencrypt-all when no key has an encrypted form, and is unknown without a passphrase asker', async () => {
    const server = new AgentServer({ passphraseAsker: async () => null });
    const k = ed25519();
    await server.handleFrame(frame(k.addBody('plain')), { transport: 'test' });
    const list = body(await server.handleFrame(ext('list-extended'), { transport: 'test' }));
    expect(list[0]).toBe(6);
    expect(list.subarray(1).equals(Buffer.concat([u32(1), str(k.blob), str('plain'), str(u32(0))]))).toBe(true);
    expect(body(await server.handleFrame(ext('reencrypt-all'), { transport: 'test' }))[0]).toBe(28);
    expect(body(await server.handleFrame(ext('reencrypt', str(k.blob)), { transport: 'test' }))[0]).toBe(28);
    expect(body(await server.handleFrame(ext('add-ppk', str('not a key')), { transport: 'test' }))[0]).toBe(28);
    server.close();

    const plain = new AgentServer();
    expect(body(await plain.handleFrame(ext('list-extended'), { transport: 'test' }))[0]).toBe(5);
    plain.close();
  });
});
