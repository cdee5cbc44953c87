import { KeyDockError } from '../util/errors';
import { CERT_SUFFIX } from '../keys/format';
import { certificatePrivateFields, privateFields, readCertificatePrivateFields, readPrivateFields, type KeyMaterial } from '../keys/material';
import { WireError, WireReader, sshString, u32 } from '../keys/wire';

// The agent protocol in both directions (docs/agent-protocol.md §1): framing, every request and every
// reply, as typed values. KeyDock's client and KeyDock's own agent share it, so the two can
// never disagree about the bytes. Everything read from a peer is parsed strictly (truncation,
// bad lengths, trailing bytes → ProtocolError, never a crash); every decoder has an encoder
// that gives the same bytes back.

export const MSG = {
  REMOVE_ALL_RSA_IDENTITIES: 9,
  FAILURE: 5,
  SUCCESS: 6,
  REQUEST_IDENTITIES: 11,
  IDENTITIES_ANSWER: 12,
  SIGN_REQUEST: 13,
  SIGN_RESPONSE: 14,
  ADD_IDENTITY: 17,
  REMOVE_IDENTITY: 18,
  REMOVE_ALL_IDENTITIES: 19,
  ADD_SMARTCARD_KEY: 20,
  REMOVE_SMARTCARD_KEY: 21,
  LOCK: 22,
  UNLOCK: 23,
  ADD_ID_CONSTRAINED: 25,
  ADD_SMARTCARD_KEY_CONSTRAINED: 26,
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

/** SSH-1 message numbers (docs/agent-protocol.md §1.2): nobody should send them, but OpenSSH still answers 9. */
const LEGACY_CODES: ReadonlySet<number> = new Set([1, 2, 3, 4, 7, 8, 9, 10, 15, 16, 24]);

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
  | { kind: 'sk-provider'; provider: string }
  /** An extension constraint nobody here knows: its data runs to the end of the message. */
  | { kind: 'extension'; name: string; data: Buffer }
  /** A constraint type nobody here knows (e.g. 3, MAXSIGN): its bytes cannot be delimited either. */
  | { kind: 'unknown'; type: number; data: Buffer };

/**
 * A request as an agent receives it. Parts that cannot be delimited without understanding them
 * (an unknown key type's fields, an unknown extension's data) are kept as raw bytes, so every
 * request is representable and re-encodes to the same bytes.
 */
export type Request =
  | { type: 'request-identities' }
  | { type: 'sign'; blob: Buffer; data: Buffer; flags: number }
  /** `constraints` null = plain ADD_IDENTITY (17); an array = ADD_ID_CONSTRAINED (25). `certificate` set for `*-cert-v01@openssh.com`. */
  | { type: 'add'; keyType: string; material: KeyMaterial; certificate: Buffer | null; comment: string; constraints: Constraint[] | null }
  /** A key type this codec cannot parse: its fields, comment and constraints stay raw in `rest`. */
  | { type: 'add-unsupported'; keyType: string; constrained: boolean; rest: Buffer }
  | { type: 'remove'; blob: Buffer }
  | { type: 'remove-all' }
  | { type: 'lock'; passphrase: Buffer }
  | { type: 'unlock'; passphrase: Buffer }
  | { type: 'add-smartcard'; tokenId: string; pin: Buffer; constraints: Constraint[] | null }
  | { type: 'remove-smartcard'; tokenId: string; pin: Buffer }
  | { type: 'query' }
  | { type: 'session-bind'; hostKey: Buffer; sessionId: Buffer; signature: Buffer; isForwarding: boolean }
  | { type: 'extension'; name: string; data: Buffer }
  | { type: 'legacy'; code: number; body: Buffer }
  | { type: 'unknown'; code: number; body: Buffer };

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
const EMPTY = Buffer.alloc(0);

const DESTINATION_CONSTRAINT = 'restrict-destination-v00@openssh.com';
const ASSOCIATED_CERTS_CONSTRAINT = 'associated-certs-v00@openssh.com';
const SK_PROVIDER_CONSTRAINT = 'sk-provider@openssh.com';
const SESSION_BIND = 'session-bind@openssh.com';

/** Key types whose ADD fields this codec can delimit (keys/material.ts reads them); others stay raw. */
const PLAIN_KEY_TYPES = ['ssh-ed25519', 'ssh-ed448', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa', 'ssh-dss'];
/** FIDO keys: their certificate names drop `@openssh.com` before the suffix (keys/public-blob.ts plainTypeOf). */
const SK_KEY_TYPES = ['sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ssh-ed25519-cert-v01@openssh.com', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com'];
const PARSEABLE_KEY_TYPES: ReadonlySet<string> = new Set([...PLAIN_KEY_TYPES, ...PLAIN_KEY_TYPES.map((t) => `${t}${CERT_SUFFIX}`), ...SK_KEY_TYPES]);

/** Turns whatever a parser threw into the one error peers' bytes may cause. */
function asProtocolError(e: unknown): ProtocolError {
  if (e instanceof ProtocolError) return e;
  if (e instanceof WireError || e instanceof KeyDockError) return new ProtocolError(e.message);
  return new ProtocolError(e instanceof Error ? e.message : String(e));
}

function guarded<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw asProtocolError(e);
  }
}

// ---- constraints (docs/agent-protocol.md §1.5) ----

function encodeHop(hop: DestinationHop): Buffer {
  return sshString(
    Buffer.concat([sshString(hop.user), sshString(hop.hostname), sshString(EMPTY), ...hop.keys.map((k) => Buffer.concat([sshString(k.blob), bool(k.isCa)]))]),
  );
}

function extensionConstraint(name: string, ...data: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([CONSTRAIN.EXTENSION]), sshString(name), ...data]);
}

