// Pure rules of the Pageant WM_COPYDATA exchange (docs/agent-protocol.md §2.2, PuTTY windows/pageant.c).
// They run inside the window thread too (see pageant-window-thread.ts), so each function here
// is self-contained: no imports, no references to other module-level names.

/** Frames bigger than this are refused whatever the mapping size (AGENT_MAX_MSGLEN). */
export const PAGEANT_MAX_MESSAGE = 262144;

/** The name in COPYDATASTRUCT.lpData must be a NUL-terminated ANSI string; returns it or null. */
export function mappingNameFromCopyData(data: Uint8Array): string | null {
  const nul = data.indexOf(0);
  if (nul <= 0 || nul !== data.length - 1) return null;
  let name = '';
  for (let i = 0; i < nul; i++) {
    const c = data[i] as number;
    // Mapping names are plain ASCII in every known client; anything else is not ours to open.
    if (c < 0x20 || c > 0x7e) return null;
    name += String.fromCharCode(c);
  }
  return name;
}

export type CopyDataPlan =
  | { kind: 'ignore' }
  | { kind: 'fail' }
  | { kind: 'serve'; frameLength: number };

/**
 * What to do with a request, given the mapping's size (VirtualQuery region) and the request
 * length at offset 0: too small a mapping is not answered; a request that does not fit (or
 * exceeds the 256 KiB cap) gets FAILURE in place; else it is served.
 */
export function planCopyDataRequest(regionSize: number, requestLength: number): CopyDataPlan {
  if (!Number.isFinite(regionSize) || regionSize < 5) return { kind: 'ignore' };
  const bound = Math.min(regionSize, 262144 + 4) - 4;
  if (requestLength < 1 || requestLength > bound) return { kind: 'fail' };
  return { kind: 'serve', frameLength: requestLength + 4 };
}

/** The reply to write in place: the agent's answer if it fits the mapping, else FAILURE. */
export function fitCopyDataReply(regionSize: number, reply: Uint8Array): Uint8Array {
  const failure = new Uint8Array([0, 0, 0, 1, 5]);
  if (reply.length < 5 || reply.length > regionSize) return failure;
  const len = ((reply[0] as number) << 24 >>> 0) + ((reply[1] as number) << 16) + ((reply[2] as number) << 8) + (reply[3] as number);
  if (len + 4 !== reply.length) return failure;
  return reply;
}
