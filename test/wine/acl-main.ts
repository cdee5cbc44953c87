// Wine scenario: KeyDock's real Win32 ACL reader (GetNamedSecurityInfoW → GetAclInformation →
// GetAce → ConvertSidToStringSidW, main/agent/transports/windows/file-acl.ts) and the doctor's
// Windows permission check on top of it, with no injected reader.
// Usage: node.exe acl-main.mjs <HOME as a Windows path> [more paths to read…]
// Prints `USER {"sid"}` (the process token's user), then `ACL {"path","acl"|"error"}` for a file
// this process creates itself and for each path given, `FINDINGS [...]` (checkWindowsPermissions
// on <HOME>\.ssh, without the apply functions) and `DONE {}`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { currentUserSid, readFileAcl } from '../../main/platform/windows/file-acl';
import { checkWindowsPermissions } from '../../main/doctor/windows-permissions';

const print = (tag: string, obj: unknown) => process.stdout.write(`${tag} ${JSON.stringify(obj)}\n`);
const [home, ...extra] = process.argv.slice(2);
if (!home) throw new Error('usage: acl-main <home> [paths…]');

print('USER', { sid: currentUserSid() });

const own = join(mkdtempSync(join(tmpdir(), 'keydock-acl-')), 'created-by-node.txt');
writeFileSync(own, 'created by the ACL scenario\n');
for (const path of [own, ...extra]) {
  try {
    print('ACL', { path, acl: readFileAcl(path) });
  } catch (e) {
    print('ACL', { path, error: e instanceof Error ? e.message : String(e) });
  }
}
rmSync(dirname(own), { recursive: true, force: true });

// The permission check as `keydock doctor` runs it on Windows (checkPermissions hands over to
// it when ctx.platform is win32): no injected reader, so the Win32 one is imported and bound.
const findings = await checkWindowsPermissions({ sshDir: join(home, '.ssh'), env: process.env });
print(
  'FINDINGS',
  findings.map(({ apply, ...f }) => ({ ...f, hasApply: apply !== undefined })),
);
print('DONE', {});