function encodeConstraint(c: Constraint): Buffer {
  switch (c.kind) {
    case 'lifetime':
      return Buffer.concat([Buffer.from([CONSTRAIN.LIFETIME]), u32(c.seconds)]);
    case 'confirm':
      return Buffer.from([CONSTRAIN.CONFIRM]);
    case 'restrict-destination': {
      const list = c.constraints.map((d) => sshString(Buffer.concat([encodeHop(d.from), encodeHop(d.to), sshString(EMPTY)])));
      return extensionConstraint(DESTINATION_CONSTRAINT, sshString(Buffer.concat(list)));
    }
    case 'associated-certs':
      return extensionConstraint(ASSOCIATED_CERTS_CONSTRAINT, bool(c.certsOnly), sshString(Buffer.concat(c.certs.map((x) => sshString(x)))));
    case 'sk-provider':
      return extensionConstraint(SK_PROVIDER_CONSTRAINT, sshString(c.provider));
    case 'extension':
      return extensionConstraint(c.name, c.data);
    case 'unknown':
      return Buffer.concat([Buffer.from([c.type]), c.data]);
  }
}

/** Constraint bytes appended to ADD_ID_CONSTRAINED, in the nested layout OpenSSH uses. */
export function encodeConstraints(constraints: Constraint[]): Buffer {
  return Buffer.concat(constraints.map(encodeConstraint));
}

/** Decodes constraint bytes (the inverse of encodeConstraints). */
export function decodeConstraints(bytes: Buffer): Constraint[] {
  return guarded(() => readConstraints(new WireReader(bytes)));
}

function readConstraints(r: WireReader): Constraint[] {
  const out: Constraint[] = [];
  while (r.remaining > 0) out.push(readConstraint(r));
  return out;
}

function readConstraint(r: WireReader): Constraint {
  const type = r.byte();
  switch (type) {
    case CONSTRAIN.LIFETIME:
      return { kind: 'lifetime', seconds: r.uint32() };
    case CONSTRAIN.CONFIRM:
      return { kind: 'confirm' };
    case CONSTRAIN.EXTENSION:
      return readExtensionConstraint(r);
    default:
      // Its length is unknown, so everything after the type byte may be its data.
      return { kind: 'unknown', type, data: r.rest() };
  }
}

function readExtensionConstraint(r: WireReader): Constraint {
  const name = r.text();
  switch (name) {
    case DESTINATION_CONSTRAINT:
      return { kind: 'restrict-destination', constraints: readDestinations(r.string()) };
    case ASSOCIATED_CERTS_CONSTRAINT: {
      const certsOnly = r.byte() !== 0;
      return { kind: 'associated-certs', certsOnly, certs: readStrings(r.string()) };
    }
    case SK_PROVIDER_CONSTRAINT:
      return { kind: 'sk-provider', provider: r.text() };
    default:
      // Unknown extension constraints cannot be skipped: the rest is theirs.
      return { kind: 'extension', name, data: r.rest() };
  }
}

