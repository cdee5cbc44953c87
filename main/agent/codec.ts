import { WireError, WireReader, sshString, u32 } from '../keys/wire';

// The agent protocol as a client speaks it (SPEC-agent.md §1): framing, every request a
// client sends, every reply it can get. Requests are built from typed values; replies are
// parsed strictly (bad lengths, trailing bytes → ProtocolError, never a crash).
// KeyDock's own agent parses requests in main/agent/server/protocol.ts.

export const MSG = {
  FAILURE: 5,
  SUCCESS: 6,
  REQUEST_IDENTITIES: 11,
  IDENTITIES_ANSWER: 12,
  SIGN_REQUEST: 13,
  SIGN_RESPONSE: 14,
  ADD_IDENTITY: 17,
  REMOVE_IDENTITY: 18,
  REMOVE_ALL_IDENTITIES: 19,
  LOCK: 22,
  UNLOCK: 23,
  ADD_ID_CONSTRAINED: 25,
  EXTENSION: 27,
  EXTENSION_FAILURE: 28,
  EXTENSION_RESPONSE: 29,
} as const;

/** Replies every client must read as "no" (OpenSSH also counts 30 and 102). */
export const FAILURE_CODES: ReadonlySet<number> = new Set([5, 28, 30, 102]);

export const MAX_FRAME = 256 * 1024;
/** The OpenSSH client refuses longer identity lists; so do we. */
export const MAX_IDENTITIES = 2048;

export const SIGN_FLAGS = { RSA_SHA2_256: 0x02, RSA_SHA2_512: 0x04 } as const;

export const CONSTRAIN = { LIFETIME: 1, CONFIRM: 2, EXTENSION: 255 } as const;

/** Malformed bytes from the peer; the connection cannot be trusted afterwards. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** One hop of a destination constraint (`ssh-add -h`): user, host, and its host keys. */
export interface DestinationHop {
  user: string;
  hostname: string;
  keys: Array<{ blob: Buffer; isCa: boolean }>;
}

export type Constraint =
  | { kind: 'lifetime'; seconds: number }
  | { kind: 'confirm' }
  | { kind: 'restrict-destination'; constraints: Array<{ from: DestinationHop; to: DestinationHop }> }
  | { kind: 'associated-certs'; certsOnly: boolean; certs: Buffer[] }
  | { kind: 'extension'; name: string; data: Buffer };

export interface ListedIdentity {
  blob: Buffer;
  comment: string;
}

export type Reply =
  | { type: 'success' }
  | { type: 'failure'; code: number }
  | { type: 'identities'; identities: ListedIdentity[] }
  | { type: 'signature'; signature: Buffer }
  | { type: 'extension'; name: string; data: Buffer }
  | { type: 'success-with-data'; data: Buffer };

/** `uint32 len, byte type, body`: one message on the wire. */
export function frame(type: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from([type]), ...parts]);
  if (body.length > MAX_FRAME) throw new ProtocolError(`message of ${body.length} bytes is over the 256 KiB agent limit`);
  return Buffer.concat([u32(body.length), body]);
}

const bool = (v: boolean) => Buffer.from([v ? 1 : 0]);

function encodeHop(hop: DestinationHop): Buffer {
  return sshString(
    Buffer.concat([sshString(hop.user), sshString(hop.hostname), sshString(Buffer.alloc(0)), ...hop.keys.map((k) => Buffer.concat([sshString(k.blob), bool(k.isCa)]))]),
  );
}

