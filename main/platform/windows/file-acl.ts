import koffi from 'koffi';
import {
  ACCESS_ALLOWED_ACE_TYPE,
  ACCESS_DENIED_ACE_TYPE,
  AclSizeInformation,
  DACL_SECURITY_INFORMATION,
  INHERITED_ACE,
  OWNER_SECURITY_INFORMATION,
  SE_FILE_OBJECT,
  Win32Error,
  ownSids,
  sidToString,
  win32,
  type Win32,
} from './win32';

// Reads who owns a file and whom its access list (DACL) lets in, the way Win32-OpenSSH does
// before it uses a private key: GetNamedSecurityInfoW, then GetAclInformation + GetAce over the
// DACL. The judgement is pure and lives in main/doctor/windows-acl.ts; this file only reads.

export interface FileAce {
  /** ACCESS_ALLOWED_ACE_TYPE / ACCESS_DENIED_ACE_TYPE; anything else (object, callback, audit ACEs) is "other". */
  type: 'allow' | 'deny' | 'other';
  /** The raw AceType byte of the ACE header. */
  aceType: number;
  /** The AceFlags byte (INHERITED_ACE, OBJECT_INHERIT_ACE, …). */
  flags: number;
  /** True when the ACE was inherited from the folder (INHERITED_ACE). */
  inherited: boolean;
  /** The trustee as "S-1-…"; null for "other" ACEs, whose SID is not at a fixed place. */
  sid: string | null;
  /** The ACCESS_MASK. */
  mask: number;
}

export interface FileAcl {
  ownerSid: string | null;
  /** null when the file has no DACL at all (everyone has full access). */
  aces: FileAce[] | null;
}

// ACE_HEADER { BYTE AceType; BYTE AceFlags; WORD AceSize } then, for allowed/denied ACEs,
// ACCESS_MASK Mask and the SID (SidStart) right after it.
const ACE_MASK_OFFSET = 4;
const ACE_SID_OFFSET = 8;

/** Length in bytes of a SID with this many sub-authorities (SID header: revision, count, 6-byte authority). */
export function sidLength(subAuthorityCount: number): number {
  return 8 + 4 * subAuthorityCount;
}

function readAce(api: Win32, ace: unknown): FileAce {
  const aceType = koffi.decode(ace, 0, 'uint8_t') as number;
  const flags = koffi.decode(ace, 1, 'uint8_t') as number;
  const aceSize = koffi.decode(ace, 2, 'uint16_t') as number;
  const inherited = (flags & INHERITED_ACE) !== 0;
  const type = aceType === ACCESS_ALLOWED_ACE_TYPE ? 'allow' : aceType === ACCESS_DENIED_ACE_TYPE ? 'deny' : 'other';
  if (type === 'other') {
    const mask = aceSize >= ACE_MASK_OFFSET + 4 ? (koffi.decode(ace, ACE_MASK_OFFSET, 'uint32_t') as number) : 0;
    return { type, aceType, flags, inherited, sid: null, mask };
  }
  const mask = koffi.decode(ace, ACE_MASK_OFFSET, 'uint32_t') as number;
  // The SID is inline in the ACE: copy it (its length follows from the sub-authority count)
  // into a buffer and let Windows format it.
  const count = koffi.decode(ace, ACE_SID_OFFSET + 1, 'uint8_t') as number;
  const len = sidLength(count);
  if (ACE_SID_OFFSET + len > aceSize) throw new Error(`an access-list entry is malformed (SID of ${len} bytes in an entry of ${aceSize})`);
  const sidBytes = Buffer.from(koffi.decode(ace, ACE_SID_OFFSET, 'uint8_t', len) as number[]);
  return { type, aceType, flags, inherited, sid: sidToString(api, sidBytes), mask };
}

/** Owner and DACL of a file or folder; throws a Win32Error when Windows will not say. */
export function readFileAcl(path: string): FileAcl {
  const api = win32();
  const owner: unknown[] = [null];
  const dacl: unknown[] = [null];
  const sd: unknown[] = [null];
  const rc = api.GetNamedSecurityInfoW(path, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, owner, null, dacl, null, sd) as number;
  if (rc !== 0) throw new Win32Error('GetNamedSecurityInfoW', rc);
  try {
    const ownerSid = owner[0] && koffi.address(owner[0]) !== 0n ? sidToString(api, owner[0]) : null;
    if (!dacl[0] || koffi.address(dacl[0]) === 0n) return { ownerSid, aces: null };
    const info: Record<string, number> = {};
    if (!api.GetAclInformation(dacl[0], info, koffi.sizeof(api.ACL_SIZE_INFORMATION), AclSizeInformation)) {
      throw new Win32Error('GetAclInformation', api.GetLastError());
    }
    const aces: FileAce[] = [];
    for (let i = 0; i < (info.AceCount ?? 0); i++) {
      const ace: unknown[] = [null];
      if (!api.GetAce(dacl[0], i, ace)) throw new Win32Error('GetAce', api.GetLastError());
      aces.push(readAce(api, ace[0]));
    }
    return { ownerSid, aces };
  } finally {
    if (sd[0]) api.LocalFree(sd[0]);
  }
}

/** The SID of the user this process runs as (its token user). */
export function currentUserSid(): string {
  return ownSids(win32()).user;
}