function readDestinations(bytes: Buffer): Array<{ from: DestinationHop; to: DestinationHop }> {
  const list = new WireReader(bytes);
  const out: Array<{ from: DestinationHop; to: DestinationHop }> = [];
  while (list.remaining > 0) {
    const one = new WireReader(list.string());
    const from = readHop(one.string());
    const to = readHop(one.string());
    if (one.string().length !== 0) throw new ProtocolError('reserved field of a destination constraint is not empty');
    one.end('destination constraint');
    out.push({ from, to });
  }
  return out;
}

function readHop(bytes: Buffer): DestinationHop {
  const r = new WireReader(bytes);
  const user = r.text();
  const hostname = r.text();
  if (r.string().length !== 0) throw new ProtocolError('reserved field of a destination hop is not empty');
  const keys: DestinationHop['keys'] = [];
  while (r.remaining > 0) keys.push({ blob: r.string(), isCa: r.byte() !== 0 });
  return { user, hostname, keys };
}

function readStrings(bytes: Buffer): Buffer[] {
  const r = new WireReader(bytes);
  const out: Buffer[] = [];
  while (r.remaining > 0) out.push(r.string());
  return out;
}

// ---- requests ----

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
  lock: (passphrase: string | Buffer) => frame(MSG.LOCK, sshString(passphrase)),
  unlock: (passphrase: string | Buffer) => frame(MSG.UNLOCK, sshString(passphrase)),
  extension: (name: string, data: Buffer = EMPTY) => frame(MSG.EXTENSION, sshString(name), data),
  sessionBind: (hostKey: Buffer, sessionId: Buffer, signature: Buffer, isForwarding: boolean) =>
    frame(MSG.EXTENSION, sshString(SESSION_BIND), sshString(hostKey), sshString(sessionId), sshString(signature), bool(isForwarding)),
};

/** `string type` + private fields (docs/agent-protocol.md §1.4): the ADD body without comment, like PrivateKey.agentFields. */
export function encodeKeyFields(keyType: string, material: KeyMaterial, certificate: Buffer | null): Buffer {
  return Buffer.concat([sshString(keyType), certificate ? certificatePrivateFields(material, certificate) : privateFields(material)]);
}

/** The frame for a request: the inverse of decodeRequest. */
export function encodeRequest(req: Request): Buffer {
  switch (req.type) {
    case 'request-identities':
      return encode.requestIdentities();
    case 'sign':
      return encode.sign(req.blob, req.data, req.flags);
    case 'add': {
      const fields = encodeKeyFields(req.keyType, req.material, req.certificate);
      const code = req.constraints ? MSG.ADD_ID_CONSTRAINED : MSG.ADD_IDENTITY;
      return frame(code, fields, sshString(req.comment), encodeConstraints(req.constraints ?? []));
    }
    case 'add-unsupported':
      return frame(req.constrained ? MSG.ADD_ID_CONSTRAINED : MSG.ADD_IDENTITY, sshString(req.keyType), req.rest);
    case 'remove':
      return encode.remove(req.blob);
    case 'remove-all':
      return encode.removeAll();
    case 'lock':
      return encode.lock(req.passphrase);
    case 'unlock':
      return encode.unlock(req.passphrase);
    case 'add-smartcard': {
      const code = req.constraints ? MSG.ADD_SMARTCARD_KEY_CONSTRAINED : MSG.ADD_SMARTCARD_KEY;
      return frame(code, sshString(req.tokenId), sshString(req.pin), encodeConstraints(req.constraints ?? []));
    }
    case 'remove-smartcard':
      return frame(MSG.REMOVE_SMARTCARD_KEY, sshString(req.tokenId), sshString(req.pin));
    case 'query':
      return encode.extension('query');
    case 'session-bind':
      return encode.sessionBind(req.hostKey, req.sessionId, req.signature, req.isForwarding);
    case 'extension':
      return encode.extension(req.name, req.data);
    case 'legacy':
    case 'unknown':
      return frame(req.code, req.body);
  }
}

/**
 * Parses one request body (type byte + rest) strictly. Buffers in the result share memory with
 * `body`. An unknown message type or key type is a value, not an error: the agent answers it.
 */
export function decodeRequest(body: Buffer): Request {
  if (body.length === 0) throw new ProtocolError('empty request');
  const code = body[0] as number;
  const r = new WireReader(body.subarray(1));
  return guarded(() => {
    const req = readRequest(code, r);
    r.end(`request ${code}`);
    return req;
  });
}

