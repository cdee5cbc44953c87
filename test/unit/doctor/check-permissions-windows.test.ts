// The Windows branch of `keydock doctor`'s permission check with the ACL reader injected
// (ctx.platform = 'win32' on any OS): which findings, their words, the icacls fix and what
// `apply` runs. The real Win32 reader is exercised under Wine (test/integration/windows).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../../main/context';
import { checkPermissions, type DoctorFacts, type WindowsAclAccess } from '../../../main/doctor/checks';
import { applyDoctorFix, runDoctor } from '../../../main/doctor/doctor';
import type { AclEntry, FileAclFacts } from '../../../main/doctor/windows-acl';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

const ME = 'S-1-5-21-3623811015-3361044348-30300820-1013';
const OTHER = 'S-1-5-21-3623811015-3361044348-30300820-1014';
const FULL = 0x1f01ff;
const READ = 0x120089;
const PRIVATE: AclEntry[] = [
  { type: 'allow', sid: 'S-1-5-18', mask: FULL, inherited: true },
  { type: 'allow', sid: 'S-1-5-32-544', mask: FULL, inherited: true },
  { type: 'allow', sid: ME, mask: FULL, inherited: true },
];
const OPENSSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

/** An in-memory ACL store: readAcl looks paths up, icacls records its arguments and (like the real one) leaves only the user. */
function fakeAcl(initial: Record<string, FileAclFacts | Error>, user: string | Error = ME) {
  const acls = new Map(Object.entries(initial));
  const calls: string[][] = [];
  const access: WindowsAclAccess = {
    currentUserSid: async () => {
      if (user instanceof Error) throw user;
      return user;
    },
    readAcl: async (path) => {
      const a = acls.get(path);
      if (a === undefined) return { ownerSid: ME, aces: PRIVATE };
      if (a instanceof Error) throw a;
      return a;
    },
    icacls: async (args) => {
      calls.push(args);
      const [path] = args as [string];
      const prev = acls.get(path);
      acls.set(path, { ownerSid: prev instanceof Error || !prev ? ME : prev.ownerSid, aces: [{ type: 'allow', sid: ME, mask: FULL }] });
    },
  };
  return { access, calls };
}

