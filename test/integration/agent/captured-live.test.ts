import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeReply, decodeRequest, encodeReply, encodeRequest, type Request } from '../../../main/agent/codec';
import { captureOpenSshFrames, type AgentCapture } from '../../support/agent-capture';
import type { RecordedFrame } from '../../support/agent-recorder';

// The codec unit tests read frames saved once (test/fixtures/agent/openssh-capture.json).
// This file captures again with the OpenSSH installed today, so a change on the wire shows up
// here instead of leaving the fixture quietly out of date.

const fixture = JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'agent', 'openssh-capture.json'), 'utf8')) as AgentCapture;
// Known at collection time, so the comparison with the fixture can be skipped visibly.
const installed = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim();

let live: AgentCapture;

beforeAll(async () => {
  live = await captureOpenSshFrames('live');
}, 120_000);

const bytes = (f: RecordedFrame) => Buffer.from(f.hex, 'hex');

/** What a frame is, without the parts that change from run to run (keys, signatures). */
function shape(f: RecordedFrame): string {
  const body = bytes(f).subarray(4);
  if (f.direction === 'reply') return `reply ${body[0]}`;
  const req: Request = decodeRequest(body);
  if (req.type === 'add') return `add ${req.keyType} [${(req.constraints ?? []).map((c) => c.kind).join(',')}]${req.constraints ? ' constrained' : ''}`;
  if (req.type === 'sign') return `sign flags ${req.flags}`;
  return req.type;
}

/** Each connection's frames as one line per label, so runs can be compared label by label. */
function conversations(c: AgentCapture): Map<string, Set<string>> {
  const byConnection = new Map<number, RecordedFrame[]>();
  for (const f of c.frames) byConnection.set(f.connection, [...(byConnection.get(f.connection) ?? []), f]);
  const out = new Map<string, Set<string>>();
  for (const frames of byConnection.values()) {
    const label = frames[0]!.label;
    out.set(label, (out.get(label) ?? new Set()).add(frames.map(shape).join(' | ')));
  }
  return out;
}

describe(`agent frames of the installed OpenSSH (${installed})`, () => {
  it('every frame ssh-add, ssh-keygen and ssh-agent exchange today decodes and re-encodes to the same bytes', () => {
    expect(live.frames.length).toBeGreaterThanOrEqual(20);
    for (const f of live.frames) {
      const b = bytes(f);
      const again = f.direction === 'request' ? encodeRequest(decodeRequest(b.subarray(4))) : encodeReply(decodeReply(b.subarray(4)));
      expect(again.toString('hex'), `${f.direction} of ${f.label}`).toBe(f.hex);
    }
  });

  it('captured list, plain and constrained add, sign, remove, lock and unlock', () => {
    const shapes = live.frames.filter((f) => f.direction === 'request').map(shape);
    for (const s of ['request-identities', 'add ssh-ed25519 []', 'add ecdsa-sha2-nistp384 [lifetime,confirm] constrained', 'sign flags 0', 'remove', 'lock', 'unlock']) expect(shapes).toContain(s);
  });

  it.skipIf(installed !== fixture.openssh)(`says the same as the saved fixture (${fixture.openssh}), command by command`, () => {
    const saved = conversations(fixture);
    for (const [label, convs] of conversations(live)) {
      const known = saved.get(label);
      expect(known, `the fixture has no "${label}": re-run npx tsx scripts/capture-agent-frames.ts`).toBeDefined();
      for (const c of convs) expect([...known!], `"${label}" now goes: ${c}`).toContain(c);
    }
  });
});