function readRequest(code: number, r: WireReader): Request {
  switch (code) {
    case MSG.REQUEST_IDENTITIES:
      return { type: 'request-identities' };
    case MSG.SIGN_REQUEST:
      return { type: 'sign', blob: r.string(), data: r.string(), flags: r.uint32() };
    case MSG.ADD_IDENTITY:
    case MSG.ADD_ID_CONSTRAINED:
      return readAdd(r, code === MSG.ADD_ID_CONSTRAINED);
    case MSG.REMOVE_IDENTITY:
      return { type: 'remove', blob: r.string() };
    case MSG.REMOVE_ALL_IDENTITIES:
      return { type: 'remove-all' };
    case MSG.LOCK:
      return { type: 'lock', passphrase: r.string() };
    case MSG.UNLOCK:
      return { type: 'unlock', passphrase: r.string() };
    case MSG.ADD_SMARTCARD_KEY:
    case MSG.ADD_SMARTCARD_KEY_CONSTRAINED: {
      const tokenId = r.text();
      const pin = r.string();
      return { type: 'add-smartcard', tokenId, pin, constraints: code === MSG.ADD_SMARTCARD_KEY_CONSTRAINED ? readConstraints(r) : null };
    }
    case MSG.REMOVE_SMARTCARD_KEY:
      return { type: 'remove-smartcard', tokenId: r.text(), pin: r.string() };
    case MSG.EXTENSION:
      return readExtension(r);
    default:
      if (LEGACY_CODES.has(code)) return { type: 'legacy', code, body: r.rest() };
      return { type: 'unknown', code, body: r.rest() };
  }
}

function readAdd(r: WireReader, constrained: boolean): Request {
  const keyType = r.text();
  // Fields of a type we cannot parse have no known end, so comment and constraints stay raw too.
  if (!PARSEABLE_KEY_TYPES.has(keyType)) return { type: 'add-unsupported', keyType, constrained, rest: r.rest() };
  const { material, certificate } = keyType.endsWith(CERT_SUFFIX) ? readCertificatePrivateFields(keyType, r) : { material: readPrivateFields(keyType, r), certificate: null };
  const comment = r.text();
  return { type: 'add', keyType, material, certificate, comment, constraints: constrained ? readConstraints(r) : null };
}

function readExtension(r: WireReader): Request {
  const name = r.text();
  if (name === 'query') return { type: 'query' };
  if (name === SESSION_BIND) return { type: 'session-bind', hostKey: r.string(), sessionId: r.string(), signature: r.string(), isForwarding: r.byte() !== 0 };
  return { type: 'extension', name, data: r.rest() };
}

// ---- replies ----

/** The frame for a reply: the inverse of decodeReply. Refuses what no client would accept. */
export function encodeReply(reply: Reply): Buffer {
  switch (reply.type) {
    case 'success':
      return frame(MSG.SUCCESS);
    case 'success-with-data':
      return frame(MSG.SUCCESS, reply.data);
    case 'failure':
      if (!FAILURE_CODES.has(reply.code)) throw new ProtocolError(`${reply.code} is not a failure reply`);
      return frame(reply.code);
    case 'identities': {
      const n = reply.identities.length;
      if (n > MAX_IDENTITIES) throw new ProtocolError(`${n} keys is more than the ${MAX_IDENTITIES} a client accepts`);
      return frame(MSG.IDENTITIES_ANSWER, u32(n), ...reply.identities.flatMap((i) => [sshString(i.blob), sshString(i.comment)]));
    }
    case 'signature':
      return frame(MSG.SIGN_RESPONSE, sshString(reply.signature));
    case 'extension':
      return frame(MSG.EXTENSION_RESPONSE, sshString(reply.name), reply.data);
  }
}

/** Parses one reply body (type byte + rest) strictly. */
export function decodeReply(body: Buffer): Reply {
  if (body.length === 0) throw new ProtocolError('empty reply');
  const type = body[0] as number;
  const r = new WireReader(body.subarray(1));
  return guarded(() => readReply(type, r));
}

function readReply(type: number, r: WireReader): Reply {
  switch (type) {
    case MSG.SUCCESS:
      // Pageant answers `query` with SUCCESS followed by names.
      return r.remaining === 0 ? { type: 'success' } : { type: 'success-with-data', data: Buffer.from(r.rest()) };
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
      if (!FAILURE_CODES.has(type)) throw new ProtocolError(`unexpected reply type ${type}`);
      // A failure carries nothing; bytes after it mean the stream is not what we think it is.
      r.end(`failure reply ${type}`);
      return { type: 'failure', code: type };
  }
}