/** Constraint bytes appended to ADD_ID_CONSTRAINED, in the nested layout OpenSSH uses. */
export function encodeConstraints(constraints: Constraint[]): Buffer {
  return Buffer.concat(
    constraints.map((c) => {
      switch (c.kind) {
        case 'lifetime':
          return Buffer.concat([Buffer.from([CONSTRAIN.LIFETIME]), u32(c.seconds)]);
        case 'confirm':
          return Buffer.from([CONSTRAIN.CONFIRM]);
        case 'restrict-destination': {
          const list = Buffer.concat(c.constraints.map((d) => sshString(Buffer.concat([encodeHop(d.from), encodeHop(d.to), sshString(Buffer.alloc(0))]))));
          return Buffer.concat([Buffer.from([CONSTRAIN.EXTENSION]), sshString('restrict-destination-v00@openssh.com'), sshString(list)]);
        }
        case 'associated-certs':
          return Buffer.concat([
            Buffer.from([CONSTRAIN.EXTENSION]),
            sshString('associated-certs-v00@openssh.com'),
            bool(c.certsOnly),
            sshString(Buffer.concat(c.certs.map((x) => sshString(x)))),
          ]);
        case 'extension':
          return Buffer.concat([Buffer.from([CONSTRAIN.EXTENSION]), sshString(c.name), c.data]);
      }
    }),
  );
}

/** Decodes constraint bytes (the inverse of encodeConstraints; used by tests and fixtures). */
export function decodeConstraints(bytes: Buffer): Constraint[] {
  const r = new WireReader(bytes);
  const out: Constraint[] = [];
  try {
    while (r.remaining > 0) {
      const t = r.byte();
      if (t === CONSTRAIN.LIFETIME) out.push({ kind: 'lifetime', seconds: r.uint32() });
      else if (t === CONSTRAIN.CONFIRM) out.push({ kind: 'confirm' });
      else if (t === CONSTRAIN.EXTENSION) {
        const name = r.text();
        if (name === 'restrict-destination-v00@openssh.com') {
          const list = new WireReader(r.string());
          const constraints: Array<{ from: DestinationHop; to: DestinationHop }> = [];
          while (list.remaining > 0) {
            const one = new WireReader(list.string());
            const from = decodeHop(one.string());
            const to = decodeHop(one.string());
            if (one.string().length !== 0) throw new ProtocolError('reserved field of a destination constraint is not empty');
            one.end('destination constraint');
            constraints.push({ from, to });
          }
          out.push({ kind: 'restrict-destination', constraints });
        } else if (name === 'associated-certs-v00@openssh.com') {
          const certsOnly = r.byte() !== 0;
          const certsReader = new WireReader(r.string());
          const certs: Buffer[] = [];
          while (certsReader.remaining > 0) certs.push(certsReader.string());
          out.push({ kind: 'associated-certs', certsOnly, certs });
        } else {
          // Unknown extension constraints cannot be skipped: the rest is theirs.
          out.push({ kind: 'extension', name, data: r.rest() });
        }
      } else throw new ProtocolError(`unknown key constraint ${t}`);
    }
  } catch (e) {
    throw asProtocolError(e);
  }
  return out;
}

function decodeHop(bytes: Buffer): DestinationHop {
  const r = new WireReader(bytes);
  const user = r.text();
  const hostname = r.text();
  if (r.string().length !== 0) throw new ProtocolError('reserved field of a destination hop is not empty');
  const keys: DestinationHop['keys'] = [];
  while (r.remaining > 0) keys.push({ blob: r.string(), isCa: r.byte() !== 0 });
  return { user, hostname, keys };
}

export const encode = {
  requestIdentities: () => frame(MSG.REQUEST_IDENTITIES),
  sign: (blob: Buffer, data: Buffer, flags: number) => frame(MSG.SIGN_REQUEST, sshString(blob), sshString(data), u32(flags)),
  /** `agentFields` is `string type` + private fields (PrivateKey.agentFields). */
  add: (agentFields: Buffer, comment: string, constraints: Constraint[] = []) =>
    constraints.length
      ? frame(MSG.ADD_ID_CONSTRAINED, agentFields, sshString(comment), encodeConstraints(constraints))
      : frame(MSG.ADD_IDENTITY, agentFields, sshString(comment)),
  remove: (blob: Buffer) => frame(MSG.REMOVE_IDENTITY, sshString(blob)),
  removeAll: () => frame(MSG.REMOVE_ALL_IDENTITIES),
  lock: (passphrase: string) => frame(MSG.LOCK, sshString(passphrase)),
  unlock: (passphrase: string) => frame(MSG.UNLOCK, sshString(passphrase)),
  extension: (name: string, data: Buffer = Buffer.alloc(0)) => frame(MSG.EXTENSION, sshString(name), data),
  sessionBind: (hostKey: Buffer, sessionId: Buffer, signature: Buffer, isForwarding: boolean) =>
    frame(MSG.EXTENSION, sshString('session-bind@openssh.com'), sshString(hostKey), sshString(sessionId), sshString(signature), bool(isForwarding)),
};

