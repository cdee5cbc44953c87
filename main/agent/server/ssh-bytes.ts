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
