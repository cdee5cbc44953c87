import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  MAX_FRAME,
  MAX_IDENTITIES,
  ProtocolError,
  decodeConstraints,
  decodeReply,
  decodeRequest,
  encodeConstraints,
  encodeReply,
  encodeRequest,
  frame,
  type Constraint,
  type Reply,
  type Request,
} from '../../../main/agent/codec';
import { CERT_SUFFIX, describePublicBlob } from '../../../main/keys/format';
import { checkConsistency, fromKeyObject, publicBlob, sshType, type KeyMaterial } from '../../../main/keys/material';
import { WireReader, sshString, u32 } from '../../../main/keys/wire';
import type { RecordedFrame } from '../../support/agent-recorder';
import { mulberry32 } from '../../support/prng';

// The codec against itself (every message round-trips byte for byte), against hostile bytes
// (ProtocolError and nothing else), and against what OpenSSH's own tools put on the wire.

const capture = JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'agent', 'openssh-capture.json'), 'utf8')) as { openssh: string; frames: RecordedFrame[] };

const byte = (n: number) => Buffer.from([n]);
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};


const ed25519 = fromKeyObject(generateKeyPairSync('ed25519').privateKey);
const ed448 = fromKeyObject(generateKeyPairSync('ed448').privateKey);
const p256 = fromKeyObject(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
const p384 = fromKeyObject(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey);
const p521 = fromKeyObject(generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey);
const rsa = fromKeyObject(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
// The codec only carries DSA numbers (nobody signs with them here), so made-up ones will do.
const number = (n: number) => Buffer.concat([byte(1 + Math.floor(Math.random() * 255)), randomBytes(n - 1)]);
const dsa: KeyMaterial = { kind: 'dsa', p: number(128), q: number(20), g: number(128), y: number(128), x: number(20) };
const MATERIALS: KeyMaterial[] = [ed25519, ed448, p256, p384, p521, rsa, dsa];

const caBlob = publicBlob(fromKeyObject(generateKeyPairSync('ed25519').privateKey));

/** A certificate blob for a key (PROTOCOL.certkeys layout); the CA signature is not checked by the codec. */
function certificate(m: KeyMaterial): Buffer {
  const fields = new WireReader(publicBlob(m));
  fields.text();
  return Buffer.concat([
    sshString(`${sshType(m)}${CERT_SUFFIX}`),
    sshString(randomBytes(32)),
    fields.rest(),
    u64(7n),
    u32(1),
    sshString('key-id'),
    sshString(Buffer.concat([sshString('alice'), sshString('bob')])),
    u64(0n),
    u64(0xffffffffffffffffn),
    sshString(''),
    sshString(Buffer.concat([sshString('permit-pty'), sshString('')])),
    sshString(''),
    sshString(caBlob),
    sshString(Buffer.concat([sshString('ssh-ed25519'), sshString(randomBytes(64))])),
  ]);
}

const hostA = publicBlob(fromKeyObject(generateKeyPairSync('ed25519').privateKey));
const hostB = publicBlob(p256);

const ALL_CONSTRAINTS: Constraint[] = [
  { kind: 'lifetime', seconds: 60 },
  { kind: 'confirm' },
  {
    kind: 'restrict-destination',
    constraints: [
      { from: { user: '', hostname: '', keys: [] }, to: { user: 'git', hostname: 'server.example', keys: [{ blob: hostA, isCa: false }, { blob: hostB, isCa: false }] } },
      { from: { user: '', hostname: 'server.example', keys: [{ blob: hostA, isCa: false }] }, to: { user: '', hostname: 'inner.example.org', keys: [{ blob: caBlob, isCa: true }] } },
    ],
  },
  { kind: 'associated-certs', certsOnly: true, certs: [certificate(ed25519), certificate(p256)] },
  { kind: 'sk-provider', provider: '/usr/lib/libsk.so' },
  // Unknown ones run to the end of the message, so they can only come last.
  { kind: 'extension', name: 'future-constraint@example.org', data: Buffer.from('anything at all') },
];

const plainAdds: Request[] = MATERIALS.map((m) => ({ type: 'add', keyType: sshType(m), material: m, certificate: null, comment: `${m.kind} key`, constraints: null }));
const certAdds: Request[] = [ed25519, p256, p384, p521, rsa, dsa].map((m) => ({
  type: 'add',
  keyType: `${sshType(m)}${CERT_SUFFIX}`,
  material: m,
  certificate: certificate(m),
  comment: 'certified',
  constraints: [{ kind: 'confirm' }],
}));

const REQUESTS: Request[] = [
  { type: 'request-identities' },
  ...[0, 2, 4].map((flags): Request => ({ type: 'sign', blob: publicBlob(rsa), data: randomBytes(100), flags })),
  ...plainAdds,
  ...certAdds,
  { type: 'add', keyType: 'ssh-ed25519', material: ed25519, certificate: null, comment: '', constraints: ALL_CONSTRAINTS },
  { type: 'add', keyType: 'ssh-rsa', material: rsa, certificate: null, comment: 'constrained, but with nothing', constraints: [] },
  { type: 'add', keyType: 'ssh-ed25519', material: ed25519, certificate: null, comment: 'maxsign', constraints: [{ kind: 'unknown', type: 3, data: u32(5) }] },
  // FIDO keys (docs/agent-protocol.md §1.4): public half, application, flags, handle, reserved; ssh-add names the provider.
  { type: 'add', keyType: 'sk-ssh-ed25519@openssh.com', material: { kind: 'sk-ed25519', pub: randomBytes(32), application: 'ssh:', flags: 1, keyHandle: Buffer.from('handle'), reserved: Buffer.alloc(0) }, certificate: null, comment: 'fido', constraints: [{ kind: 'sk-provider', provider: 'internal' }] },
  { type: 'add-unsupported', keyType: 'ssh-mldsa44-ed25519@openssh.com', constrained: true, rest: randomBytes(40) },
  { type: 'remove', blob: publicBlob(p384) },
  { type: 'remove-all' },
  { type: 'lock', passphrase: Buffer.from('correct horse') },
  { type: 'unlock', passphrase: Buffer.from([0xff, 0x00, 0x80]) },
  { type: 'add-smartcard', tokenId: '/usr/lib/opensc-pkcs11.so', pin: Buffer.from('1234'), constraints: null },
  { type: 'add-smartcard', tokenId: '/usr/lib/opensc-pkcs11.so', pin: Buffer.from(''), constraints: [{ kind: 'lifetime', seconds: 1 }, { kind: 'associated-certs', certsOnly: false, certs: [] }] },
  { type: 'remove-smartcard', tokenId: '/usr/lib/opensc-pkcs11.so', pin: Buffer.from('') },
  { type: 'query' },
  { type: 'session-bind', hostKey: hostA, sessionId: randomBytes(32), signature: randomBytes(83), isForwarding: false },
  { type: 'session-bind', hostKey: hostB, sessionId: randomBytes(64), signature: randomBytes(100), isForwarding: true },
  { type: 'extension', name: 'list-extended@putty.projects.tartarus.org', data: Buffer.alloc(0) },
  { type: 'extension', name: 'add-ppk@putty.projects.tartarus.org', data: sshString('PuTTY-User-Key-File-3: ssh-ed25519\n') },
  { type: 'legacy', code: 9, body: Buffer.alloc(0) },
  { type: 'legacy', code: 7, body: randomBytes(30) },
  { type: 'unknown', code: 200, body: randomBytes(3) },
  { type: 'unknown', code: 0, body: Buffer.alloc(0) },
];

const REPLIES: Reply[] = [
  { type: 'success' },
  { type: 'success-with-data', data: Buffer.concat([sshString('query'), sshString('add-ppk@putty.projects.tartarus.org')]) },
  ...[5, 28, 30, 102].map((code): Reply => ({ type: 'failure', code })),
  { type: 'identities', identities: [] },
  { type: 'identities', identities: [...MATERIALS.map((m) => ({ blob: publicBlob(m), comment: `${m.kind} — ключ` })), { blob: certificate(rsa), comment: '' }] },
  { type: 'signature', signature: Buffer.concat([sshString('rsa-sha2-512'), sshString(randomBytes(256))]) },
  { type: 'extension', name: 'query', data: Buffer.concat([sshString('query'), sshString('session-bind@openssh.com')]) },
  { type: 'extension', name: 'x@example.org', data: Buffer.alloc(0) },
];

const body = (f: Buffer) => f.subarray(4);

/** What every decoder owes its input: a value that encodes back to exactly it, or a ProtocolError. */
function decodesExactlyOrRefuses(decode: (b: Buffer) => Request | Reply, encode: (v: never) => Buffer, bytes: Buffer): 'ok' | 'refused' {
  let value: Request | Reply;
  try {
    value = decode(bytes);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`${(e as Error).name} instead of ProtocolError for ${bytes.toString('hex')}: ${(e as Error).message}`);
    return 'refused';
  }
  const again = encode(value as never);
  if (!body(again).equals(bytes)) throw new Error(`${bytes.toString('hex')} decoded to something that encodes as ${body(again).toString('hex')}`);
  return 'ok';
}

const checkRequest = (b: Buffer) => decodesExactlyOrRefuses(decodeRequest, encodeRequest, b);
const checkReply = (b: Buffer) => decodesExactlyOrRefuses(decodeReply, encodeReply, b);

function expectProtocolError(fn: () => unknown): void {
  expect(fn).toThrow(ProtocolError);
}

describe('round trips', () => {
  it.each(REQUESTS.map((r) => [r.type === 'add' ? `add ${r.keyType}${r.constraints ? ' constrained' : ''}` : r.type, r] as const))('request %s: encode → decode → encode is byte-identical', (_name, req) => {
    const bytes = encodeRequest(req);
    const decoded = decodeRequest(body(bytes));
    expect(decoded).toEqual(req);
    expect(encodeRequest(decoded).equals(bytes)).toBe(true);
  });

  it.each(REPLIES.map((r) => [r.type === 'failure' ? `failure ${r.code}` : r.type, r] as const))('reply %s: encode → decode → encode is byte-identical', (_name, reply) => {
    const bytes = encodeReply(reply);
    const decoded = decodeReply(body(bytes));
    expect(decoded).toEqual(reply);
    expect(encodeReply(decoded).equals(bytes)).toBe(true);
  });

  it('every constraint kind round-trips on its own and together, in OpenSSH’s nested layout', () => {
    const unknownType: Constraint = { kind: 'unknown', type: 3, data: u32(5) };
    for (const c of [...ALL_CONSTRAINTS, unknownType]) {
      const bytes = encodeConstraints([c]);
      expect(decodeConstraints(bytes)).toEqual([c]);
      expect(encodeConstraints(decodeConstraints(bytes)).equals(bytes)).toBe(true);
    }
    expect(decodeConstraints(encodeConstraints(ALL_CONSTRAINTS))).toEqual(ALL_CONSTRAINTS);
    // The destination list is one string of constraints, each a string of (from, to, reserved).
    const dest = encodeConstraints([ALL_CONSTRAINTS[2]!]);
    const r = new WireReader(dest);
    expect(r.byte()).toBe(255);
    expect(r.text()).toBe('restrict-destination-v00@openssh.com');
    const list = new WireReader(r.string());
    r.end();
    const first = new WireReader(list.string());
    const from = new WireReader(first.string());
    expect([from.text(), from.text(), from.string().length, from.remaining]).toEqual(['', '', 0, 0]);
  });

  it('an add with certificate fields carries the certified public values, not copies that could differ', () => {
    for (const req of certAdds) {
      const decoded = decodeRequest(body(encodeRequest(req)));
      if (decoded.type !== 'add' || !decoded.certificate) throw new Error('expected a certificate add');
      expect(publicBlob(decoded.material).equals(describePublicBlob(decoded.certificate).certifiedKeyBlob!)).toBe(true);
    }
  });
});

describe('strictness', () => {
  // Frames whose last field is delimited (no constraint list, no raw tail): nothing may be cut off or added.
  const delimited = REQUESTS.filter((r) => !['add-unsupported', 'extension', 'legacy', 'unknown'].includes(r.type) && !(r.type === 'add' && r.constraints) && !(r.type === 'add-smartcard' && r.constraints));

  it('refuses every truncation of a delimited request, and never misreads any other prefix', () => {
    let refused = 0;
    for (const req of delimited) {
      const b = body(encodeRequest(req));
      for (let cut = 0; cut < b.length; cut++) {
        expect(checkRequest(b.subarray(0, cut)), `${req.type} cut at ${cut}`).toBe('refused');
        refused++;
      }
    }
    for (const req of REQUESTS) {
      const b = body(encodeRequest(req));
      for (let cut = 0; cut < b.length; cut++) checkRequest(b.subarray(0, cut));
    }
    expect(refused).toBeGreaterThan(3_000);
  });

  it('refuses every truncation of a delimited reply', () => {
    for (const reply of REPLIES.filter((r) => r.type !== 'success-with-data' && r.type !== 'extension')) {
      const b = body(encodeReply(reply));
      for (let cut = 0; cut < b.length; cut++) expect(checkReply(b.subarray(0, cut)), `${reply.type} cut at ${cut}`).toBe('refused');
    }
  });

  it('refuses trailing bytes after a delimited request or reply', () => {
    for (const req of delimited) {
      for (const extra of [byte(0), randomBytes(9)]) expectProtocolError(() => decodeRequest(Buffer.concat([body(encodeRequest(req)), extra])));
    }
    for (const reply of REPLIES.filter((r) => r.type !== 'success' && r.type !== 'success-with-data' && r.type !== 'extension')) {
      expectProtocolError(() => decodeReply(Buffer.concat([body(encodeReply(reply)), byte(0)])));
    }
  });

  it('refuses empty bodies, huge string lengths and impossible counts', () => {
    expectProtocolError(() => decodeRequest(Buffer.alloc(0)));
    expectProtocolError(() => decodeReply(Buffer.alloc(0)));
    expectProtocolError(() => decodeRequest(Buffer.concat([byte(13), u32(0xffffffff), randomBytes(16)])));
    expectProtocolError(() => decodeRequest(Buffer.concat([byte(17), u32(0x7fffffff), Buffer.from('ssh-ed25519')])));
    expectProtocolError(() => decodeRequest(Buffer.concat([byte(22), u32(MAX_FRAME)])));
    expectProtocolError(() => decodeReply(Buffer.concat([byte(14), u32(0xfffffffe)])));
    expectProtocolError(() => decodeReply(Buffer.concat([byte(12), u32(1), u32(0xffffffff)])));
    expectProtocolError(() => decodeReply(Buffer.concat([byte(12), u32(MAX_IDENTITIES + 1)])));
    expectProtocolError(() => decodeReply(Buffer.concat([byte(12), u32(0xffffffff)])));
    const most = Array.from({ length: MAX_IDENTITIES }, () => ({ blob: hostA, comment: 'k' }));
    expect(decodeReply(body(encodeReply({ type: 'identities', identities: most })))).toMatchObject({ type: 'identities' });
    expectProtocolError(() => encodeReply({ type: 'identities', identities: [...most, { blob: hostA, comment: 'one too many' }] }));
  });

  it('refuses bad lengths and mismatches inside key fields, certificates and constraints', () => {
    const seed = ed25519.kind === 'ed25519' ? ed25519.seed : Buffer.alloc(32);
    const pub = ed25519.kind === 'ed25519' ? ed25519.pub : Buffer.alloc(32);
    const add = (...fields: Buffer[]) => Buffer.concat([byte(17), sshString('ssh-ed25519'), ...fields, sshString('c')]);
    expect(decodeRequest(add(sshString(pub), sshString(Buffer.concat([seed, pub]))))).toMatchObject({ type: 'add' });
    expectProtocolError(() => decodeRequest(add(sshString(pub.subarray(1)), sshString(Buffer.concat([seed, pub])))));
    expectProtocolError(() => decodeRequest(add(sshString(pub), sshString(Buffer.concat([seed, randomBytes(32)])))));
    expectProtocolError(() => decodeRequest(Buffer.concat([byte(17), sshString('ecdsa-sha2-nistp256'), sshString('nistp384'), sshString(randomBytes(97)), sshString(byte(1)), sshString('')])));
    // negative mpint where RSA numbers go
    expectProtocolError(() => decodeRequest(Buffer.concat([byte(17), sshString('ssh-rsa'), sshString(byte(0x80)), ...Array.from({ length: 5 }, () => sshString(byte(1))), sshString('')])));
    // a certificate of another type than the outer name, and one for another key
    const edCert = certAdds[0] as Extract<Request, { type: 'add' }>;
    expectProtocolError(() => decodeRequest(body(encodeRequest({ ...edCert, certificate: certificate(p256) }))));
    const other = fromKeyObject(generateKeyPairSync('ed25519').privateKey);
    expectProtocolError(() => decodeRequest(body(encodeRequest({ ...edCert, material: other }))));
    // destination hop with a non-empty reserved field
    const hop = sshString(Buffer.concat([sshString(''), sshString('h'), sshString('x')]));
    const dest = Buffer.concat([byte(255), sshString('restrict-destination-v00@openssh.com'), sshString(sshString(Buffer.concat([hop, hop, sshString('')])))]);
    expectProtocolError(() => decodeConstraints(dest));
    expectProtocolError(() => decodeConstraints(Buffer.concat([byte(1), byte(0)])));
  });

  it('throws nothing but ProtocolError for random and mutated bytes (seeded)', () => {
    const rand = mulberry32(0x4b6579);
    const samples = [...REQUESTS.map((r) => body(encodeRequest(r))), ...REPLIES.map((r) => body(encodeReply(r)))];
    for (let i = 0; i < 4000; i++) {
      const base = Buffer.from(samples[Math.floor(rand() * samples.length)]!);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) base[Math.floor(rand() * base.length)] = Math.floor(rand() * 256);
      for (const decode of [decodeRequest, decodeReply]) {
        try {
          decode(base);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw new Error(`seed case ${i}: ${(e as Error).name}: ${(e as Error).message} for ${base.toString('hex')}`);
        }
      }
    }
    for (let i = 0; i < 2000; i++) {
      const noise = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
      noise[0] = [11, 12, 13, 14, 17, 25, 26, 27, 29][i % 9]!;
      for (const decode of [decodeRequest, decodeReply]) {
        try {
          decode(noise);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
        }
      }
    }
  });
});

