import { execFileSync } from 'node:child_process';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UiConfirmer } from '../../../main/agent/server/confirm';
import { destinations, ed25519, frame, identities, msg, sessionBind, signReq, startTestAgent, str, u32, userauthData, type TestKey } from './agent-harness';

let agent: Awaited<ReturnType<typeof startTestAgent>> | null = null;
afterEach(async () => {
  await agent?.stop();
  agent = null;
});

const SUCCESS = 6;
const FAILURE = 5;
const EXT_FAILURE = 28;

describe('agent protocol basics', () => {
  it('answers unknown and malformed requests with FAILURE and keeps the connection', async () => {
    agent = await startTestAgent();
    const c = await agent.connect();
    expect((await c.request(Buffer.from([200])))[0]).toBe(FAILURE);
    expect((await c.request(Buffer.from([13, 0, 0])))[0]).toBe(FAILURE); // truncated sign
    expect((await c.request(Buffer.from([11, 1])))[0]).toBe(FAILURE); // trailing byte
    expect((await c.request(msg(27, str('no-such-extension@example.org'))))[0]).toBe(FAILURE);
    expect((await c.request(msg(20, str('token'), str('pin'))))[0]).toBe(FAILURE);
    expect(identities(await c.request(Buffer.from([11])))).toEqual([]);
  });

  it('closes a connection on a zero or overlong frame length, without a reply', async () => {
    agent = await startTestAgent();
    for (const len of [0, 256 * 1024 + 1]) {
      const c = await agent.connect();
      await expect(c.send(Buffer.concat([u32(len), Buffer.from([11])]))).rejects.toThrow('connection closed');
    }
    // a frame of exactly the limit is read (and refused as a request, not a framing error)
    const c = await agent.connect();
    expect((await c.request(Buffer.concat([Buffer.from([99]), Buffer.alloc(256 * 1024 - 1)])))[0]).toBe(FAILURE);
  });

  it('answers query with the extensions it supports', async () => {
    agent = await startTestAgent();
    const c = await agent.connect();
    const reply = await c.request(msg(27, str('query')));
    expect(reply[0]).toBe(29);
    const text = reply.subarray(1).toString('latin1');
    expect(text).toContain('query');
    expect(text).toContain('session-bind@openssh.com');
  });

  it('adds, lists in order, signs, replaces on re-add, removes; refuses bad adds', async () => {
    agent = await startTestAgent();
    const c = await agent.connect();
    const [a, b] = [ed25519(), ed25519()] as [TestKey, TestKey];
    expect((await c.request(a.addBody('a')))[0]).toBe(SUCCESS);
    expect((await c.request(b.addBody('b')))[0]).toBe(SUCCESS);
    expect((await c.request(a.addBody('a again')))[0]).toBe(SUCCESS);
    expect(identities(await c.request(Buffer.from([11]))).map((k) => k.comment)).toEqual(['a again', 'b']);
    const sig = await c.request(signReq(b, Buffer.from('hello')));
    expect(sig[0]).toBe(14);
    const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b.blob.subarray(-32).toString('base64url') }, format: 'jwk' });
    expect(verify(null, Buffer.from('hello'), pub, sig.subarray(-64))).toBe(true);
    expect((await c.request(msg(18, str(a.blob))))[0]).toBe(SUCCESS);
    expect((await c.request(msg(18, str(a.blob))))[0]).toBe(FAILURE);
    expect((await c.request(signReq(a, Buffer.from('x'))))[0]).toBe(FAILURE);
    // unknown constraint (MAXSIGN, removed in OpenSSH 10.1), duplicate lifetime, unknown key type
    expect((await c.request(a.addBody('a', Buffer.concat([Buffer.from([3]), u32(5)]))))[0]).toBe(FAILURE);
    expect((await c.request(a.addBody('a', Buffer.concat([Buffer.from([1]), u32(5), Buffer.from([1]), u32(6)]))))[0]).toBe(FAILURE);
    expect((await c.request(msg(17, str('ssh-dss'), str('x'), str('comment'))))[0]).toBe(FAILURE);
    expect(identities(await c.request(Buffer.from([11]))).map((k) => k.comment)).toEqual(['b']);
    // ADD_ID_CONSTRAINED with no constraints is a plain add, as OpenSSH's agent reads it.
    expect((await c.request(a.addBody('a unconstrained', Buffer.alloc(0))))[0]).toBe(SUCCESS);
    expect(identities(await c.request(Buffer.from([11]))).map((k) => k.comment)).toEqual(['b', 'a unconstrained']);
    expect((await c.request(Buffer.from([19])))[0]).toBe(SUCCESS);
    expect(identities(await c.request(Buffer.from([11])))).toEqual([]);
  });

  it('while locked lists nothing and refuses everything but unlock and session-bind', async () => {
    agent = await startTestAgent();
    const c = await agent.connect();
    const k = ed25519();
    const host = ed25519();
    await c.request(k.addBody('k'));
    expect((await c.request(msg(22, str(''))))[0]).toBe(FAILURE); // empty passphrase
    expect((await c.request(msg(22, str('pw'))))[0]).toBe(SUCCESS);
    expect((await c.request(msg(22, str('pw'))))[0]).toBe(FAILURE); // already locked
    expect(identities(await c.request(Buffer.from([11])))).toEqual([]);
    for (const req of [signReq(k, Buffer.from('x')), ed25519().addBody('n'), msg(18, str(k.blob)), Buffer.from([19]), msg(27, str('query'))]) {
      expect((await c.request(req))[0]).toBe(FAILURE);
    }
    expect((await c.request(sessionBind(host, randomBytes(32), false)))[0]).toBe(SUCCESS);
    expect((await c.request(msg(23, str('nope'))))[0]).toBe(FAILURE);
    expect((await c.request(msg(23, str('pw'))))[0]).toBe(SUCCESS);
    expect((await c.request(msg(23, str('pw'))))[0]).toBe(FAILURE); // not locked
    expect(identities(await c.request(Buffer.from([11])))).toHaveLength(1);
  });

  it('answers single frames (WM_COPYDATA path) and FAILURE for a broken frame', async () => {
    agent = await startTestAgent();
    const k = ed25519();
    const add = await agent.server.handleFrame(frame(k.addBody('k')), { transport: 'test' });
    expect(add.equals(frame(Buffer.from([SUCCESS])))).toBe(true);
    const list = await agent.server.handleFrame(frame(Buffer.from([11])), { transport: 'test' });
    expect(identities(list.subarray(4))).toHaveLength(1);
    expect((await agent.server.handleFrame(Buffer.from([0, 0, 0, 9, 11]), { transport: 'test' })).equals(frame(Buffer.from([FAILURE])))).toBe(true);
  });
});

