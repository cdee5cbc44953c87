// Just enough DER to read the algorithm parameters of encrypted PKCS#8 and traditional DSA keys;
// the keys themselves are parsed by Node's crypto.
import { WireError } from './wire';

export interface DerNode {
  tag: number;
  body: Buffer;
}

/** Reads a sequence of DER TLVs from a buffer, strictly bounded. */
export function derChildren(buf: Buffer): DerNode[] {
  const out: DerNode[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const tag = buf[pos++] as number;
    if (pos >= buf.length) throw new WireError('DER ends early');
    let len = buf[pos++] as number;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || pos + n > buf.length) throw new WireError('bad DER length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (buf[pos++] as number);
    }
    if (pos + len > buf.length) throw new WireError('DER value runs past the end');
    out.push({ tag, body: buf.subarray(pos, pos + len) });
    pos += len;
  }
  return out;
}

/** Dotted form of a DER OBJECT IDENTIFIER body. */
export function derOid(body: Buffer): string {
  const parts: number[] = [];
  const first = body[0] ?? 0;
  parts.push(Math.floor(first / 40), first % 40);
  let v = 0;
  for (let i = 1; i < body.length; i++) {
    const b = body[i] as number;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Unsigned magnitude of a DER INTEGER body. */
export function derUint(body: Buffer): Buffer {
  let i = 0;
  while (i < body.length - 1 && body[i] === 0) i++;
  return body.subarray(i);
}
