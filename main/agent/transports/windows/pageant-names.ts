import { createHash } from 'node:crypto';

// Pure parts of PuTTY's naming scheme (windows/utils/agent_named_pipe_name.c and
// cryptoapi.c, docs/agent-protocol.md §2.3). The Win32 calls that feed them live in pageant-identity.ts.

/** CRYPTPROTECTMEMORY_BLOCK_SIZE: CryptProtectMemory works on whole 16-byte blocks. */
export const CRYPTPROTECTMEMORY_BLOCK_SIZE = 16;

/** The window class and title Pageant clients look for with FindWindow. */
export const PAGEANT_WINDOW_CLASS = 'Pageant';

/** WM_COPYDATA dwData that marks an agent request (AGENT_COPYDATA_ID). */
export const AGENT_COPYDATA_ID = 0x804e50ba;

/**
 * The plaintext block PuTTY obfuscates: "Pageant" plus NUL, zero-padded to the block size.
 * Exposed so the Win32 side can run CryptProtectMemory on exactly these bytes.
 */
export function pageantSecretBlock(): Buffer {
  const text = Buffer.from('Pageant\0', 'latin1');
  const len = Math.ceil(text.length / CRYPTPROTECTMEMORY_BLOCK_SIZE) * CRYPTPROTECTMEMORY_BLOCK_SIZE;
  const block = Buffer.alloc(len);
  text.copy(block);
  return block;
}

/**
 * The 64-hex-digit pipe suffix from the (possibly CryptProtectMemory-ed) block: PuTTY hashes
 * the block as an SSH string, so the uint32 length prefix is part of the SHA-256 input.
 */
export function pageantPipeSuffix(protectedBlock: Buffer): string {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(protectedBlock.length);
  return createHash('sha256').update(len).update(protectedBlock).digest('hex');
}

/**
 * The user part of Pageant's names: the user principal name cut at the first '@' when the
 * machine has one (domain accounts), else the plain logon name, as PuTTY does.
 */
export function pageantUsername(userPrincipalName: string | null, logonName: string | null): string {
  if (userPrincipalName) {
    const at = userPrincipalName.indexOf('@');
    const cut = at >= 0 ? userPrincipalName.slice(0, at) : userPrincipalName;
    if (cut) return cut;
  }
  if (logonName) return logonName;
  throw new Error('Windows did not tell the current user name (GetUserNameEx and GetUserName both failed)');
}

/** `\\.\pipe\pageant.<user>.<suffix>`: the name PuTTY 0.75+ tools connect to first. */
export function pageantPipeName(username: string, suffix: string): string {
  return `\\\\.\\pipe\\pageant.${username}.${suffix}`;
}

/** The mutex Pageant holds while deciding at start-up whether it is the server. */
export function pageantMutexName(username: string): string {
  return `Local\\pageant-mutex.${username}`;
}

/** True when a pipe listing entry (name under \\.\pipe\) looks like a Pageant pipe of this user. */
export function isPageantPipeEntry(entry: string, username: string): boolean {
  const prefix = `pageant.${username}.`;
  return entry.startsWith(prefix) && /^[0-9a-f]{64}$/.test(entry.slice(prefix.length));
}
