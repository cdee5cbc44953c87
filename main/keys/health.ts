// Key health: the problems that actually get keys stolen or refused, each with a plain fix.
import type { HealthFinding } from '../../shared/contract/keys';
import type { KeyFileFormat } from './types';

/** Facts a health check needs; everything is optional because some are unknown before decryption. */
export interface HealthInput {
  path: string | null;
  type: string | null;
  bits: number;
  format: KeyFileFormat | string;
  encrypted: boolean;
  kdf: string | null;
  kdfRounds: number | null;
  /** File mode bits (st_mode & 0o777), null on Windows or unknown. */
  mode: number | null;
  /** Certificate validity (seconds since epoch) when a certificate sits beside the key. */
  certificateValidBefore?: number | null;
  now?: number;
}

/** Lists what is wrong with a key file and how to fix it; empty when the key is in good shape. */
export function keyHealth(k: HealthInput): HealthFinding[] {
  const out: HealthFinding[] = [];
  const file = k.path ?? 'the key file';
  const baseType = (k.type ?? '').replace('-cert-v01@openssh.com', '');
  if (baseType === 'ssh-dss') {
    out.push({
      code: 'weak-dsa',
      severity: 'danger',
      message: 'This is a DSA key. DSA is limited to 1024 bits, broken by today\'s standards, and refused by OpenSSH since 7.0.',
      fix: 'Make a new key with keydock keygen, add its public key to your servers and Git hosts, then delete this one.',
    });
  }
  if (baseType === 'ssh-rsa' && k.bits > 0 && k.bits < 2048) {
    out.push({
      code: 'weak-rsa',
      severity: 'danger',
      message: `This RSA key has only ${k.bits} bits; keys under 2048 bits can be broken and many servers refuse them.`,
      fix: 'Make a new key with keydock keygen (Ed25519) and replace this one everywhere it is used.',
    });
  }
  if (k.mode !== null && (k.mode & 0o077) !== 0) {
    out.push({
      code: 'file-permissions',
      severity: 'danger',
      message: `Other users on this computer can ${k.mode & 0o066 ? 'read or change' : 'access'} ${file} (mode ${(k.mode & 0o777).toString(8).padStart(3, '0')}); ssh refuses such keys.`,
      fix: `Make it private: chmod 600 ${k.path ?? 'FILE'}`,
    });
  }
  // A FIDO (sk-) key file holds only a handle: signing needs the authenticator itself, so no passphrase is not a theft risk.
  if (!k.encrypted && !baseType.startsWith('sk-')) {
    out.push({
      code: 'unencrypted',
      severity: 'warning',
      message: 'The private key is stored without a passphrase: anyone who copies the file can use it.',
      fix: `Add a passphrase with ssh-keygen -p -f ${k.path ?? 'FILE'} (KeyDock can remember it in your keychain with --remember).`,
    });
  }
  if (baseType === 'ecdsa-sha2-nistp521' && (k.format === 'ppk2' || k.format === 'ppk3' || k.format === 'pageant')) {
    out.push({
      code: 'putty-p521-cve-2024-31497',
      severity: 'danger',
      message: 'This is a NIST P-521 key from PuTTY. If it ever signed with PuTTY, Pageant, Plink, WinSCP, FileZilla or TortoiseGit 0.68–0.80, its private key can be recovered from about 60 signatures (CVE-2024-31497).',
      fix: 'Replace it: make a new key with keydock keygen, install the new public key, and remove this one from every authorized_keys and Git host.',
    });
  }
  if (k.encrypted && k.kdf === 'MD5 (legacy PEM)') {
    out.push({
      code: 'legacy-pem-encryption',
      severity: 'warning',
      message: 'The passphrase protection uses the old OpenSSL scheme (one round of MD5), which lets attackers try passphrases extremely fast.',
      fix: `Re-encrypt in OpenSSH format: ssh-keygen -p -f ${k.path ?? 'FILE'} (or keydock convert FILE --to openssh).`,
    });
  }
  if (k.encrypted && k.kdf === 'SHA-1 (PPK v2)') {
    out.push({
      code: 'ppk2-weak-kdf',
      severity: 'warning',
      message: 'PuTTY format 2 protects the passphrase with a single SHA-1, which lets attackers try passphrases very fast.',
      fix: 'Save the key again as PPK version 3 (keydock convert FILE --to ppk) or in OpenSSH format.',
    });
  }
  if (k.encrypted && k.kdf === 'bcrypt' && k.kdfRounds !== null && k.kdfRounds < 16) {
    out.push({
      code: 'weak-bcrypt-rounds',
      severity: 'warning',
      message: `The passphrase is stretched with only ${k.kdfRounds} bcrypt rounds (OpenSSH uses 16 or more).`,
      fix: `Re-encrypt with more rounds: ssh-keygen -p -a 24 -f ${k.path ?? 'FILE'}`,
    });
  }
  if (k.certificateValidBefore !== undefined && k.certificateValidBefore !== null) {
    const now = k.now ?? Date.now() / 1000;
    if (k.certificateValidBefore < now) {
      out.push({
        code: 'certificate-expired',
        severity: 'warning',
        message: 'The certificate beside this key has expired; servers will refuse it.',
        fix: 'Ask your certificate authority for a new certificate (e.g. run your SSO login again).',
      });
    }
  }
  return out;
}