/** A list of `string`s to the end of the data (query's extension names). */
export function decodeStringList(data: Buffer): string[] {
  return guarded(() => readStrings(data).map((b) => b.toString('utf8')));
}

/** The algorithm name and bytes inside a SIGN_RESPONSE signature. */
export function decodeSignature(signature: Buffer): { algorithm: string; bytes: Buffer } {
  const r = new WireReader(signature);
  return guarded(() => {
    const algorithm = r.text();
    const bytes = Buffer.from(r.string());
    r.end('signature');
    return { algorithm, bytes };
  });
}

// ---- framing ----

/**
 * Cuts a byte stream into message bodies. A length of 0 or over 256 KiB is a ProtocolError
 * (the peer is not speaking the protocol). Chunks are kept as a list and joined only once a
 * whole frame is there, so a peer trickling a large frame byte by byte costs linear, not
 * quadratic, copying; at most one partial frame is held.
 *
 * With `wipe` (the agent's side, where ADD_IDENTITY carries private keys and LOCK a
 * passphrase) every input byte is zeroed once it has been copied into a frame or a joined
 * chunk, and frames are copied into unpooled buffers, so the only copy left is the frame the
 * caller owns and can wipe itself.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed: ProtocolError | null = null;
  private readonly wipe: boolean;

  constructor(options: { wipe?: boolean } = {}) {
    this.wipe = options.wipe ?? false;
  }

  /** The complete frames in the stream so far; throws ProtocolError at a bad length (frames before it in the same chunk are lost: use pushUntilError to keep them). */
  push(chunk: Buffer): Buffer[] {
    const { frames, error } = this.pushUntilError(chunk);
    if (error) throw error;
    return frames;
  }

  /**
   * Like push, but a bad length ends decoding instead of throwing: the complete frames that came
   * before it are returned along with the error, so a server can answer them first and then
   * close. Once failed, every later call returns no frames and the error.
   */
  pushUntilError(chunk: Buffer): { frames: Buffer[]; error: ProtocolError | null } {
    if (this.failed) return { frames: [], error: this.failed };
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Buffer[] = [];
    while (this.buffered >= 4) {
      const len = this.peekLength();
      if (len === 0 || len > MAX_FRAME) {
        this.failed = new ProtocolError(len === 0 ? 'a message of length 0' : `a message of ${len} bytes, over the 256 KiB limit`);
        this.discard();
        return { frames: out, error: this.failed };
      }
      if (this.buffered - 4 < len) break;
      out.push(this.take(4 + len).subarray(4));
    }
    return { frames: out, error: null };
  }

  get pending(): number {
    return this.buffered;
  }

  private peekLength(): number {
    if ((this.chunks[0] as Buffer).length < 4) this.coalesce(4);
    return (this.chunks[0] as Buffer).readUInt32BE(0);
  }

  /** Joins leading chunks until the first holds at least n bytes. */
  private coalesce(n: number): void {
    let count = 0;
    let size = 0;
    while (size < n) size += (this.chunks[count++] as Buffer).length;
    const joined = Buffer.concat(this.chunks.slice(0, count), size);
    if (this.wipe) for (const c of this.chunks.slice(0, count)) c.fill(0);
    this.chunks.splice(0, count, joined);
  }

  /** Removes n bytes from the front as a private copy (never a view that pins a big chunk). */
  private take(n: number): Buffer {
    if ((this.chunks[0] as Buffer).length < n) this.coalesce(n);
    const first = this.chunks[0] as Buffer;
    let piece: Buffer;
    if (this.wipe) {
      // Buffer.from(view) copies small pieces into Node's shared 8 KiB pool; a slow buffer is ours alone.
      piece = Buffer.allocUnsafeSlow(n);
      first.copy(piece, 0, 0, n);
      first.fill(0, 0, n);
    } else {
      piece = Buffer.from(first.subarray(0, n));
    }
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return piece;
  }

  /** Drops (and with wipe, zeroes) whatever is buffered after a protocol error. */
  private discard(): void {
    if (this.wipe) for (const c of this.chunks) c.fill(0);
    this.chunks = [];
    this.buffered = 0;
  }
}
