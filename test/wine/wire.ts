// Minimal agent-protocol helpers for the Wine scenarios: framing one request at a time over
// any Duplex, and the few messages the scenarios send (list, sign, add Ed25519).
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Duplex } from 'node:stream';

export function sshString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

export function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function readString(buf: Buffer, off: number): [Buffer, number] {
  if (off + 4 > buf.length) throw new Error('truncated string length');
  const len = buf.readUInt32BE(off);
  if (off + 4 + len > buf.length) throw new Error('truncated string');
  return [buf.subarray(off + 4, off + 4 + len), off + 4 + len];
}

/** Sends one framed request and resolves with the reply body (type byte first); rejects on close. */
export function exchange(stream: Duplex, body: Buffer, timeoutMs = 20_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('close', onClose);
      stream.off('error', onError);
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        cleanup();
        resolve(buf.subarray(4, 4 + buf.readUInt32BE(0)));
      }
    };
    const onClose = () => {
      cleanup();
      reject(new Error('connection closed without a reply'));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('no reply in time'));
    }, timeoutMs);
    stream.on('data', onData);
    stream.once('close', onClose);
    stream.once('error', onError);
    stream.write(frame(body));
  });
}

export interface Identity {
  blob: Buffer;
  comment: string;
}

export function parseIdentities(reply: Buffer): Identity[] {
  if (reply[0] !== 12) throw new Error(`expected IDENTITIES_ANSWER (12), got ${reply[0]}`);
  const n = reply.readUInt32BE(1);
  let off = 5;
  const out: Identity[] = [];
  for (let i = 0; i < n; i++) {
    const [blob, o1] = readString(reply, off);
    const [comment, o2] = readString(reply, o1);
    off = o2;
    out.push({ blob: Buffer.from(blob), comment: comment.toString() });
  }
  if (off !== reply.length) throw new Error('trailing bytes after identities');
  return out;
}

export const LIST = Buffer.from([11]);

export function signRequest(blob: Buffer, data: Buffer, flags = 0): Buffer {
  const f = Buffer.alloc(4);
  f.writeUInt32BE(flags);
  return Buffer.concat([Buffer.from([13]), sshString(blob), sshString(data), f]);
}

/** Checks an Ed25519 SIGN_RESPONSE against the key blob and data; returns an error text or null. */
export function checkEd25519Signature(reply: Buffer, blob: Buffer, data: Buffer): string | null {
  if (reply[0] !== 14) return `expected SIGN_RESPONSE (14), got ${reply[0]}`;
  const [sigBlob] = readString(reply, 1);
  const [alg, o] = readString(sigBlob, 0);
  const [sig] = readString(sigBlob, o);
  if (alg.toString() !== 'ssh-ed25519') return `unexpected signature algorithm ${alg.toString()}`;
  const [, k] = readString(blob, 0);
  const [raw] = readString(blob, k);
  const key: KeyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  return verify(null, data, key, sig) ? null : 'signature does not verify';
}

/** SSH_AGENTC_ADD_IDENTITY for an Ed25519 key given as a Node KeyObject. */
export function addEd25519Request(privateKey: KeyObject, comment: string): { body: Buffer; blob: Buffer } {
  const jwk = privateKey.export({ format: 'jwk' });
  const a = Buffer.from(jwk.x as string, 'base64url');
  const seed = Buffer.from(jwk.d as string, 'base64url');
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(a)]);
  const body = Buffer.concat([Buffer.from([17]), sshString('ssh-ed25519'), sshString(a), sshString(Buffer.concat([seed, a])), sshString(comment)]);
  return { body, blob };
}
