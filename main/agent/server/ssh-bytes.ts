// TEMPORARY until main/agent/wire.ts lands: the two encoders the signer needs.
/** `string` (uint32 length + bytes). */
export function encodeString(v: Buffer | string): Buffer {
  const body = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** `mpint` from unsigned big-endian bytes: minimal, with a 0x00 when the top bit is set. */
export function encodeMpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  let body = unsigned.subarray(i);
  if (body.length > 0 && ((body[0] as number) & 0x80) !== 0) body = Buffer.concat([Buffer.from([0]), body]);
  return encodeString(body);
}

/** Thrown for bytes that do not parse; the agent answers FAILURE. */
export class ParseError extends Error {
  override name = 'ParseError';
}

/** TEMPORARY sequential reader with strict bounds until wire.ts lands. */
export class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  byte(): number {
    if (this.remaining < 1) throw new ParseError('truncated');
    return this.buf[this.pos++] as number;
  }

  bool(): boolean {
    return this.byte() !== 0;
  }

  uint32(): number {
    if (this.remaining < 4) throw new ParseError('truncated');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint64(): bigint {
    if (this.remaining < 8) throw new ParseError('truncated');
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  string(): Buffer {
    const n = this.uint32();
    if (n > this.remaining) throw new ParseError('string runs past the end');
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  text(): string {
    return this.string().toString('utf8');
  }

  /** mpint as unsigned magnitude bytes; negative values refused. */
  mpint(): Buffer {
    const v = this.string();
    if (v.length > 0 && ((v[0] as number) & 0x80) !== 0) throw new ParseError('negative mpint');
    return v;
  }

  rest(): Buffer {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }

  end(): void {
    if (this.remaining !== 0) throw new ParseError('trailing bytes');
  }
}
