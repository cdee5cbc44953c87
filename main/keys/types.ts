import type { KeyMaterial } from './material';

/**
 * A private key loaded from any file format, reduced to what agents need.
 * The wire fields are exactly the ADD_IDENTITY body (docs/agent-protocol.md §1.4) without the
 * comment, so adding to an agent is `string comment` away.
 */
export interface PrivateKey {
  /** Wire algorithm name, e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, or a `-cert-v01@openssh.com` type. */
  type: string;
  /** Public key blob as agents list it (the certificate blob for certificates). */
  publicBlob: Buffer;
  /** `string type` followed by the private key fields (docs/agent-protocol.md §1.4); the agent ADD body minus the comment. */
  agentFields: Buffer;
  comment: string;
  /** Key size in bits (RSA modulus, EC curve size, 256 for ed25519). */
  bits: number;
  /** Where it came from, for display and health checks; never the content. */
  source: { path: string | null; format: KeyFileFormat; encrypted: boolean };
  /**
   * Set on the certificate variant only: the plain key it certifies, so callers can add both
   * (as `ssh-add` does) and fall back to the plain key when the certificate expired.
   */
  plain?: PrivateKey;
  /** Set on the certificate variant only: the `-cert.pub` file it came from. */
  certificatePath?: string;
  /** The raw numbers, set by keys/load.ts so conversions need not re-parse agentFields. */
  material?: KeyMaterial;
}

export type KeyFileFormat = 'openssh' | 'pem-pkcs1' | 'pem-sec1' | 'pkcs8' | 'pkcs8-encrypted' | 'ppk2' | 'ppk3' | 'generated';

/** Asked for a passphrase only when the file is encrypted; `attempt` counts wrong tries. */
export type PassphraseProvider = (info: { path: string | null; fingerprint: string | null; comment: string | null; attempt: number }) => Promise<string | null>;

/** Error codes keys/ throws (KeyDockError.code): three distinct failures, per docs/architecture.md §8.1. */
export const KeyErrorCode = {
  wrongPassphrase: 'key-wrong-passphrase',
  corrupt: 'key-corrupt',
  unsupported: 'key-unsupported',
  passphraseNeeded: 'key-passphrase-needed',
  notFound: 'key-file-not-found',
  unreadable: 'key-file-unreadable',
  notAKey: 'key-file-not-a-key',
} as const;
