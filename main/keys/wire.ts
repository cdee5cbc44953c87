// SSH wire primitives (RFC 4251 §5) for key files and blobs. keys/ keeps its own small copy so
// that file parsing does not depend on the agent codec's progress or error types.

/** Thrown when bytes of a key or blob do not parse; callers turn it into `key-corrupt`. */
export class WireError extends Error {
  override name = 'WireError';
}

/** Bounded sequential reader: every read checks the remaining length, never reads past it. */
export class WireReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  take(n: number): Buffer {
    if (n < 0 || n > this.remaining) throw new WireError('data ends too early');
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  byte(): number {
    return this.take(1)[0] as number;
  }

  uint32(): number {
    return this.take(4).readUInt32BE(0);
  }

  uint64(): bigint {
    return this.take(8).readBigUInt64BE(0);
  }

  string(): Buffer {
    return this.take(this.uint32());
  }

  text(): string {
    return this.string().toString('utf8');
  }

  /** mpint as unsigned big-endian magnitude without leading zeros (negative values rejected). */
  mpint(): Buffer {
    const raw = this.string();
    if (raw.length > 0 && ((raw[0] as number) & 0x80) !== 0) throw new WireError('negative integer where a positive one is required');
    let i = 0;
    while (i < raw.length && raw[i] === 0) i++;
    return raw.subarray(i);
  }

  /** Bytes already read between two offsets (to re-emit a parsed section verbatim). */
  slice(start: number, end: number): Buffer {
    return this.buf.subarray(start, end);
  }

  rest(): Buffer {
    return this.take(this.remaining);
  }

  end(what = 'data'): void {
    if (this.remaining !== 0) throw new WireError(`${what} has ${this.remaining} unexpected trailing bytes`);
  }
}

/** `uint32` big-endian. */
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** `string`: uint32 length + bytes. */
export function sshString(v: Buffer | string): Buffer {
  const body = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  return Buffer.concat([u32(body.length), body]);
}

/** `mpint` from an unsigned big-endian magnitude: minimal, 0x00 prefix when the top bit is set. */
export function mpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  let body = unsigned.subarray(i);
  if (body.length > 0 && ((body[0] as number) & 0x80) !== 0) body = Buffer.concat([Buffer.from([0]), body]);
  return sshString(body);
}

/** Big-endian magnitude left-padded with zeros to `len` bytes (EC scalars, RSA signatures). */
export function padStart(b: Buffer, len: number): Buffer {
  if (b.length > len) throw new WireError('integer longer than its field');
  if (b.length === len) return b;
  return Buffer.concat([Buffer.alloc(len - b.length), b]);
}

/** Number of significant bits of an unsigned big-endian magnitude. */
export function bitLength(b: Buffer): number {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) return 0;
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i] as number));
}

/** Base64url (JWK) to buffer and back: Node's KeyObject import/export speaks JWK. */
export function b64u(b: Buffer): string {
  return b.toString('base64url');
}
