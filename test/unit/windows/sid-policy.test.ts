import { describe, expect, it } from 'vitest';
import {
  SID_ADMINISTRATORS,
  SID_LOCAL_SYSTEM,
  judgeMappingOwner,
  judgePipeOwner,
  judgePipePeer,
  mappingSecuritySddl,
  normalizeSid,
  pipeSecuritySddl,
  sameSid,
} from '../../../main/platform/windows/sid-policy';

const ME = 'S-1-5-21-3623811015-3361044348-30300820-1013';
const OTHER = 'S-1-5-21-3623811015-3361044348-30300820-1014';
const MY_DEFAULT_OWNER = 'S-1-5-21-3623811015-3361044348-30300820-513';

describe('SID policy (injected values)', () => {
  it('compares SIDs exactly, accepting only the lowercase "s" variant', () => {
    expect(sameSid(ME, ME)).toBe(true);
    expect(sameSid(ME, 's' + ME.slice(1))).toBe(true);
    expect(sameSid(ME, OTHER)).toBe(false);
    expect(sameSid(ME, ME + '0')).toBe(false);
    expect(sameSid(ME, null)).toBe(false);
    expect(sameSid('garbage', 'garbage')).toBe(false);
    expect(() => normalizeSid('S-1')).toThrow(/not a SID/);
  });

  it('accepts a pipe client of the same user only', () => {
    expect(judgePipePeer({ pid: 42, userSid: ME }, ME)).toEqual({ ok: true });
    const other = judgePipePeer({ pid: 42, userSid: OTHER }, ME);
    expect(other.ok).toBe(false);
    expect(!other.ok && other.reason).toContain(`client process 42 runs as ${OTHER}`);
    expect(judgePipePeer({ pid: 42, userSid: SID_LOCAL_SYSTEM }, ME).ok).toBe(false);
  });

  it('refuses a pipe client it cannot identify', () => {
    expect(judgePipePeer({ pid: null, userSid: null }, ME)).toEqual({ ok: false, reason: 'the client process id could not be read' });
    const noSid = judgePipePeer({ pid: 7, userSid: null }, ME);
    expect(!noSid.ok && noSid.reason).toContain('process 7');
  });

  it('reads a Pageant request only from a mapping owned by the user or the default owner', () => {
    expect(judgeMappingOwner(ME, ME, MY_DEFAULT_OWNER).ok).toBe(true);
    expect(judgeMappingOwner(MY_DEFAULT_OWNER, ME, MY_DEFAULT_OWNER).ok).toBe(true);
    expect(judgeMappingOwner(OTHER, ME, MY_DEFAULT_OWNER).ok).toBe(false);
    expect(judgeMappingOwner(SID_ADMINISTRATORS, ME, null).ok).toBe(false);
    expect(judgeMappingOwner(null, ME, MY_DEFAULT_OWNER).ok).toBe(false);
  });

  it('accepts a pipe owner only from the given list (client-side impostor check)', () => {
    expect(judgePipeOwner(ME, [ME]).ok).toBe(true);
    expect(judgePipeOwner(SID_LOCAL_SYSTEM, [ME]).ok).toBe(false);
    expect(judgePipeOwner(SID_LOCAL_SYSTEM, [ME, SID_LOCAL_SYSTEM, SID_ADMINISTRATORS]).ok).toBe(true);
    const r = judgePipeOwner(OTHER, [ME]);
    expect(!r.ok && r.reason).toContain(`owned by ${OTHER}`);
    expect(judgePipeOwner(null, [ME]).ok).toBe(false);
  });

  it('creates pipes and mappings owned by the user with a protected user+SYSTEM DACL', () => {
    expect(pipeSecuritySddl(ME)).toBe(`O:${ME}D:P(A;;GA;;;${ME})(A;;GA;;;SY)`);
    expect(mappingSecuritySddl(ME)).toContain(`O:${ME}`);
    // No Everyone (WD), Anonymous (AN) or NETWORK (NU) entries: the protected DACL denies them.
    expect(pipeSecuritySddl(ME)).not.toMatch(/;;;(WD|AN|NU)\)/);
    expect(() => pipeSecuritySddl('S-1-5-21-1)(A;;GA;;;WD')).toThrow(/not a SID/);
  });
});
