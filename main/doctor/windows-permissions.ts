/**
 * `keydock doctor` on Windows: who owns ~/.ssh and each private key in it, and whom their
 * access lists let in, judged by Win32-OpenSSH's rule (./windows-acl.ts). The fix runs icacls
 * (no shell) with the user's SID. Reading ACLs goes through koffi (main/agent/transports/
 * windows/file-acl.ts), imported only when this check runs without an injected reader, so other
 * platforms never load Win32 code.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { win32 as win32Path } from 'node:path';
import { normalizeSid } from '../platform/windows/sid-policy';
import { finding, privateKeyFiles, sshDirMissing, type CheckedFinding } from './findings';
import { describeAccounts, formatIcacls, icaclsOwnerArgs, icaclsRestrictArgs, judgeFileAcl, type AclJudgement, type FileAclFacts } from './windows-acl';

/** Where the Windows check reads ACLs and runs icacls; injected by tests, loaded lazily otherwise. */
export interface WindowsAclAccess {
  /** The SID of the user KeyDock runs as (the process token's user). */
  currentUserSid(): Promise<string>;
  /** Owner and DACL of a file or folder. */
  readAcl(path: string): Promise<FileAclFacts>;
  /** Runs icacls with these arguments (no shell); rejects with its message when it fails. */
  icacls(args: string[]): Promise<void>;
}

/** The real thing: Win32 through koffi (only loaded when the check runs on Windows) and System32\icacls.exe. */
async function systemWindowsAcl(env: NodeJS.ProcessEnv): Promise<WindowsAclAccess> {
  const acl = await import('../platform/windows/file-acl');
  return {
    currentUserSid: async () => acl.currentUserSid(),
    readAcl: async (path) => acl.readFileAcl(path),
    icacls: (args) => runIcacls(args, env),
  };
}

function runIcacls(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  // The System32 copy by full path: a PATH entry cannot substitute another icacls.
  const root = env.SystemRoot ?? env.SYSTEMROOT ?? env.windir ?? 'C:\\Windows';
  const exe = win32Path.join(root, 'System32', 'icacls.exe');
  return new Promise((resolve, reject) => {
    execFile(exe, args, { env, timeout: 30_000, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve();
      const said = `${stderr}`.trim() || `${stdout}`.trim() || err.message;
      reject(new Error(`icacls failed: ${said}`));
    });
  });
}

const WINDOWS_ERRORS: Record<number, string> = { 2: 'file not found', 3: 'path not found', 5: 'access denied', 32: 'the file is in use', 1332: 'an account name could not be mapped' };

function errorText(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  return typeof code === 'number' && WINDOWS_ERRORS[code] ? `${msg} (${WINDOWS_ERRORS[code]})` : msg;
}

const TRUSTED_WORDS = 'you, SYSTEM and Administrators';

/** The Windows counterpart of 0700/0600: owner and access list as Win32-OpenSSH checks them (./windows-acl.ts). */
export async function checkWindowsPermissions(input: { sshDir: string; env: NodeJS.ProcessEnv; windowsAcl?: WindowsAclAccess }): Promise<CheckedFinding[]> {
  const dir = input.sshDir;
  if (!(await stat(dir).catch(() => null))) return [sshDirMissing(dir)];
  const unreadable = (failures: Array<{ path: string; error: unknown }>): CheckedFinding =>
    finding({
      id: 'permissions-windows',
      severity: 'info',
      title: 'File permissions could not be read',
      message: `KeyDock could not read who may open ${failures.map((f) => `${f.path} (${errorText(f.error)})`).join(', ')}. Windows OpenSSH refuses a private key that anyone besides ${TRUSTED_WORDS} can open.`,
      fix: `Run: icacls "${failures[0]?.path ?? dir}" to see who has access; remove other accounts in the file's Properties → Security tab.`,
      canFix: false,
    });
  let access: WindowsAclAccess;
  let userSid: string;
  try {
    access = input.windowsAcl ?? (await systemWindowsAcl(input.env));
    userSid = normalizeSid(await access.currentUserSid());
  } catch (e) {
    return [unreadable([{ path: dir, error: e }])];
  }
  const out: CheckedFinding[] = [];
  const failures: Array<{ path: string; error: unknown }> = [];
  const judge = async (path: string): Promise<AclJudgement | null> => {
    try {
      return judgeFileAcl({ ...(await access.readAcl(path)), userSid });
    } catch (error) {
      failures.push({ path, error });
      return null;
    }
  };
  const ownerFix = (path: string) => `${formatIcacls(icaclsOwnerArgs(path, userSid))} (from an administrator prompt if Windows says "Access is denied")`;

  const d = await judge(dir);
  if (d) {
    if (d.badOwner) {
      out.push(
        finding({
          id: 'ssh-dir-owner',
          severity: 'warning',
          title: '~/.ssh belongs to another account',
          message: `${dir} is owned by ${d.badOwner.name}, not by you; whoever owns it can change who may open your keys.`,
          fix: ownerFix(dir),
          canFix: false,
        }),
      );
    }
    if (d.noDacl || d.others.length > 0) {
      const args = icaclsRestrictArgs(dir, userSid, { directory: true, others: d.others });
      const who = d.noDacl ? 'has no access list, so every account has full control' : `can be opened by ${describeAccounts(d.others)}, not only by you`;
      out.push(
        finding({
          id: 'ssh-dir-permissions',
          severity: 'warning',
          title: '~/.ssh is open to other users',
          message: `${dir} ${who}; it should be only ${TRUSTED_WORDS} (like 0700 on Unix). Keys created in it get the same access.`,
          fix: formatIcacls(args),
          fixAction: 'fix-permissions',
          fixPath: dir,
          apply: async () => {
            await access.icacls(args);
            return [{ file: dir, change: `access limited to ${TRUSTED_WORDS} (icacls)`, backup: null }];
          },
        }),
      );
    } else {
      out.push(finding({ id: 'ssh-dir-permissions', severity: 'ok', title: '~/.ssh permissions', message: `${dir} can be opened only by ${TRUSTED_WORDS}.`, fix: null }));
    }
  }

  for (const { name, path } of await privateKeyFiles(dir)) {
    const k = await judge(path);
    if (!k) continue;
    if (k.noDacl || k.others.length > 0) {
      const args = icaclsRestrictArgs(path, userSid, { directory: false, others: k.others });
      const who = k.noDacl ? 'has no access list, so every account has full control' : `can be opened by ${describeAccounts(k.others)}, not only by you`;
      out.push(
        finding({
          id: `key-permissions:${path}`,
          severity: 'error',
          title: `Private key ${name} is readable by others`,
          message: `${path} ${who}; Windows OpenSSH refuses a private key that anyone besides ${TRUSTED_WORDS} can open ("UNPROTECTED PRIVATE KEY FILE").`,
          fix: formatIcacls(args),
          fixAction: 'fix-permissions',
          fixPath: path,
          apply: async () => {
            await access.icacls(args);
            return [{ file: path, change: `access limited to ${TRUSTED_WORDS} (icacls)`, backup: null }];
          },
        }),
      );
    }
    if (k.badOwner) {
      out.push(
        finding({
          id: `key-owner:${path}`,
          severity: 'error',
          title: `Private key ${name} belongs to another account`,
          message: `${path} is owned by ${k.badOwner.name}, not by you, SYSTEM or Administrators; Windows OpenSSH refuses such a key ("UNPROTECTED PRIVATE KEY FILE").`,
          fix: ownerFix(path),
          canFix: false,
        }),
      );
    }
  }
  if (failures.length > 0) out.push(unreadable(failures));
  return out;
}
