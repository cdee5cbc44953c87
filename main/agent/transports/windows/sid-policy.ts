// Decisions about which Windows security identifiers (SIDs) KeyDock trusts. Pure, so they
// can be tested with injected values; the Win32 calls that read SIDs live in win32.ts.

/** SIDs as Windows prints them (ConvertSidToStringSid), e.g. "S-1-5-21-…-1001". */
export type SidString = string;

export const SID_LOCAL_SYSTEM = 'S-1-5-18';
export const SID_ADMINISTRATORS = 'S-1-5-32-544';

/** Normalises a SID string for comparison (Windows compares SIDs bytewise; the text is case-insensitive only in the "S"). */
export function normalizeSid(sid: string): SidString {
  const trimmed = sid.trim();
  // Self-contained (no module constants): the Pageant window thread runs this from source.
  if (!/^S-1-(\d+)(-\d+)+$/i.test(trimmed)) throw new Error(`not a SID: ${JSON.stringify(sid)}`);
  return 'S' + trimmed.slice(1);
}

/** True when both strings name the same SID; malformed input never matches. */
export function sameSid(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  try {
    return normalizeSid(a) === normalizeSid(b);
  } catch {
    return false;
  }
}

export type PeerVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Named-pipe servers accept a connection only when the client process runs as the same user
 * (SPEC-agent.md §2.3, DESIGN.md §3): anything we could not identify is refused too.
 */
export function judgePipePeer(peer: { pid: number | null; userSid: SidString | null }, ownUserSid: SidString): PeerVerdict {
  if (peer.pid === null) return { ok: false, reason: 'the client process id could not be read' };
  if (peer.userSid === null) return { ok: false, reason: `the user of client process ${peer.pid} could not be read` };
  if (!sameSid(peer.userSid, ownUserSid)) {
    return { ok: false, reason: `client process ${peer.pid} runs as ${peer.userSid}, not as ${ownUserSid}` };
  }
  return { ok: true };
}

/**
 * The Pageant window reads a request only from a file mapping owned by the agent's user, or
 * by the agent process's default owner (what pre-0.61 clients produced), as PuTTY does.
 */
export function judgeMappingOwner(ownerSid: SidString | null, ownUserSid: SidString, ownDefaultOwnerSid: SidString | null): PeerVerdict {
  if (ownerSid === null) return { ok: false, reason: 'the request mapping has no readable owner' };
  if (sameSid(ownerSid, ownUserSid) || sameSid(ownerSid, ownDefaultOwnerSid)) return { ok: true };
  return { ok: false, reason: `the request mapping is owned by ${ownerSid}, not by ${ownUserSid}` };
}

/**
 * A client checks who serves a pipe before sending keys or sign requests: for Pageant's pipe
 * the owner must be the user (PuTTY's rule); the OpenSSH service's pipe is owned by
 * SYSTEM or Administrators, which a client may accept for that pipe only.
 */
export function judgePipeOwner(ownerSid: SidString | null, accepted: SidString[]): PeerVerdict {
  if (ownerSid === null) return { ok: false, reason: 'the pipe has no readable owner' };
  if (accepted.some((s) => sameSid(s, ownerSid))) return { ok: true };
  return { ok: false, reason: `the pipe is owned by ${ownerSid}, which is not one of ${accepted.join(', ')}` };
}

/**
 * The descriptor KeyDock's pipes are created with: owned by the user, a protected DACL that
 * grants only the user and SYSTEM (so Everyone, Anonymous and NETWORK get nothing).
 */
export function pipeSecuritySddl(ownUserSid: SidString): string {
  const sid = normalizeSid(ownUserSid);
  return `O:${sid}D:P(A;;GA;;;${sid})(A;;GA;;;SY)`;
}

/** The descriptor of a Pageant request mapping a client creates: owner = the user (so elevated callers still pass). */
export function mappingSecuritySddl(ownUserSid: SidString): string {
  const sid = normalizeSid(ownUserSid);
  return `O:${sid}D:P(A;;GA;;;${sid})(A;;GA;;;SY)`;
}
