import { existsSync } from 'node:fs';

// Which FIDO provider library KeyDock's agent would load here (docs/hardware-keys.md §2.2). Kept
// apart from ./sk-provider.ts so that showing a key (inspect, the key list) never loads koffi.

/**
 * Where OpenSSH's own libfido2 provider is looked for when a key names the "internal" provider
 * and SSH_SK_PROVIDER is unset: OpenSSH's libfido2 provider built as a library (libsk-libfido2.so
 * / .dylib; some distributions install it, or it is built from OpenSSH's source with
 * --with-security-key-standalone).
 */
export const LIBFIDO2_PROVIDER_CANDIDATES: Record<string, readonly string[]> = {
  linux: ['/usr/lib/x86_64-linux-gnu/libsk-libfido2.so', '/usr/lib/aarch64-linux-gnu/libsk-libfido2.so', '/usr/lib64/libsk-libfido2.so', '/usr/lib/libsk-libfido2.so', '/usr/local/lib/libsk-libfido2.so', '/usr/libexec/openssh/libsk-libfido2.so'],
  darwin: ['/opt/homebrew/lib/libsk-libfido2.dylib', '/usr/local/lib/libsk-libfido2.dylib', '/opt/homebrew/lib/sk-libfido2.dylib', '/usr/local/lib/sk-libfido2.dylib'],
};

/**
 * The provider KeyDock's agent signs through for a key added with `provider` (the add request's
 * sk-provider@openssh.com; "internal" or null = OpenSSH's built-in one): a named library as is;
 * else SSH_SK_PROVIDER from the agent's environment; else a libsk-libfido2 found on this system;
 * else null (this OS has no provider KeyDock can load: use ssh-agent, or a non-sk key). Windows
 * has none: its OpenSSH signs through Windows Hello inside its own ssh-sk-helper.
 */
export function resolveSkProvider(provider: string | null, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | null {
  if (platform === 'win32') return null;
  if (provider && provider.toLowerCase() !== 'internal') return provider;
  if (env.SSH_SK_PROVIDER) return env.SSH_SK_PROVIDER;
  return (LIBFIDO2_PROVIDER_CANDIDATES[platform] ?? []).find((p) => existsSync(p)) ?? null;
}