describe('FrameDecoder', () => {
  const stream = Buffer.concat([...REQUESTS.slice(0, 12).map(encodeRequest), ...REPLIES.map(encodeReply)]);
  const expected = [...REQUESTS.slice(0, 12).map(encodeRequest), ...REPLIES.map(encodeReply)].map(body);

  it('gives the same frames however the stream is split in two', () => {
    for (let at = 0; at <= stream.length; at++) {
      const d = new FrameDecoder();
      const got = [...d.push(stream.subarray(0, at)), ...d.push(stream.subarray(at))];
      expect(got.length).toBe(expected.length);
      expect(got.every((f, i) => f.equals(expected[i]!))).toBe(true);
      expect(d.pending).toBe(0);
    }
  });

  it('reads byte by byte, and many frames from one chunk', () => {
    const d = new FrameDecoder();
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
    expect(got).toEqual(expected);
    const many = Buffer.concat(Array.from({ length: 5000 }, (_, i) => frame(11 + (i % 3))));
    expect(new FrameDecoder().push(many)).toHaveLength(5000);
  });

  it('a frame of exactly 256 KiB trickled byte by byte arrives whole, without quadratic copying', () => {
    const big = Buffer.concat([u32(MAX_FRAME), byte(99), randomBytes(MAX_FRAME - 1)]);
    const d = new FrameDecoder();
    const started = performance.now();
    const got: Buffer[] = [];
    for (let i = 0; i < big.length; i++) got.push(...d.push(big.subarray(i, i + 1)));
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(big.subarray(4))).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses length 0 and lengths over 256 KiB, even after good frames in the same chunk', () => {
    expect(() => new FrameDecoder().push(u32(0))).toThrow(ProtocolError);
    expect(() => new FrameDecoder().push(u32(MAX_FRAME + 1))).toThrow(ProtocolError);
    expect(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xff, 11]))).toThrow(ProtocolError);
    expect(() => new FrameDecoder().push(Buffer.concat([frame(11), u32(0)]))).toThrow(ProtocolError);
    const d = new FrameDecoder();
    d.push(Buffer.from([0, 4]));
    expect(() => d.push(Buffer.from([0, 1]))).toThrow(ProtocolError);
    expect(() => frame(99, Buffer.alloc(MAX_FRAME))).toThrow(ProtocolError);
    expect(frame(99, Buffer.alloc(MAX_FRAME - 1)).length).toBe(MAX_FRAME + 4);
  });
});

