// Where PKCS#11 providers usually live, and how a listed key shows it lives on a token
// (docs/hardware-keys.md). Plain path facts: nothing here loads a library.
import { accessSync, constants } from 'node:fs';
import { DEFAULT_PROVIDER_ALLOWLIST } from './provider-allowlist';

export interface ProviderCandidate {
  path: string;
  /** What it is, in words for a picker. */
  name: string;
}

/** The common provider libraries per OS: OpenSC, Yubico's ykcs11 (yubico-piv-tool), SoftHSM (tests, development). */
export function commonPkcs11Providers(platform: NodeJS.Platform = process.platform): ProviderCandidate[] {
  const opensc = 'OpenSC (most PIV/CAC smartcards, YubiKey PIV)';
  const ykcs11 = 'Yubico ykcs11 (YubiKey PIV, from yubico-piv-tool)';
  const softhsm = 'SoftHSM 2 (software token for testing)';
  if (platform === 'win32') {
    return [
      { path: 'C:\\Windows\\System32\\opensc-pkcs11.dll', name: opensc },
      { path: 'C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll', name: opensc },
      { path: 'C:\\Program Files\\Yubico\\Yubico PIV Tool\\bin\\libykcs11.dll', name: ykcs11 },
      { path: 'C:\\SoftHSM2\\lib\\softhsm2-x64.dll', name: softhsm },
    ];
  }
  if (platform === 'darwin') {
    return [
      { path: '/Library/OpenSC/lib/opensc-pkcs11.so', name: opensc },
      { path: '/usr/local/lib/opensc-pkcs11.so', name: opensc },
      { path: '/opt/homebrew/lib/opensc-pkcs11.so', name: opensc },
      { path: '/usr/local/lib/libykcs11.dylib', name: ykcs11 },
      { path: '/opt/homebrew/lib/libykcs11.dylib', name: ykcs11 },
      { path: '/opt/homebrew/lib/softhsm/libsofthsm2.so', name: softhsm },
      { path: '/usr/local/lib/softhsm/libsofthsm2.so', name: softhsm },
    ];
  }
  return [
    { path: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so', name: opensc },
    { path: '/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so', name: opensc },
    { path: '/usr/lib64/opensc-pkcs11.so', name: opensc },
    { path: '/usr/lib/opensc-pkcs11.so', name: opensc },
    { path: '/usr/lib/x86_64-linux-gnu/libykcs11.so', name: ykcs11 },
    { path: '/usr/lib/aarch64-linux-gnu/libykcs11.so', name: ykcs11 },
    { path: '/usr/lib64/libykcs11.so', name: ykcs11 },
    { path: '/usr/local/lib/libykcs11.so', name: ykcs11 },
    { path: '/usr/lib/softhsm/libsofthsm2.so', name: softhsm },
    { path: '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', name: softhsm },
    { path: '/usr/lib64/pkcs11/libsofthsm2.so', name: softhsm },
    { path: '/usr/local/lib/softhsm/libsofthsm2.so', name: softhsm },
  ];
}

/** The common providers that exist on this system. */
export function installedPkcs11Providers(platform: NodeJS.Platform = process.platform, exists: (p: string) => boolean = readable): ProviderCandidate[] {
  return commonPkcs11Providers(platform).filter((c) => exists(c.path));
}

function readable(p: string): boolean {
  try {
    accessSync(p, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The provider a listed key came from, when its comment is a provider library's path: KeyDock's
 * agent names card keys so, and so does ssh-agent for a key without a label. Null otherwise.
 */
export function smartcardProviderOf(comment: string): string | null {
  if (!/^(\/|[A-Za-z]:\\)/.test(comment) || /[\r\n]/.test(comment)) return null;
  return /\.(so(\.\d+)*|dylib|dll)$/i.test(comment) ? comment : null;
}

/** The allow-list used when `-P` gives none: ssh-agent's, and the folders card middleware installs to on macOS and Windows. */
export function defaultPkcs11Allowlist(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return `${DEFAULT_PROVIDER_ALLOWLIST},/opt/homebrew/lib/*,/opt/homebrew/Cellar/*,/Library/OpenSC/lib/*,/usr/local/Cellar/*`;
  if (platform === 'win32') return 'C:\\Windows\\System32\\*,C:\\Program Files\\*,C:\\Program Files (x86)\\*';
  return DEFAULT_PROVIDER_ALLOWLIST;
}
