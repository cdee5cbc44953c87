import type { DestinationConstraint, DestinationHop } from './keystore';
import { readPrivateFields } from './private-fields';
import type { EngineConstraint, EngineReply, EngineRequest } from './requests';
import { ParseError, Reader, encodeString } from './ssh-bytes';

/** OpenSSH's AGENT_MAX_LEN: bigger frames close the connection (SPEC §1.1). */
export const MAX_FRAME = 256 * 1024;
const MAX_DEST_CONSTRAINTS = 1024;

/**
 * Cuts a byte stream into request bodies (`uint32 len, byte type, …`). Returns null once a
 * frame is malformed (len 0 or over the limit): the connection must then be closed.
 * Holds at most one partial frame, so memory per connection is bounded.
 */
export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);

  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): Buffer[] | null {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    let off = 0;
    while (this.buf.length - off >= 4) {
      const len = this.buf.readUInt32BE(off);
      if (len === 0 || len > MAX_FRAME) return null;
      if (this.buf.length - off - 4 < len) break;
      out.push(Buffer.from(this.buf.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    this.buf = off === 0 ? this.buf : Buffer.from(this.buf.subarray(off));
    return out;
  }
}

/** Decodes one request body; null for a malformed one (answered FAILURE, connection kept). */
export function decodeEngineRequest(body: Buffer): EngineRequest | null {
  try {
    const r = new Reader(body);
    const type = r.byte();
    const req = decodeBody(type, r);
    r.end();
    return req;
  } catch (e) {
    if (e instanceof ParseError) return null;
    throw e;
  }
}

function decodeBody(type: number, r: Reader): EngineRequest {
  switch (type) {
    case 11:
      return { kind: 'list' };
    case 13:
      return { kind: 'sign', keyBlob: r.string(), data: r.string(), flags: r.uint32() };
    case 17:
    case 25: {
      const keyType = r.text();
      let key: Extract<EngineRequest, { kind: 'add' }>['key'];
      try {
        key = readPrivateFields(keyType, r);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        // Unknown type: its fields cannot be skipped, so the rest of the body is not checked.
        r.rest();
        return { kind: 'add', key: { error: e.message }, comment: '', constraints: [] };
      }
      const comment = r.text();
      const constraints = type === 25 ? decodeConstraints(r) : [];
      if (type === 25 && constraints.length === 0) throw new ParseError('constrained add without constraints');
      return { kind: 'add', key, comment, constraints };
    }
    case 18:
      return { kind: 'remove', keyBlob: r.string() };
    case 19:
      return { kind: 'remove-all' };
    case 9:
      return { kind: 'remove-all-rsa1' };
    case 20:
    case 21:
    case 26:
      r.rest();
      return { kind: 'smartcard', msgType: type };
    case 22:
      return { kind: 'lock', passphrase: r.string() };
    case 23:
      return { kind: 'unlock', passphrase: r.string() };
    case 27: {
      const name = r.text();
      if (name === 'query') return { kind: 'query' };
      if (name === 'session-bind@openssh.com') {
        return { kind: 'session-bind', hostKey: r.string(), sessionId: r.string(), signature: r.string(), forwarded: r.byte() !== 0 };
      }
      r.rest();
      return { kind: 'extension', name };
    }
    default:
      r.rest();
      return { kind: 'unknown', msgType: type };
  }
}

function decodeConstraints(r: Reader): EngineConstraint[] {
  const out: EngineConstraint[] = [];
  while (r.remaining > 0) {
    const t = r.byte();
    if (t === 1) out.push({ kind: 'lifetime', seconds: r.uint32() });
    else if (t === 2) out.push({ kind: 'confirm' });
    else if (t === 255) {
      const name = r.text();
      if (name === 'restrict-destination-v00@openssh.com') out.push({ kind: 'destinations', constraints: decodeDestinations(r.string()) });
      else {
        r.rest();
        out.push({ kind: 'unsupported', what: name.slice(0, 80) });
      }
    } else {
      // Constraints cannot be skipped without knowing their shape: the whole add is refused.
      r.rest();
      out.push({ kind: 'unsupported', what: `type ${t}` });
    }
  }
  return out;
}

function decodeDestinations(buf: Buffer): DestinationConstraint[] {
  const r = new Reader(buf);
  const out: DestinationConstraint[] = [];
  while (r.remaining > 0) {
    if (out.length >= MAX_DEST_CONSTRAINTS) throw new ParseError('too many destination constraints');
    const c = new Reader(r.string());
    const from = decodeHop(c.string());
    const to = decodeHop(c.string());
    if (c.string().length !== 0) throw new ParseError('reserved field not empty');
    c.end();
    out.push({ from, to });
  }
  return out;
}

function decodeHop(buf: Buffer): DestinationHop {
  const r = new Reader(buf);
  const user = r.text();
  const hostname = r.text();
  if (r.string().length !== 0) throw new ParseError('reserved field not empty');
  const keys: DestinationHop['keys'] = [];
  while (r.remaining > 0) keys.push({ blob: Buffer.from(r.string()), isCa: r.byte() !== 0 });
  return { user: user === '' ? null : user, hostname: hostname === '' ? null : hostname, keys };
}

/** Frames a reply. */
export function encodeEngineReply(reply: EngineReply): Buffer {
  switch (reply.kind) {
    case 'success':
      return frame(6);
    case 'failure':
      return frame(5);
    case 'extension-failure':
      return frame(28);
    case 'identities': {
      const n = Buffer.alloc(4);
      n.writeUInt32BE(reply.keys.length);
      return frame(12, n, ...reply.keys.flatMap((k) => [encodeString(k.blob), encodeString(k.comment)]));
    }
    case 'signature':
      return frame(14, encodeString(reply.signature));
    case 'extension-response':
      return frame(29, encodeString(reply.name), reply.body);
  }
}

export function failureFrame(): Buffer {
  return frame(5);
}

function frame(type: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from([type]), ...parts]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}
