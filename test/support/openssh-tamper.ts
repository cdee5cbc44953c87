import { WireReader } from '../../main/keys/wire';

const MAGIC_LEN = 'openssh-key-v1\0'.length;

/** Where the encrypted private section of an openssh-key-v1 file starts and how long it is. */
function section(bin: Buffer): { start: number; length: number } {
  const r = new WireReader(bin.subarray(MAGIC_LEN));
  r.text(); // cipher
  r.text(); // kdf
  r.string(); // kdf options
  r.uint32(); // number of keys
  r.string(); // public key
  const length = r.uint32();
  // Whatever follows the section is the AEAD tag (16 bytes for GCM and chacha20-poly1305).
  return { start: MAGIC_LEN + r.offset, length };
}

/**
 * The same OpenSSH key file with one bit flipped: `at` counts from the start of the encrypted
 * section (negative: from its end); `'tag'` flips the first byte of the tag after it.
 */
export function flipOpenSshByte(text: string, at: number | 'tag'): string {
  const lines = text.trim().split('\n');
  const bin = Buffer.from(lines.slice(1, -1).join(''), 'base64');
  const s = section(bin);
  const i = at === 'tag' ? s.start + s.length : at < 0 ? s.start + s.length + at : s.start + at;
  if (i < s.start || i >= bin.length) throw new Error(`byte ${String(at)} is outside the encrypted section`);
  bin[i] = bin[i]! ^ 0x01;
  const b64 = bin.toString('base64').match(/.{1,70}/g)!.join('\n');
  return `${lines[0]}\n${b64}\n${lines.at(-1)}\n`;
}
