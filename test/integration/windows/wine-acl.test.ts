// `keydock doctor`'s Windows permission check with the REAL Win32 ACL reader, run by Windows
// node.exe under Wine (test/wine/acl-main.ts): GetNamedSecurityInfoW(SE_FILE_OBJECT, OWNER |
// DACL) → GetAclInformation → GetAce → ConvertSidToStringSidW → LocalFree, through koffi.
//
// What Wine 8 (Debian 8.0~repack-4) returns, and hence what this test can and cannot show:
// - The token user is S-1-5-21-0-0-0-1000. Every file's owner reads back as that user.
// - Wine does not keep a file's security descriptor: it derives the DACL from the Unix mode bits
//   each time. Owner bits → an allow ACE for the user (0x1F01FF), "other" bits → an allow ACE
//   for Everyone (S-1-1-0; r-x gives 0x1200A9), plus SYSTEM (0x1F01FF); group bits are dropped.
//   Folders get flags OI|CI (3), files 0. So a 0644 key shows "Everyone (read)" and a 0600 key
//   passes: that much of the reader and the check is real here.
// - Descriptors given at creation (CreateFileW + SDDL, tried while writing this test) are
//   reduced to those mode bits: explicit Users / Authenticated Users entries, deny entries and
//   the INHERITED_ACE flag are dropped, an owner of Users or Administrators reads back as the
//   user, and a descriptor without DACL reads back as user + SYSTEM + Everyone (read). icacls.exe
//   is a stub that prints nothing and changes nothing. So deny entries, inherited entries,
//   foreign owners, a missing DACL and the icacls fix are verified by unit tests only
//   (test/unit/doctor/*), and need a real Windows machine end to end.
//
// This file does not run `wineserver -k` at the end (wine-transports.test.ts does): the two
// files may run at the same time in one prefix, and killing the server would end the other's
// processes. For the same reason one run is retried if node.exe is killed before it finishes.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeFileAcl, type FileAclFacts } from '../../../main/doctor/windows-acl';
import { REPO_ROOT, bundleForWine, setupWine, startWineNode, winPath, wineUnavailableReason, type WineSetup, tagged } from '../../support/wine-node';

const reason = wineUnavailableReason();
const title = reason ? `Windows file ACLs under Wine (skipped: ${reason})` : 'Windows file ACLs under Wine';

const SID = /^S-1-\d+(-\d+)+$/;
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

interface AceOut {
  type: string;
  aceType: number;
  flags: number;
  inherited: boolean;
  sid: string | null;
  mask: number;
}
interface AclLine {
  path: string;
  acl?: { ownerSid: string | null; aces: AceOut[] | null };
  error?: string;
}
interface FindingOut {
  id: string;
  severity: string;
  message: string;
  fix: string | null;
  canFix: boolean;
  hasApply: boolean;
}