describe(`bytes captured from ${capture.openssh}`, () => {
  const requests = capture.frames.filter((f) => f.direction === 'request');
  const replies = capture.frames.filter((f) => f.direction === 'reply');
  const decodedRequests = requests.map((f) => ({ label: f.label, req: decodeRequest(body(Buffer.from(f.hex, 'hex'))) }));

  it.each(capture.frames.map((f, i) => [i, f.direction, f.label, f] as const))('#%i %s of "%s" decodes and re-encodes to the same bytes', (_i, _dir, _label, f) => {
    const bytes = Buffer.from(f.hex, 'hex');
    const again = f.direction === 'request' ? encodeRequest(decodeRequest(body(bytes))) : encodeReply(decodeReply(body(bytes)));
    expect(again.toString('hex')).toBe(f.hex);
  });

  it('covers every message OpenSSH’s tools send, each constraint, certificate layout and sign flag', () => {
    const types = new Set(decodedRequests.map((d) => d.req.type));
    for (const t of ['request-identities', 'sign', 'add', 'remove', 'remove-all', 'lock', 'unlock', 'add-smartcard', 'remove-smartcard', 'session-bind', 'legacy', 'query']) expect(types).toContain(t);
    const adds = decodedRequests.flatMap((d) => (d.req.type === 'add' ? [d.req] : []));
    expect(new Set(adds.map((a) => a.keyType))).toEqual(
      new Set(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa', 'ssh-ed25519-cert-v01@openssh.com', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com']),
    );
    expect(new Set(adds.flatMap((a) => (a.constraints ?? []).map((c) => c.kind)))).toEqual(new Set(['lifetime', 'confirm', 'restrict-destination']));
    expect(new Set(decodedRequests.flatMap((d) => (d.req.type === 'sign' ? [d.req.flags] : [])))).toEqual(new Set([0, 2, 4]));
    const dest = adds.flatMap((a) => a.constraints ?? []).find((c) => c.kind === 'restrict-destination');
    if (dest?.kind !== 'restrict-destination') throw new Error('no destination constraint captured');
    expect(dest.constraints.map((c) => [c.from.hostname, c.to.user, c.to.hostname, c.to.keys.map((k) => k.isCa)])).toEqual([
      ['', 'git', 'server.example', [false, false]],
      ['server.example', 'deploy', 'inner.example.org', [true]],
    ]);
  });

  it('reads key fields right: every added key checks out, certificates certify it, and the agent lists exactly those blobs', () => {
    const added = new Set<string>();
    for (const { req } of decodedRequests) {
      if (req.type !== 'add') continue;
      checkConsistency(req.material);
      if (req.certificate) expect(describePublicBlob(req.certificate).certifiedKeyBlob!.equals(publicBlob(req.material))).toBe(true);
      added.add((req.certificate ?? publicBlob(req.material)).toString('hex'));
    }
    const listed = new Set(
      replies.flatMap((f) => {
        const r = decodeReply(body(Buffer.from(f.hex, 'hex')));
        return r.type === 'identities' ? r.identities.map((i) => i.blob.toString('hex')) : [];
      }),
    );
    expect(listed.size).toBeGreaterThan(5);
    for (const blob of listed) expect(added.has(blob)).toBe(true);
  });

  it('refuses or exactly re-reads every prefix of every captured frame', () => {
    for (const f of capture.frames) {
      const b = body(Buffer.from(f.hex, 'hex'));
      const check = f.direction === 'request' ? checkRequest : checkReply;
      for (let cut = 0; cut < b.length; cut++) check(b.subarray(0, cut));
    }
  });

  it('splits each connection’s captured stream fed byte by byte', () => {
    for (const direction of ['request', 'reply'] as const) {
      const frames = capture.frames.filter((f) => f.direction === direction).map((f) => Buffer.from(f.hex, 'hex'));
      const stream = Buffer.concat(frames);
      const d = new FrameDecoder();
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
      expect(got.map((g) => g.toString('hex'))).toEqual(frames.map((f) => body(f).toString('hex')));
    }
  });
});
