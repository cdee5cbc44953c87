// Decisions about which Windows security identifiers (SIDs) KeyDock trusts. Pure, so they
// can be tested with injected values; the Win32 calls that read SIDs live in win32.ts.

/** SIDs as Windows prints them (ConvertSidToStringSid), e.g. "S-1-5-21-…-1001". */
export type SidString = string;

export const SID_LOCAL_SYSTEM = 'S-1-5-18';
export const SID_ADMINISTRATORS = 'S-1-5-32-544';
/** NT SERVICE\\TrustedInstaller: owns Windows' own files; Win32-OpenSSH trusts it like SYSTEM. */
export const SID_TRUSTED_INSTALLER = 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464';
export const SID_EVERYONE = 'S-1-1-0';
export const SID_AUTHENTICATED_USERS = 'S-1-5-11';
export const SID_USERS = 'S-1-5-32-545';

// Names Windows shows for well-known SIDs (English; the SIDs are the same in every language).
const WELL_KNOWN_SID_NAMES: Record<string, string> = {
  'S-1-1-0': 'Everyone',
  'S-1-2-0': 'LOCAL',
  'S-1-3-0': 'CREATOR OWNER',
  'S-1-3-1': 'CREATOR GROUP',
  'S-1-5-1': 'DIALUP',
  'S-1-5-2': 'NETWORK',
  'S-1-5-3': 'BATCH',
  'S-1-5-4': 'INTERACTIVE',
  'S-1-5-6': 'SERVICE',
  'S-1-5-7': 'ANONYMOUS LOGON',
  'S-1-5-11': 'Authenticated Users',
  'S-1-5-18': 'SYSTEM',
  'S-1-5-19': 'LOCAL SERVICE',
  'S-1-5-20': 'NETWORK SERVICE',
  'S-1-5-32-544': 'Administrators',
  'S-1-5-32-545': 'Users',
  'S-1-5-32-546': 'Guests',
  'S-1-5-32-547': 'Power Users',
  'S-1-5-32-555': 'Remote Desktop Users',
  'S-1-5-113': 'Local account',
  'S-1-5-114': 'Local account and member of Administrators group',
  'S-1-15-2-1': 'ALL APPLICATION PACKAGES',
  [SID_TRUSTED_INSTALLER]: 'TrustedInstaller',
};

// Accounts every domain (or standalone PC, whose "domain" is the machine) has, by relative id.
const WELL_KNOWN_RIDS: Record<string, string> = {
  '500': 'Administrator',
  '501': 'Guest',
  '512': 'Domain Admins',
  '513': 'Domain Users',
  '514': 'Domain Guests',
  '515': 'Domain Computers',
};

/** The name Windows shows for a well-known SID ("Everyone" for S-1-1-0), or null for an ordinary account. */
export function wellKnownSidName(sid: string): string | null {
  let s: SidString;
  try {
    s = normalizeSid(sid);
  } catch {
    return null;
  }
  const direct = WELL_KNOWN_SID_NAMES[s];
  if (direct) return direct;
  const m = /^S-1-5-21-\d+-\d+-\d+-(\d+)$/.exec(s);
  return m ? (WELL_KNOWN_RIDS[m[1] as string] ?? null) : null;
}

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
 * (docs/agent-protocol.md §2.3, docs/architecture.md §7.3): anything we could not identify is refused too.
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
