import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { fitCopyDataReply, mappingNameFromCopyData, planCopyDataRequest } from '../../../main/agent/transports/windows/copydata-policy';
import { windowPolicySource } from '../../../main/agent/transports/windows/pageant-window';

const FAILURE = [0, 0, 0, 1, 5];

describe('WM_COPYDATA rules (PuTTY windows/pageant.c)', () => {
  it('accepts only a NUL-terminated printable ASCII mapping name', () => {
    expect(mappingNameFromCopyData(Buffer.from('PageantRequest0000abcd\0'))).toBe('PageantRequest0000abcd');
    expect(mappingNameFromCopyData(Buffer.from('PageantRequest0000abcd'))).toBeNull();
    expect(mappingNameFromCopyData(Buffer.from('Pageant\0Request\0'))).toBeNull();
    expect(mappingNameFromCopyData(Buffer.from('\0'))).toBeNull();
    expect(mappingNameFromCopyData(Buffer.from('Pagé\0'))).toBeNull();
    expect(mappingNameFromCopyData(new Uint8Array(0))).toBeNull();
  });

  it('ignores mappings too small for a frame, fails requests that do not fit, serves the rest', () => {
    expect(planCopyDataRequest(4, 1)).toEqual({ kind: 'ignore' });
    expect(planCopyDataRequest(Number.NaN, 1)).toEqual({ kind: 'ignore' });
    expect(planCopyDataRequest(8192, 0)).toEqual({ kind: 'fail' });
    expect(planCopyDataRequest(8192, 8188)).toEqual({ kind: 'serve', frameLength: 8192 });
    expect(planCopyDataRequest(8192, 8189)).toEqual({ kind: 'fail' });
    expect(planCopyDataRequest(262148, 262144)).toEqual({ kind: 'serve', frameLength: 262148 });
    // A bigger mapping does not lift the 256 KiB message cap.
    expect(planCopyDataRequest(1 << 20, 262145)).toEqual({ kind: 'fail' });
    expect(planCopyDataRequest(1 << 20, 0xffffffff)).toEqual({ kind: 'fail' });
  });

  it('writes FAILURE when the reply does not fit the client mapping or is malformed', () => {
    const ok = Uint8Array.from([0, 0, 0, 2, 6, 0]);
    expect([...fitCopyDataReply(8192, ok)]).toEqual([...ok]);
    const big = new Uint8Array(9000);
    new DataView(big.buffer).setUint32(0, 8996);
    expect([...fitCopyDataReply(8192, big)]).toEqual(FAILURE);
    expect([...fitCopyDataReply(8192, Uint8Array.from([0, 0, 0, 5, 6]))]).toEqual(FAILURE);
    expect([...fitCopyDataReply(8192, Uint8Array.from([0, 0, 0]))]).toEqual(FAILURE);
  });

  it('the rules still work once turned into source text for the window thread', () => {
    const policy = runInNewContext(windowPolicySource()) as {
      mappingNameFromCopyData(d: Uint8Array): string | null;
      planCopyDataRequest(r: number, l: number): unknown;
      fitCopyDataReply(r: number, reply: Uint8Array): Uint8Array;
      judgeMappingOwner(o: string | null, u: string, d: string | null): { ok: boolean };
    };
    expect(policy.mappingNameFromCopyData(Buffer.from('PageantRequest00000001\0'))).toBe('PageantRequest00000001');
    expect(JSON.stringify(policy.planCopyDataRequest(8192, 8189))).toBe('{"kind":"fail"}');
    expect([...policy.fitCopyDataReply(8192, new Uint8Array(9000))]).toEqual(FAILURE);
    expect(policy.judgeMappingOwner('S-1-5-21-1-2-3-1001', 's-1-5-21-1-2-3-1001', null).ok).toBe(true);
    expect(policy.judgeMappingOwner('S-1-5-21-1-2-3-1002', 'S-1-5-21-1-2-3-1001', null).ok).toBe(false);
  });
});
