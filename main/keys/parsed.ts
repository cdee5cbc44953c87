// The shape every key file reader returns: what is visible before the passphrase (header) and
// a decrypt step, so callers can show a file, ask for a passphrase once, and retry.
import type { KeyFileFormat } from './types';
import type { KeyMaterial } from './material';

/** Facts readable without the passphrase; used for prompts, `inspect` and health findings. */
export interface KeyFileHeader {
  format: KeyFileFormat;
  encrypted: boolean;
  /** Public blob when the file carries it unencrypted (OpenSSH, PPK), else null. */
  publicBlob: Buffer | null;
  /** Comment when stored in clear (PPK), else null. */
  comment: string | null;
  /** Cipher protecting the private part (`aes256-ctr`, `AES-256-CBC`, …), null when plain. */
  cipher: string | null;
  /** Key derivation: `bcrypt`, `Argon2id`, `PBKDF2-HMAC-SHA256`, `MD5 (legacy PEM)`, `SHA-1 (PPK v2)`. */
  kdf: string | null;
  /** Human cost of that KDF: "24 rounds", "8192 KiB, 21 passes, 1 lane", "2048 iterations". */
  kdfCost: string | null;
  /** Numeric cost for health checks (bcrypt rounds, PBKDF2 iterations, Argon2 passes). */
  kdfRounds: number | null;
  /** Key type known before decryption (from the public blob or the PEM label), else null. */
  type: string | null;
}

/** A fully decrypted and consistency-checked key. */
export interface ParsedKey {
  material: KeyMaterial;
  comment: string;
  /** Things the user should know even though the key loaded (e.g. DSA is deprecated). */
  warnings?: string[];
}

/** One opened key file: header now, private part once given the passphrase (null = none). */
export interface KeyFileReader {
  header: KeyFileHeader;
  /** Throws key-wrong-passphrase when the passphrase does not open the file. */
  decrypt(passphrase: string | null): Promise<ParsedKey>;
}
