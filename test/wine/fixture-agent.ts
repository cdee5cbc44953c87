// A deliberately small agent used by the Wine scenarios until (and besides) the real
// AgentServer: one Ed25519 key, REQUEST_IDENTITIES and SIGN_REQUEST, FAILURE for the rest.
// It signs for real, so the scenarios verify signatures rather than compare canned bytes.
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { AgentConnectionHandler, ClientInfo } from '../../main/agent/server-types';

export interface FixtureAgent extends AgentConnectionHandler {
  publicBlob: Buffer;
  comment: string;
  /** Every request seen: transport and message type, for assertions. */
  seen: Array<{ transport: ClientInfo['transport']; type: number; pid?: number }>;
}

function sshString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

const FAILURE = frame(Buffer.from([5]));

/** Builds the fixture agent around a fresh (or given PKCS#8 PEM) Ed25519 key. */
export function createFixtureAgent(pkcs8Pem?: string): FixtureAgent {
  const privateKey: KeyObject = pkcs8Pem ? createPrivateKey(pkcs8Pem) : generateKeyPairSync('ed25519').privateKey;
  const raw = Buffer.from(privateKey.export({ format: 'jwk' }).x as string, 'base64url');
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(raw)]);
  const comment = 'wine-fixture@keydock';
  const seen: FixtureAgent['seen'] = [];

  const answer = (req: Buffer, client: ClientInfo): Buffer => {
    const type = req[0] ?? 0;
    seen.push({ transport: client.transport, type, pid: client.pid });
    if (type === 11 && req.length === 1) {
      const n = Buffer.alloc(4);
      n.writeUInt32BE(1);
      return frame(Buffer.concat([Buffer.from([12]), n, sshString(publicBlob), sshString(comment)]));
    }
    if (type === 13) {
      let off = 1;
      const read = (): Buffer | null => {
        if (off + 4 > req.length) return null;
        const len = req.readUInt32BE(off);
        if (off + 4 + len > req.length) return null;
        const v = req.subarray(off + 4, off + 4 + len);
        off += 4 + len;
        return v;
      };
      const blob = read();
      const data = read();
      if (!blob || !data || off + 4 !== req.length || !blob.equals(publicBlob)) return FAILURE;
      const sig = sign(null, data, privateKey);
      return frame(Buffer.concat([Buffer.from([14]), sshString(Buffer.concat([sshString('ssh-ed25519'), sshString(sig)]))]));
    }
    return FAILURE;
  };

  return {
    publicBlob,
    comment,
    seen,
    serveStream(stream: Duplex, client: ClientInfo) {
      let buf = Buffer.alloc(0);
      stream.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4) {
          const len = buf.readUInt32BE(0);
          if (len === 0 || len > 262144) {
            stream.destroy();
            return;
          }
          if (buf.length < 4 + len) break;
          const req = buf.subarray(4, 4 + len);
          buf = buf.subarray(4 + len);
          stream.write(answer(req, client));
        }
      });
      stream.on('error', () => undefined);
    },
    async handleFrame(f: Buffer, client: ClientInfo) {
      const len = f.readUInt32BE(0);
      if (len + 4 !== f.length || len === 0) return FAILURE;
      return answer(f.subarray(4), client);
    },
  };
}
