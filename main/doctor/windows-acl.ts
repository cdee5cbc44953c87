/**
 * Who may open a private key on Windows: the rule Win32-OpenSSH applies before it uses a key
 * (check_secure_file_permission in PowerShell/openssh-portable, contrib/win32/win32compat/
 * w32-sshfileperm.c), as a pure function over injected values.
 *
 * - The owner must be the current user, SYSTEM (S-1-5-18), Administrators (S-1-5-32-544) or
 *   TrustedInstaller; otherwise ssh refuses the key.
 * - Every ACCESS_ALLOWED entry of the DACL must name one of those (the owner is not exempt):
 *   for a private key ssh refuses any other account, whatever the entry grants. Deny entries
 *   and other entry types (object, callback) are ignored, as ssh ignores them.
 * - A file without a DACL (every account has full access) is refused too.
 *
 * Win32-OpenSSH additionally accepts an entry whose SID resolves (LookupAccountSid) to the same
 * domain\name as the user (SID history after a domain migration); KeyDock does not look names
 * up, so such a key is reported although ssh would accept it.
 */
import {
  SID_ADMINISTRATORS,
  SID_LOCAL_SYSTEM,
  SID_TRUSTED_INSTALLER,
  normalizeSid,
  sameSid,
  wellKnownSidName,
  type SidString,
} from '../platform/windows/sid-policy';

export interface AclEntry {
  type: 'allow' | 'deny' | 'other';
  sid: SidString | null;
  /** ACCESS_MASK. */
  mask: number;
  /** Inherited from the folder (INHERITED_ACE); "icacls /inheritance:r" removes these. */
  inherited?: boolean;
}

export interface FileAclFacts {
  ownerSid: SidString | null;
  /** null: the file has no DACL at all. */
  aces: AclEntry[] | null;
}

export interface AclAccount {
  /** null when an allow entry carried no readable SID. */
  sid: SidString | null;
  /** Plain name: "Everyone", "Users", "account S-1-5-21-…-1002". */
  name: string;
  /** All allow masks for this SID, OR-ed. */
  mask: number;
  /** "full control", "read", …. */
  access: string;
  /** At least one of its entries is explicit (not inherited): removing inheritance alone does not drop it. */
  explicit: boolean;
}

export interface AclJudgement {
  ok: boolean;
  /** Set when the owner is not one ssh accepts. */
  badOwner: { sid: SidString | null; name: string } | null;
  /** The file has no DACL: every account has full control. */
  noDacl: boolean;
  /** Accounts besides the user, SYSTEM, Administrators and TrustedInstaller that an allow entry lets in, in DACL order. */
  others: AclAccount[];
}

const TRUSTED: SidString[] = [SID_LOCAL_SYSTEM, SID_ADMINISTRATORS, SID_TRUSTED_INSTALLER];

/** True for the accounts ssh lets own and open a private key: the user, SYSTEM, Administrators, TrustedInstaller. */
export function isTrustedSid(sid: string | null, userSid: SidString): boolean {
  return sameSid(sid, userSid) || TRUSTED.some((t) => sameSid(t, sid));
}

/** A SID in plain words: "you", a well-known name ("Everyone"), or "account S-1-…". */
export function accountName(sid: string | null, userSid: SidString): string {
  if (sid === null) return 'an account KeyDock could not identify';
  if (sameSid(sid, userSid)) return 'you';
  return wellKnownSidName(sid) ?? `account ${sid}`;
}

const GENERIC_ALL = 0x10000000;
const GENERIC_WRITE = 0x40000000;
const GENERIC_READ = 0x80000000;
const FILE_ALL_ACCESS = 0x001f01ff;
const FILE_READ_DATA = 0x1;
const FILE_WRITE_DATA = 0x2;
const FILE_APPEND_DATA = 0x4;
const WRITE_DAC = 0x40000;
const WRITE_OWNER = 0x80000;

/** What an ACCESS_MASK lets an account do with a file, in words. */
export function accessWords(mask: number): string {
  const m = mask >>> 0;
  if ((m & GENERIC_ALL) !== 0 || (m & FILE_ALL_ACCESS) >>> 0 === FILE_ALL_ACCESS) return 'full control';
  const read = (m & (FILE_READ_DATA | GENERIC_READ)) !== 0;
  const write = (m & (FILE_WRITE_DATA | FILE_APPEND_DATA | GENERIC_WRITE)) !== 0;
  if (read && write) return 'read and write';
  if (read) return 'read';
  if (write) return 'write';
  if ((m & (WRITE_DAC | WRITE_OWNER)) !== 0) return 'can change its permissions';
  return 'limited access';
}

/** Judges an owner and DACL against Win32-OpenSSH's private-key rule (see the header). */
export function judgeFileAcl(facts: FileAclFacts & { userSid: SidString }): AclJudgement {
  const { userSid } = facts;
  const badOwner = isTrustedSid(facts.ownerSid, userSid) ? null : { sid: facts.ownerSid, name: facts.ownerSid === null ? 'no one (the owner is missing)' : accountName(facts.ownerSid, userSid) };
  const noDacl = facts.aces === null;
  const byKey = new Map<string, AclAccount>();
  for (const ace of facts.aces ?? []) {
    if (ace.type !== 'allow' || isTrustedSid(ace.sid, userSid)) continue;
    let key = '?';
    if (ace.sid !== null) {
      try {
        key = normalizeSid(ace.sid);
      } catch {
        key = ace.sid;
      }
    }
    const prev = byKey.get(key);
    const mask = ((prev?.mask ?? 0) | ace.mask) >>> 0;
    byKey.set(key, { sid: ace.sid, name: accountName(ace.sid, userSid), mask, access: accessWords(mask), explicit: (prev?.explicit ?? false) || ace.inherited !== true });
  }
  const others = [...byKey.values()];
  return { ok: badOwner === null && !noDacl && others.length === 0, badOwner, noDacl, others };
}

/** "Everyone (read), Users (read) and account S-1-5-21-…-1002 (full control)". */
export function describeAccounts(accounts: AclAccount[]): string {
  const parts = accounts.map((a) => `${a.name} (${a.access})`);
  if (parts.length <= 1) return parts[0] ?? 'no one';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/**
 * icacls arguments that leave only the user: drop inherited entries, grant the user full
 * control (for a folder, inherited by what is created in it, so new keys start private), and
 * remove the explicit entries of the other accounts. SIDs use icacls' "*SID" form, which works
 * whatever the language of Windows.
 */
export function icaclsRestrictArgs(path: string, userSid: SidString, options: { directory: boolean; others: AclAccount[] }): string[] {
  const args = [path, '/inheritance:r', '/grant:r', `*${normalizeSid(userSid)}:${options.directory ? '(OI)(CI)F' : 'F'}`];
  const remove = options.others.filter((a) => a.explicit).flatMap((a) => {
    try {
      return [`*${normalizeSid(a.sid ?? '')}`];
    } catch {
      return []; // no usable SID to name: /inheritance:r and /grant:r still apply
    }
  });
  if (remove.length > 0) args.push('/remove:g', ...remove);
  return args;
}

/** icacls arguments that make the user the owner (needs rights over the file, or an administrator). */
export function icaclsOwnerArgs(path: string, userSid: SidString): string[] {
  return [path, '/setowner', `*${normalizeSid(userSid)}`];
}

/** The command line a user can paste into cmd or PowerShell. */
export function formatIcacls(args: string[]): string {
  return ['icacls', ...args.map((a) => (/^\/[a-z]+(:[a-z]+)?$/i.test(a) ? a : `"${a}"`))].join(' ');
}