function asProtocolError(e: unknown): ProtocolError {
  if (e instanceof ProtocolError) return e;
  if (e instanceof WireError) return new ProtocolError(e.message);
  return new ProtocolError(String(e));
}

/** Parses one reply body (type byte + rest) strictly. */
export function decodeReply(body: Buffer): Reply {
  if (body.length === 0) throw new ProtocolError('empty reply');
  const type = body[0] as number;
  const r = new WireReader(body.subarray(1));
  try {
    switch (type) {
      case MSG.SUCCESS:
        // Pageant answers `query` with SUCCESS followed by names.
        return r.remaining === 0 ? { type: 'success' } : { type: 'success-with-data', data: r.rest() };
      case MSG.IDENTITIES_ANSWER: {
        const n = r.uint32();
        if (n > MAX_IDENTITIES) throw new ProtocolError(`the agent listed ${n} keys; more than ${MAX_IDENTITIES} is refused`);
        const identities: ListedIdentity[] = [];
        for (let i = 0; i < n; i++) identities.push({ blob: Buffer.from(r.string()), comment: r.text() });
        r.end('identities answer');
        return { type: 'identities', identities };
      }
      case MSG.SIGN_RESPONSE: {
        const signature = Buffer.from(r.string());
        r.end('sign response');
        return { type: 'signature', signature };
      }
      case MSG.EXTENSION_RESPONSE:
        return { type: 'extension', name: r.text(), data: Buffer.from(r.rest()) };
      default:
        if (FAILURE_CODES.has(type)) return { type: 'failure', code: type };
        throw new ProtocolError(`unexpected reply type ${type}`);
    }
  } catch (e) {
    throw asProtocolError(e);
  }
}

/** A list of `string`s to the end of the data (query's extension names). */
export function decodeStringList(data: Buffer): string[] {
  const r = new WireReader(data);
  const out: string[] = [];
  try {
    while (r.remaining > 0) out.push(r.text());
  } catch (e) {
    throw asProtocolError(e);
  }
  return out;
}

/** The algorithm name and bytes inside a SIGN_RESPONSE signature. */
export function decodeSignature(signature: Buffer): { algorithm: string; bytes: Buffer } {
  const r = new WireReader(signature);
  try {
    const algorithm = r.text();
    const bytes = Buffer.from(r.string());
    r.end('signature');
    return { algorithm, bytes };
  } catch (e) {
    throw asProtocolError(e);
  }
}

/**
 * Cuts a byte stream into message bodies. Holds at most one partial frame; a length of 0 or
 * over 256 KiB is a ProtocolError (the peer is not speaking the protocol).
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    let off = 0;
    while (this.buf.length - off >= 4) {
      const len = this.buf.readUInt32BE(off);
      if (len === 0) throw new ProtocolError('a message of length 0');
      if (len > MAX_FRAME) throw new ProtocolError(`a message of ${len} bytes, over the 256 KiB limit`);
      if (this.buf.length - off - 4 < len) break;
      out.push(Buffer.from(this.buf.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    this.buf = off ? Buffer.from(this.buf.subarray(off)) : this.buf;
    return out;
  }

  get pending(): number {
    return this.buf.length;
  }
}
