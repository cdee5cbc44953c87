import { pageantMutexName, pageantPipeName, pageantPipeSuffix, pageantSecretBlock, pageantUsername } from './pageant-names';
import { CRYPTPROTECTMEMORY_CROSS_PROCESS, NameUserPrincipal, win32, type Win32 } from '../../../platform/windows/win32';

// The Win32 half of PuTTY's Pageant naming (docs/agent-protocol.md §2.3): which user, and the
// CryptProtectMemory-obfuscated suffix that makes the pipe name unguessable to other users.

const CP_ACP = 0;

function ansiToString(api: Win32, bytes: Buffer): string {
  if (bytes.length === 0) return '';
  // PuTTY builds the name from ANSI (code page) bytes and opens it with the A API, which
  // converts with CP_ACP: do the same conversion so non-ASCII user names match.
  const out = Buffer.alloc(bytes.length * 4 + 4);
  const n = api.MultiByteToWideChar(CP_ACP, 0, bytes, bytes.length, out, bytes.length * 2 + 2) as number;
  if (n <= 0) return bytes.toString('latin1');
  return out.toString('utf16le', 0, n * 2);
}

function readAnsi(api: Win32, call: (buf: Buffer, size: number[]) => boolean): string | null {
  const buf = Buffer.alloc(1024);
  const size = [buf.length];
  if (!call(buf, size)) return null;
  const nul = buf.indexOf(0);
  return ansiToString(api, buf.subarray(0, nul >= 0 ? nul : Math.min(size[0] as number, buf.length)));
}

/** The user name Pageant puts in its pipe and mutex names. */
export function currentPageantUsername(api: Win32 = win32()): string {
  const upn = readAnsi(api, (buf, size) => Boolean(api.GetUserNameExA(NameUserPrincipal, buf, size)));
  const logon = readAnsi(api, (buf, size) => Boolean(api.GetUserNameA(buf, size)));
  return pageantUsername(upn, logon);
}

/** The Pageant pipe of the current user, `\\.\pipe\pageant.<user>.<sha256 hex>`, derived exactly as PuTTY does. */
export function currentPageantPipeName(api: Win32 = win32()): string {
  const block = pageantSecretBlock();
  // Obfuscated in place; PuTTY keeps the plain block when CryptProtectMemory fails.
  api.CryptProtectMemory(block, block.length, CRYPTPROTECTMEMORY_CROSS_PROCESS);
  return pageantPipeName(currentPageantUsername(api), pageantPipeSuffix(block));
}

/** The mutex name Pageant holds while it decides whether it is the server. */
export function currentPageantMutexName(api: Win32 = win32()): string {
  return pageantMutexName(currentPageantUsername(api));
}
