// The one table of SSH key types for display, used by the app's views and the CLI. No zod and
// no Node here: the renderer imports it too.

const CERT_SUFFIX = '-cert-v01@openssh.com';

/**
 * Key families by wire type (with `ssh-` and the certificate suffix cut off), most specific
 * first. `name` is the short name ssh-keygen prints; `sizeInName` marks families whose one
 * size the name already says, so labels leave the bit count out.
 */
const KEY_FAMILIES: ReadonlyArray<{ pattern: RegExp; name: string; sizeInName?: true }> = [
  { pattern: /^sk-ssh-ed25519/, name: 'ED25519-SK', sizeInName: true },
  { pattern: /^ed25519/, name: 'ED25519', sizeInName: true },
  { pattern: /^ed448/, name: 'ED448' },
  { pattern: /^sk-ecdsa/, name: 'ECDSA-SK' },
  { pattern: /^ecdsa/, name: 'ECDSA' },
  { pattern: /^rsa/, name: 'RSA' },
  { pattern: /^dss$/, name: 'DSA' },
];

function family(type: string): { name: string; sizeInName?: true } {
  const t = type.replace(/^ssh-/, '').replace(/-cert-v01@openssh\.com$/, '');
  return KEY_FAMILIES.find((f) => f.pattern.test(t)) ?? { name: t.toUpperCase() };
}

/** Names a key type the way people say it ("ED25519", "RSA 4096", "ECDSA 256"); certificates read as their key. */
export function keyTypeLabel(type: string, bits?: number): string {
  const f = family(type);
  return bits && !f.sizeInName ? `${f.name} ${bits}` : f.name;
}

/** The name `ssh-keygen -l` puts in parentheses: "ED25519", "ECDSA-SK", "RSA-CERT". */
export function sshKeygenTypeName(type: string): string {
  const { name } = family(type);
  return type.endsWith(CERT_SUFFIX) ? `${name}-CERT` : name;
}
