import { describe, expect, it } from 'vitest';
import { SID_ADMINISTRATORS, SID_AUTHENTICATED_USERS, SID_EVERYONE, SID_LOCAL_SYSTEM, SID_TRUSTED_INSTALLER, SID_USERS, wellKnownSidName } from '../../../main/platform/windows/sid-policy';
import {
  accessWords,
  accountName,
  describeAccounts,
  formatIcacls,
  icaclsOwnerArgs,
  icaclsRestrictArgs,
  isTrustedSid,
  judgeFileAcl,
  type AclEntry,
} from '../../../main/doctor/windows-acl';

const ME = 'S-1-5-21-3623811015-3361044348-30300820-1013';
const OTHER = 'S-1-5-21-3623811015-3361044348-30300820-1014';
const FULL = 0x1f01ff;
const READ = 0x120089; // icacls (R)
const MODIFY = 0x1301bf; // icacls (M)

// What a new file in %USERPROFILE%\.ssh gets by default: inherited full control for the user, SYSTEM and Administrators.
const defaultAces: AclEntry[] = [
  { type: 'allow', sid: SID_LOCAL_SYSTEM, mask: FULL, inherited: true },
  { type: 'allow', sid: SID_ADMINISTRATORS, mask: FULL, inherited: true },
  { type: 'allow', sid: ME, mask: FULL, inherited: true },
];