describe('session-bind@openssh.com (OpenSSH rules)', () => {
  it('records verified bindings and refuses bad ones', async () => {
    agent = await startTestAgent();
    const host = ed25519();
    const other = ed25519();
    const sid = randomBytes(32);
    const c1 = await agent.connect();
    expect((await c1.request(sessionBind(host, sid, false, other.sshSign(sid))))[0]).toBe(EXT_FAILURE); // wrong signer
    expect((await c1.request(sessionBind(host, randomBytes(129), false)))[0]).toBe(EXT_FAILURE); // sid too long
    const c2 = await agent.connect();
    expect((await c2.request(sessionBind(host, sid, true)))[0]).toBe(SUCCESS);
    expect((await c2.request(sessionBind(host, sid, true)))[0]).toBe(SUCCESS); // same (sid, key) again
    expect((await c2.request(sessionBind(other, sid, true)))[0]).toBe(EXT_FAILURE); // same sid, other key
    expect((await c2.request(sessionBind(other, randomBytes(32), false)))[0]).toBe(SUCCESS);
    expect((await c2.request(sessionBind(host, randomBytes(32), false)))[0]).toBe(EXT_FAILURE); // after an auth bind
  });
});

describe('restrict-destination enforcement', () => {
  async function setup() {
    agent = await startTestAgent();
    const hostA = ed25519();
    const hostB = ed25519();
    const key = ed25519();
    const admin = await agent.connect();
    expect((await admin.request(key.addBody('restricted', destinations({ toHost: 'a.example', toUser: 'git*', toKeys: [{ blob: hostA.blob }] }))))[0]).toBe(SUCCESS);
    return { hostA, hostB, key };
  }

  it('signs only a userauth request for the bound, permitted host and user', async () => {
    const { hostA, hostB, key } = await setup();
    const a = agent as NonNullable<typeof agent>;
    const sid = randomBytes(32);
    const c = await a.connect();
    expect(identities(await c.request(Buffer.from([11])))).toHaveLength(1); // unbound: local use lists it
    expect((await c.request(signReq(key, userauthData(sid, 'git', key))))[0]).toBe(FAILURE); // unbound: no signing
    expect((await c.request(sessionBind(hostA, sid, false)))[0]).toBe(SUCCESS);
    expect(identities(await c.request(Buffer.from([11])))).toHaveLength(1);
    expect((await c.request(signReq(key, userauthData(sid, 'git', key))))[0]).toBe(14);
    expect((await c.request(signReq(key, userauthData(sid, 'gitlab', key, hostA))))[0]).toBe(14); // hostbound, pattern git*
    expect((await c.request(signReq(key, userauthData(sid, 'root', key))))[0]).toBe(FAILURE); // user not allowed
    expect((await c.request(signReq(key, userauthData(randomBytes(32), 'git', key))))[0]).toBe(FAILURE); // other session
    expect((await c.request(signReq(key, userauthData(sid, 'git', key, hostB))))[0]).toBe(FAILURE); // other host key
    expect((await c.request(signReq(key, Buffer.from('not a userauth request'))))[0]).toBe(FAILURE);
    expect((await c.request(signReq(key, Buffer.concat([userauthData(sid, 'git', key), Buffer.from([0])]))))[0]).toBe(FAILURE); // trailing

    const toB = await a.connect();
    expect((await toB.request(sessionBind(hostB, sid, false)))[0]).toBe(SUCCESS);
    expect(identities(await toB.request(Buffer.from([11])))).toEqual([]);
    expect((await toB.request(signReq(key, userauthData(sid, 'git', key))))[0]).toBe(FAILURE);
    expect((await toB.request(msg(18, str(key.blob))))[0]).toBe(FAILURE); // invisible keys cannot be removed

    const failed = await a.connect();
    expect((await failed.request(sessionBind(hostA, sid, false, hostB.sshSign(sid))))[0]).toBe(EXT_FAILURE);
    expect(identities(await failed.request(Buffer.from([11])))).toEqual([]); // a failed bind hides constrained keys
  });

  it('through a forwarding hop, needs a constraint from that hop onwards', async () => {
    agent = await startTestAgent();
    const [relay, target, key] = [ed25519(), ed25519(), ed25519()] as [TestKey, TestKey, TestKey];
    const admin = await agent.connect();
    expect((await admin.request(key.addBody('k', destinations({ toHost: 'relay', toKeys: [{ blob: relay.blob }] }))))[0]).toBe(SUCCESS);
    const sid1 = randomBytes(32);
    const sid2 = randomBytes(32);
    const fwd = await agent.connect();
    expect((await fwd.request(sessionBind(relay, sid1, true)))[0]).toBe(SUCCESS);
    expect(identities(await fwd.request(Buffer.from([11])))).toEqual([]); // allowed *to* relay, not beyond
    expect((await fwd.request(sessionBind(target, sid2, false)))[0]).toBe(SUCCESS);
    expect((await fwd.request(signReq(key, userauthData(sid2, 'me', key, target))))[0]).toBe(FAILURE);

    expect(
      (await admin.request(key.addBody('k', destinations({ toHost: 'relay', toKeys: [{ blob: relay.blob }] }, { fromHost: 'relay', fromKeys: [relay.blob], toHost: 'target', toKeys: [{ blob: target.blob }] }))))[0],
    ).toBe(SUCCESS);
    const fwd2 = await agent.connect();
    expect((await fwd2.request(sessionBind(relay, sid1, true)))[0]).toBe(SUCCESS);
    expect(identities(await fwd2.request(Buffer.from([11])))).toHaveLength(1);
    expect((await fwd2.request(sessionBind(target, sid2, false)))[0]).toBe(SUCCESS);
    expect((await fwd2.request(signReq(key, userauthData(sid2, 'me', key))))[0]).toBe(FAILURE); // forwarded: must name the host key
    expect((await fwd2.request(signReq(key, userauthData(sid2, 'me', key, target))))[0]).toBe(14);
  });

  it('accepts a host certificate signed by a CA listed for the destination, for its principal only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-cert-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ca')]);
      const caBlob = Buffer.from(readFileSync(join(dir, 'ca.pub'), 'utf8').split(' ')[1] as string, 'base64');
      const host = ed25519();
      const certFor = (principal: string, name: string) => {
        writeFileSync(join(dir, `${name}.pub`), `ssh-ed25519 ${host.blob.toString('base64')}\n`);
        execFileSync('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-I', 'host', '-h', '-n', principal, join(dir, `${name}.pub`)]);
        return Buffer.from(readFileSync(join(dir, `${name}-cert.pub`), 'utf8').split(' ')[1] as string, 'base64');
      };
      const good = certFor('git.example', 'good');
      const wrongName = certFor('other.example', 'bad');
      agent = await startTestAgent();
      const key = ed25519();
      const admin = await agent.connect();
      expect((await admin.request(key.addBody('k', destinations({ toHost: 'git.example', toKeys: [{ blob: caBlob, ca: true }] }))))[0]).toBe(SUCCESS);
      for (const [cert, visible] of [
        [good, 1],
        [wrongName, 0],
      ] as const) {
        const sid = randomBytes(32);
        const c = await agent.connect();
        const bind = msg(27, str('session-bind@openssh.com'), str(cert), str(sid), str(host.sshSign(sid)), Buffer.from([0]));
        expect((await c.request(bind))[0]).toBe(SUCCESS);
        expect(identities(await c.request(Buffer.from([11])))).toHaveLength(visible);
        expect((await c.request(signReq(key, userauthData(sid, 'git', key))))[0]).toBe(visible ? 14 : FAILURE);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses malformed destination constraints on add', async () => {
    agent = await startTestAgent();
    const key = ed25519();
    const host = ed25519();
    const c = await agent.connect();
    expect((await c.request(key.addBody('k', destinations({ toHost: '', toKeys: [{ blob: host.blob }] }))))[0]).toBe(FAILURE); // no to.hostname
    expect((await c.request(key.addBody('k', destinations({ toHost: 'h', toKeys: [] }))))[0]).toBe(FAILURE); // no to keys
    expect((await c.request(key.addBody('k', destinations({ fromHost: 'x', toHost: 'h', toKeys: [{ blob: host.blob }] }))))[0]).toBe(FAILURE); // from host without keys
    expect(identities(await c.request(Buffer.from([11])))).toEqual([]);
  });
});

