import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeReply, decodeRequest, decodeSignature, type Reply, type Request } from '../../../main/agent/codec';
import { verifySshSignature } from '../../../main/agent/server/public-key';
import type { RecordedFrame } from '../../support/agent-recorder';
import { startTestAgent } from './agent-harness';

// KeyDock's own agent answers the requests OpenSSH's tools sent to OpenSSH's ssh-agent
// (test/fixtures/agent/openssh-capture.json), connection by connection in the same order,
// and must answer as that agent did.

const capture = JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'agent', 'openssh-capture.json'), 'utf8')) as { openssh: string; frames: RecordedFrame[] };

let agent: Awaited<ReturnType<typeof startTestAgent>> | null = null;
afterEach(async () => {
  await agent?.stop();
  agent = null;
});

const body = (f: RecordedFrame) => Buffer.from(f.hex, 'hex').subarray(4);

/** Where KeyDock's agent is meant to differ from the captured one. */
function expectedCode(req: Request, openssh: Reply): number {
  // OpenSSH before 10.3 answers query with FAILURE; KeyDock lists its extensions (docs/agent-protocol.md §1.6).
  if (req.type === 'query') return 29;
  if (openssh.type === 'failure') return openssh.code;
  return { success: 6, 'success-with-data': 6, identities: 12, signature: 14, extension: 29 }[openssh.type];
}

describe(`KeyDock's agent replays the requests captured from ${capture.openssh}`, () => {
  it('answers every request with the same reply type, the same key lists, and signatures over the same data', async () => {
    agent = await startTestAgent();
    const connections = [...new Set(capture.frames.map((f) => f.connection))];
    let signatures = 0;
    for (const n of connections) {
      const frames = capture.frames.filter((f) => f.connection === n);
      const c = await agent.connect();
      let lastSign: { blob: Buffer; data: Buffer; flags: number } | null = null;
      for (let i = 0; i < frames.length; i += 2) {
        const [request, reply] = [frames[i]!, frames[i + 1]!];
        expect([request.direction, reply.direction]).toEqual(['request', 'reply']);
        const req = decodeRequest(body(request));
        if (req.type === 'sign') lastSign = req;
        const theirs = decodeReply(body(reply));
        const ours = await c.request(body(request));
        const what = `${request.label}: ${req.type}`;
        expect(ours[0], what).toBe(expectedCode(req, theirs));
        const decoded = decodeReply(ours);
        if (theirs.type === 'identities') expect(decoded, what).toEqual(theirs);
        if (theirs.type === 'signature' && decoded.type === 'signature' && lastSign) {
          expect(decodeSignature(decoded.signature).algorithm, what).toBe(decodeSignature(theirs.signature).algorithm);
          expect(verifySshSignature(lastSign.blob, decoded.signature, lastSign.data), what).toBe(true);
          // Ed25519 and RSA PKCS#1 v1.5 are deterministic: the very same bytes as OpenSSH's.
          if (!decodeSignature(theirs.signature).algorithm.startsWith('ecdsa-')) expect(decoded.signature.equals(theirs.signature), what).toBe(true);
          signatures++;
        }
      }
      c.close();
    }
    expect(signatures).toBeGreaterThanOrEqual(8);
  });
});