describe('doctor permissions on Windows (ACL reader injected)', () => {
  let home: TmpHome;
  let ctx: AppContext;
  let dir: string;
  const facts = (windowsAcl: WindowsAclAccess): DoctorFacts => ({ ctx, configFile: join(dir, 'config'), agentPath: null, agentSource: 'none', agentReachable: false, agentError: null, agentKeys: [], windowsAcl });

  beforeEach(async () => {
    home = await makeTmpHome('keydock-doctor-win-');
    ctx = createContext({ env: home.env, platform: 'win32', transport: 'cli' });
    dir = ctx.paths.sshDir;
    await writeFile(join(dir, 'id_ed25519'), OPENSSH_KEY);
    await writeFile(join(dir, 'id_ed25519.pub'), 'ssh-ed25519 AAAA me\n');
    await writeFile(join(dir, 'config'), 'Host *\n');
    await writeFile(join(dir, 'work.ppk'), 'PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n');
  });
  afterEach(() => home.cleanup());

  it('a private setup gives one ok finding for ~/.ssh and none for the keys', async () => {
    const { access, calls } = fakeAcl({});
    const out = await checkPermissions(facts(access));
    expect(out).toEqual([{ id: 'ssh-dir-permissions', severity: 'ok', title: '~/.ssh permissions', message: `${dir} can be opened only by you, SYSTEM and Administrators.`, fix: null, canFix: false }]);
    expect(calls).toEqual([]);
  });

  it('names the accounts that can open a key, gives the exact icacls command and applies it without a shell', async () => {
    const key = join(dir, 'id_ed25519');
    const { access, calls } = fakeAcl({
      [key]: {
        ownerSid: ME,
        aces: [...PRIVATE, { type: 'allow', sid: 'S-1-5-32-545', mask: READ, inherited: true }, { type: 'allow', sid: 'S-1-1-0', mask: READ }, { type: 'allow', sid: 'S-1-5-11', mask: 0x1301bf }],
      },
    });
    const out = await checkPermissions(facts(access));
    const f = out.find((x) => x.id === `key-permissions:${key}`);
    expect(f).toMatchObject({ severity: 'error', title: 'Private key id_ed25519 is readable by others', canFix: true });
    expect(f?.message).toBe(
      `${key} can be opened by Users (read), Everyone (read) and Authenticated Users (read and write), not only by you; Windows OpenSSH refuses a private key that anyone besides you, SYSTEM and Administrators can open ("UNPROTECTED PRIVATE KEY FILE").`,
    );
    expect(f?.fix).toBe(`icacls "${key}" /inheritance:r /grant:r "*${ME}:F" /remove:g "*S-1-1-0" "*S-1-5-11"`);
    await f?.apply?.();
    expect(calls).toEqual([[key, '/inheritance:r', '/grant:r', `*${ME}:F`, '/remove:g', '*S-1-1-0', '*S-1-5-11']]);
    // Fixed: a fresh run finds nothing wrong with the key.
    expect((await checkPermissions(facts(access))).some((x) => x.id.startsWith('key-'))).toBe(false);
  });

  it('an open ~/.ssh is a warning whose fix grants the user an inheritable full control', async () => {
    const { access, calls } = fakeAcl({ [dir]: { ownerSid: ME, aces: [...PRIVATE, { type: 'allow', sid: 'S-1-5-32-545', mask: READ, inherited: true }] } });
    const f = (await checkPermissions(facts(access))).find((x) => x.id === 'ssh-dir-permissions');
    expect(f).toMatchObject({ severity: 'warning', title: '~/.ssh is open to other users', canFix: true, fix: `icacls "${dir}" /inheritance:r /grant:r "*${ME}:(OI)(CI)F"` });
    expect(f?.message).toContain('can be opened by Users (read), not only by you; it should be only you, SYSTEM and Administrators (like 0700 on Unix)');
    await f?.apply?.();
    expect(calls).toEqual([[dir, '/inheritance:r', '/grant:r', `*${ME}:(OI)(CI)F`]]);
  });

  it('a key or folder without a DACL is open to everyone', async () => {
    const ppk = join(dir, 'work.ppk');
    const { access } = fakeAcl({ [dir]: { ownerSid: ME, aces: null }, [ppk]: { ownerSid: ME, aces: null } });
    const out = await checkPermissions(facts(access));
    expect(out.find((x) => x.id === 'ssh-dir-permissions')?.message).toContain('has no access list, so every account has full control');
    const k = out.find((x) => x.id === `key-permissions:${ppk}`);
    expect(k).toMatchObject({ severity: 'error', canFix: true, fix: `icacls "${ppk}" /inheritance:r /grant:r "*${ME}:F"` });
    expect(k?.message).toContain('has no access list, so every account has full control');
  });

  it('a key or folder owned by another account: an owner finding with the /setowner command, not applied automatically', async () => {
    const key = join(dir, 'id_ed25519');
    const { access } = fakeAcl({ [dir]: { ownerSid: OTHER, aces: PRIVATE }, [key]: { ownerSid: 'S-1-5-32-545', aces: PRIVATE } });
    const out = await checkPermissions(facts(access));
    expect(out.find((x) => x.id === 'ssh-dir-owner')).toMatchObject({ severity: 'warning', canFix: false, message: expect.stringContaining(`owned by account ${OTHER}, not by you`) });
    expect(out.find((x) => x.id === 'ssh-dir-permissions')).toMatchObject({ severity: 'ok' });
    const o = out.find((x) => x.id === `key-owner:${key}`);
    expect(o).toMatchObject({ severity: 'error', canFix: false, title: 'Private key id_ed25519 belongs to another account' });
    expect(o?.message).toContain('is owned by Users, not by you, SYSTEM or Administrators');
    expect(o?.fix).toBe(`icacls "${key}" /setowner "*${ME}" (from an administrator prompt if Windows says "Access is denied")`);
    expect(o?.apply).toBeUndefined();
    expect(out.some((x) => x.id === `key-permissions:${key}`)).toBe(false);
  });

  it('an unreadable ACL gives one info finding with the error, and the other files are still checked', async () => {
    const key = join(dir, 'id_ed25519');
    const ppk = join(dir, 'work.ppk');
    const denied = Object.assign(new Error('GetNamedSecurityInfoW failed with Windows error 5'), { code: 5 });
    const { access } = fakeAcl({ [key]: denied, [ppk]: new Error('boom'), [dir]: { ownerSid: ME, aces: [{ type: 'allow', sid: 'S-1-1-0', mask: READ }] } });
    const out = await checkPermissions(facts(access));
    const info = out.filter((x) => x.id === 'permissions-windows');
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ severity: 'info', title: 'File permissions could not be read', canFix: false });
    expect(info[0]?.message).toContain(`${key} (GetNamedSecurityInfoW failed with Windows error 5 (access denied))`);
    expect(info[0]?.message).toContain(`${ppk} (boom)`);
    expect(info[0]?.fix).toContain(`icacls "${key}"`);
    expect(out.find((x) => x.id === 'ssh-dir-permissions')).toMatchObject({ severity: 'warning' });
  });

  it('when even the user SID cannot be read: only the info finding, never a crash', async () => {
    const { access } = fakeAcl({}, new Error('OpenProcessToken failed with Windows error 5'));
    const out = await checkPermissions(facts(access));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ id: 'permissions-windows', severity: 'info' });
    expect(out[0]?.message).toContain('OpenProcessToken failed');
  });

  it('without an injected reader off Windows the Win32 reader cannot load: an info finding, not a crash', async () => {
    if (process.platform === 'win32') return;
    const out = await checkPermissions({ ...facts(fakeAcl({}).access), windowsAcl: undefined });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ id: 'permissions-windows', severity: 'info' });
    expect(out[0]?.message).toContain('need Windows');
  });

  it('no ~/.ssh: the same info finding as on Unix, no ACL read', async () => {
    await rm(dir, { recursive: true });
    const { access } = fakeAcl({}, new Error('must not be called'));
    expect((await checkPermissions(facts(access))).map((x) => x.id)).toEqual(['ssh-dir-missing']);
  });

  it('runDoctor and applyDoctorFix pass the reader through: --fix repairs a key and reports it ok', async () => {
    const key = join(dir, 'id_ed25519');
    await mkdir(join(home.dir, '.config'), { recursive: true });
    const { access, calls } = fakeAcl({ [key]: { ownerSid: ME, aces: [...PRIVATE, { type: 'allow', sid: 'S-1-1-0', mask: READ }] } });
    const env = { ...home.env, SSH_AUTH_SOCK: '' };
    ctx = createContext({ env, platform: 'win32', transport: 'cli' });
    const before = await runDoctor(ctx, { windowsAcl: access });
    expect(before.find((f) => f.id === `key-permissions:${key}`)).toMatchObject({ severity: 'error', canFix: true });
    const after = await applyDoctorFix(ctx, `key-permissions:${key}`, { windowsAcl: access });
    expect(after).toMatchObject({ id: `key-permissions:${key}`, severity: 'ok', message: 'Fixed.' });
    expect(calls).toHaveLength(1);
  });
});