describe('confirm and concurrency', () => {
  it('a confirmation waiting on one connection does not hold up others; the answer decides', async () => {
    const asked: string[] = [];
    const ui = new UiConfirmer({ onRequest: (p) => asked.push(p.requestId), onClosed: () => {} });
    agent = await startTestAgent({ confirmer: ui });
    const confirmKey = ed25519();
    const plainKey = ed25519();
    const admin = await agent.connect();
    expect((await admin.request(confirmKey.addBody('confirm me', Buffer.from([2]))))[0]).toBe(SUCCESS);
    expect((await admin.request(plainKey.addBody('plain')))[0]).toBe(SUCCESS);

    const slow = await agent.connect();
    const pending = slow.request(signReq(confirmKey, Buffer.from('a')));
    await expect.poll(() => asked.length).toBe(1);
    expect(ui.list()[0]?.prompt.comment).toBe('confirm me');
    // Meanwhile other clients are served at once.
    const fast = await agent.connect();
    for (let i = 0; i < 5; i++) expect((await fast.request(signReq(plainKey, Buffer.from(`b${i}`))))[0]).toBe(14);
    ui.answer(asked[0] as string, true);
    expect((await pending)[0]).toBe(14);

    const denied = slow.request(signReq(confirmKey, Buffer.from('c')));
    await expect.poll(() => asked.length).toBe(2);
    ui.answer(asked[1] as string, false);
    expect((await denied)[0]).toBe(FAILURE);
    const log = agent.server.activity.list();
    expect(log.filter((e) => e.operation === 'sign' && e.outcome === 'denied').map((e) => e.detail)).toEqual(['not confirmed']);
    // The log never holds key material: only fingerprints and words.
    const text = JSON.stringify(log);
    expect(text).not.toContain(confirmKey.blob.toString('base64'));
    expect(text).toMatch(/SHA256:/);
  });

  it('times out an unanswered confirmation as a denial', async () => {
    agent = await startTestAgent({ confirmer: new UiConfirmer({ onRequest: () => {}, onClosed: () => {} }), confirmTimeoutMs: 50 });
    const k = ed25519();
    const c = await agent.connect();
    await c.request(k.addBody('k', Buffer.from([2])));
    expect((await c.request(signReq(k, Buffer.from('x'))))[0]).toBe(FAILURE);
  });
});