describe.skipIf(reason !== null)(title, () => {
  let setup: WineSetup;
  let home: string;
  let bundle = '';
  let out = '';
  let user = '';
  let acls: AclLine[] = [];
  let findings: FindingOut[] = [];
  const win = (rel: string) => winPath(join(home, rel));
  const aclOf = (rel: string): AclLine => {
    const line = acls.find((a) => a.path === win(rel));
    expect(line, `no ACL line for ${rel}; output:\n${out}`).toBeDefined();
    return line as AclLine;
  };

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'keydock-wine-acl-'));
    const ssh = join(home, '.ssh');
    await mkdir(ssh);
    await chmod(ssh, 0o700);
    for (const [name, mode, text] of [
      ['id_private', 0o600, KEY],
      ['id_open', 0o644, KEY],
      ['id_open.pub', 0o644, 'ssh-ed25519 AAAA wine\n'],
      ['config', 0o644, 'Host *\n'],
    ] as const) {
      await writeFile(join(ssh, name), text);
      await chmod(join(ssh, name), mode);
    }
    setup = await setupWine();
    bundle = await bundleForWine(join(REPO_ROOT, 'test/wine/acl-main.ts'), 'acl-main');
    const args = [winPath(home), win('.ssh'), win('.ssh/id_private'), win('.ssh/id_open'), win('.ssh/no-such-key')];
    for (let attempt = 1; ; attempt++) {
      const p = await startWineNode(setup, bundle, args);
      try {
        await p.waitForLine(/^DONE /, 90_000);
        out = await p.stdout();
        break;
      } catch (e) {
        if (attempt >= 2) throw e;
      } finally {
        await p.stop();
      }
    }
    user = (tagged(out, 'USER')[0] as { sid: string }).sid;
    acls = tagged(out, 'ACL') as AclLine[];
    findings = tagged(out, 'FINDINGS')[0] as FindingOut[];
  }, 300_000);

  afterAll(async () => {
    if (bundle) rmSync(bundle, { force: true });
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('the process user SID is a well-formed account SID', () => {
    expect(user).toMatch(/^S-1-5-21(-\d+){4}$/);
  });

  it('reads the owner and DACL of a file node.exe created: owner = the process user, well-formed SIDs', () => {
    const own = acls[0] as AclLine;
    expect(own, `no ACL lines; output:\n${out}`).toBeDefined();
    expect(own.path).toMatch(/created-by-node\.txt$/);
    expect(own.error).toBeUndefined();
    expect(own.acl?.ownerSid).toBe(user);
    const aces = own.acl?.aces ?? [];
    expect(aces.length).toBeGreaterThan(0);
    for (const ace of aces) {
      expect(['allow', 'deny', 'other']).toContain(ace.type);
      if (ace.type !== 'other') expect(ace.sid).toMatch(SID);
      expect(Number.isInteger(ace.mask) && ace.mask >= 0 && ace.mask <= 0xffffffff).toBe(true);
      expect(ace.inherited).toBe((ace.flags & 0x10) !== 0);
    }
    expect(aces.some((a) => a.type === 'allow' && a.sid === user && a.mask === 0x1f01ff)).toBe(true);
  });

  it('a 0700 folder and a 0600 key: only the user and SYSTEM, which the policy accepts', () => {
    const dir = aclOf('.ssh');
    expect(dir.acl?.ownerSid).toBe(user);
    expect(dir.acl?.aces?.map((a) => a.sid).sort()).toEqual(['S-1-5-18', user].sort());
    expect(dir.acl?.aces?.every((a) => a.flags === 3)).toBe(true); // OBJECT_INHERIT | CONTAINER_INHERIT
    expect(judgeFileAcl({ ...(dir.acl as FileAclFacts), userSid: user }).ok).toBe(true);
    const key = aclOf('.ssh/id_private');
    expect(key.acl?.aces?.map((a) => a.sid).sort()).toEqual(['S-1-5-18', user].sort());
    expect(judgeFileAcl({ ...(key.acl as FileAclFacts), userSid: user }).ok).toBe(true);
  });

  it('a 0644 key: Everyone can read it (Wine maps "other" bits to S-1-1-0), which the policy refuses', () => {
    const key = aclOf('.ssh/id_open');
    expect(key.acl?.aces).toContainEqual({ type: 'allow', aceType: 0, flags: 0, inherited: false, sid: 'S-1-1-0', mask: 0x1200a9 });
    const j = judgeFileAcl({ ...(key.acl as FileAclFacts), userSid: user });
    expect(j).toMatchObject({ ok: false, badOwner: null, noDacl: false, others: [{ sid: 'S-1-1-0', name: 'Everyone', access: 'read', explicit: true }] });
  });

  it('a missing file: the reader throws a Win32 error instead of crashing', () => {
    expect(aclOf('.ssh/no-such-key').error).toMatch(/^GetNamedSecurityInfoW failed with Windows error (2|3)$/);
  });

  it('checkPermissions on Windows (real reader): ~/.ssh ok, the 0644 key an error with the icacls fix, nothing else', () => {
    const openKey = win('.ssh/id_open');
    expect(findings.map((f) => `${f.id} ${f.severity}`).sort()).toEqual([`key-permissions:${openKey} error`, 'ssh-dir-permissions ok']);
    const f = findings.find((x) => x.id === `key-permissions:${openKey}`);
    expect(f?.message).toContain(`${openKey} can be opened by Everyone (read), not only by you`);
    expect(f?.fix).toBe(`icacls "${openKey}" /inheritance:r /grant:r "*${user}:F" /remove:g "*S-1-1-0"`);
    expect(f).toMatchObject({ canFix: true, hasApply: true });
  });
});