describe('Windows private-key ACL policy (injected values)', () => {
  it('trusts the user, SYSTEM, Administrators and TrustedInstaller only', () => {
    for (const sid of [ME, SID_LOCAL_SYSTEM, SID_ADMINISTRATORS, SID_TRUSTED_INSTALLER, 's' + ME.slice(1)]) expect(isTrustedSid(sid, ME)).toBe(true);
    for (const sid of [OTHER, SID_EVERYONE, SID_USERS, SID_AUTHENTICATED_USERS, 'garbage', null]) expect(isTrustedSid(sid, ME)).toBe(false);
  });

  it('names accounts in plain words', () => {
    expect(accountName(ME, ME)).toBe('you');
    expect(accountName(SID_EVERYONE, ME)).toBe('Everyone');
    expect(accountName(SID_AUTHENTICATED_USERS, ME)).toBe('Authenticated Users');
    expect(accountName(SID_USERS, ME)).toBe('Users');
    expect(accountName('S-1-5-21-3623811015-3361044348-30300820-513', ME)).toBe('Domain Users');
    expect(accountName(OTHER, ME)).toBe(`account ${OTHER}`);
    expect(accountName(null, ME)).toBe('an account KeyDock could not identify');
    expect(wellKnownSidName(SID_TRUSTED_INSTALLER)).toBe('TrustedInstaller');
    expect(wellKnownSidName('S-1-5-21-1-2-3-1001')).toBeNull();
    expect(wellKnownSidName('not a sid')).toBeNull();
  });

  it('puts access masks in words', () => {
    expect(accessWords(FULL)).toBe('full control');
    expect(accessWords(0x10000000)).toBe('full control'); // GENERIC_ALL
    expect(accessWords(READ)).toBe('read');
    expect(accessWords(0x80000000)).toBe('read'); // GENERIC_READ (as koffi returns a uint32)
    expect(accessWords(-0x80000000)).toBe('read'); // the same bit as a signed int
    expect(accessWords(MODIFY)).toBe('read and write');
    expect(accessWords(0x2)).toBe('write');
    expect(accessWords(0x40000000)).toBe('write'); // GENERIC_WRITE
    expect(accessWords(0x40000)).toBe('can change its permissions'); // WRITE_DAC
    expect(accessWords(0x20000)).toBe('limited access'); // READ_CONTROL only
  });

  it('accepts the default ACL of a file in the user profile', () => {
    expect(judgeFileAcl({ ownerSid: ME, aces: defaultAces, userSid: ME })).toEqual({ ok: true, badOwner: null, noDacl: false, others: [] });
  });

  it('accepts SYSTEM, Administrators and TrustedInstaller as owner, refuses anyone else or no owner', () => {
    for (const owner of [SID_LOCAL_SYSTEM, SID_ADMINISTRATORS, SID_TRUSTED_INSTALLER]) expect(judgeFileAcl({ ownerSid: owner, aces: defaultAces, userSid: ME }).ok).toBe(true);
    const other = judgeFileAcl({ ownerSid: OTHER, aces: defaultAces, userSid: ME });
    expect(other).toMatchObject({ ok: false, badOwner: { sid: OTHER, name: `account ${OTHER}` }, others: [] });
    expect(judgeFileAcl({ ownerSid: SID_USERS, aces: defaultAces, userSid: ME }).badOwner?.name).toBe('Users');
    expect(judgeFileAcl({ ownerSid: null, aces: defaultAces, userSid: ME }).badOwner).toEqual({ sid: null, name: 'no one (the owner is missing)' });
  });

  it('refuses a file without a DACL (everyone has full access)', () => {
    expect(judgeFileAcl({ ownerSid: ME, aces: null, userSid: ME })).toEqual({ ok: false, badOwner: null, noDacl: true, others: [] });
  });

  it('an empty DACL lets no one in and is fine for ssh', () => {
    expect(judgeFileAcl({ ownerSid: ME, aces: [], userSid: ME }).ok).toBe(true);
  });

  it('lists every other account an allow entry lets in, whatever it grants, merged per SID in DACL order', () => {
    const j = judgeFileAcl({
      ownerSid: ME,
      userSid: ME,
      aces: [
        ...defaultAces,
        { type: 'allow', sid: SID_USERS, mask: READ, inherited: true },
        { type: 'allow', sid: SID_EVERYONE, mask: 0x20000 },
        { type: 'allow', sid: SID_USERS, mask: 0x2 },
        { type: 'allow', sid: SID_AUTHENTICATED_USERS, mask: MODIFY, inherited: true },
        { type: 'allow', sid: OTHER, mask: FULL },
      ],
    });
    expect(j.ok).toBe(false);
    expect(j.badOwner).toBeNull();
    expect(j.others).toEqual([
      { sid: SID_USERS, name: 'Users', mask: READ | 0x2, access: 'read and write', explicit: true },
      { sid: SID_EVERYONE, name: 'Everyone', mask: 0x20000, access: 'limited access', explicit: true },
      { sid: SID_AUTHENTICATED_USERS, name: 'Authenticated Users', mask: MODIFY, access: 'read and write', explicit: false },
      { sid: OTHER, name: `account ${OTHER}`, mask: FULL, access: 'full control', explicit: true },
    ]);
  });

  it('ignores deny entries and other entry types, as ssh does', () => {
    const j = judgeFileAcl({
      ownerSid: ME,
      userSid: ME,
      aces: [{ type: 'deny', sid: SID_EVERYONE, mask: FULL }, { type: 'deny', sid: ME, mask: READ }, { type: 'other', sid: null, mask: FULL }, ...defaultAces],
    });
    expect(j.ok).toBe(true);
  });

  it('counts an allow entry without a readable SID, and a malformed SID, as other accounts', () => {
    const j = judgeFileAcl({ ownerSid: ME, userSid: ME, aces: [{ type: 'allow', sid: null, mask: READ }, { type: 'allow', sid: 'S-bogus', mask: READ }] });
    expect(j.others.map((a) => a.name)).toEqual(['an account KeyDock could not identify', 'account S-bogus']);
  });

  it('owner problems and extra accounts are reported together', () => {
    const j = judgeFileAcl({ ownerSid: OTHER, userSid: ME, aces: [{ type: 'allow', sid: OTHER, mask: FULL }] });
    expect(j.badOwner?.sid).toBe(OTHER);
    expect(j.others.map((a) => a.sid)).toEqual([OTHER]);
  });

  it('describes accounts as a plain list', () => {
    const acc = (name: string, access: string) => ({ sid: null, name, mask: 0, access, explicit: true });
    expect(describeAccounts([])).toBe('no one');
    expect(describeAccounts([acc('Everyone', 'read')])).toBe('Everyone (read)');
    expect(describeAccounts([acc('Everyone', 'read'), acc('Users', 'full control')])).toBe('Everyone (read) and Users (full control)');
    expect(describeAccounts([acc('A', 'read'), acc('B', 'write'), acc('C', 'read')])).toBe('A (read), B (write) and C (read)');
  });

  it('builds icacls commands with *SID (any Windows language) that leave only the user', () => {
    const key = 'C:\\Users\\Jo Doe\\.ssh\\id_ed25519';
    const others = judgeFileAcl({
      ownerSid: ME,
      userSid: ME,
      aces: [
        { type: 'allow', sid: SID_USERS, mask: READ, inherited: true },
        { type: 'allow', sid: SID_EVERYONE, mask: READ },
        { type: 'allow', sid: null, mask: READ },
        { type: 'allow', sid: 'S-bogus', mask: READ },
      ],
    }).others;
    const args = icaclsRestrictArgs(key, ME, { directory: false, others });
    // Inherited Users goes with /inheritance:r; explicit Everyone needs /remove:g; unreadable or malformed SIDs cannot be named.
    expect(args).toEqual([key, '/inheritance:r', '/grant:r', `*${ME}:F`, '/remove:g', `*${SID_EVERYONE}`]);
    expect(formatIcacls(args)).toBe(`icacls "${key}" /inheritance:r /grant:r "*${ME}:F" /remove:g "*S-1-1-0"`);
    const dir = 'C:\\Users\\jo\\.ssh';
    expect(formatIcacls(icaclsRestrictArgs(dir, 's' + ME.slice(1), { directory: true, others: [] }))).toBe(`icacls "${dir}" /inheritance:r /grant:r "*${ME}:(OI)(CI)F"`);
    expect(formatIcacls(icaclsOwnerArgs(key, ME))).toBe(`icacls "${key}" /setowner "*${ME}"`);
    expect(() => icaclsRestrictArgs(key, 'nobody', { directory: false, others: [] })).toThrow(/not a SID/);
  });
});
