import type { PrivateKeyNumbers } from '../../keys/key-objects';
import { publicBlob, type KeyMaterial } from '../../keys/material';
import { signingNumbers, type SecurityKeyMaterial } from '../../keys/sign';

/** A key as it arrived in ADD_IDENTITY: what to list and what to sign with. */
export interface AddedKey {
  type: string;
  publicBlob: Buffer;
  /** The private numbers of a software key; null for a FIDO key, which has none here. */
  numbers: PrivateKeyNumbers | null;
  /** A FIDO (sk-) key: its public half, application, flags and key handle (copies, not views). */
  securityKey?: SecurityKeyMaterial;
}

/** Key types the agent can hold; anything else is refused on add (docs/agent-protocol.md §1.4: unknown type → FAILURE). */
export const SUPPORTED_KEY_TYPES: ReadonlySet<string> = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-ed25519-cert-v01@openssh.com',
  'ssh-rsa-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
]);

/** Why a key type is refused, in the words the activity log shows. */
export function unsupportedKeyType(type: string): { error: string } {
  return { error: `KeyDock's agent does not hold ${type.slice(0, 80)} keys` };
}

/**
 * The agent's view of key fields the codec parsed (main/keys/material.ts reads them, so there
 * is one private-field parser). Certificates are listed as the certificate blob; plain keys as
 * the blob rebuilt from their numbers, which for the minimal encoding every client uses is the
 * blob the client itself computes.
 *
 * `numbers` are views into the request body (Buffers, never strings); the server zeroes that
 * body after the add, so they live only as long as it takes to build the signer. A security
 * key's fields are copies (material.ts copies them as it reads), kept for every signature.
 */
export function addedKey(type: string, material: KeyMaterial, certificate: Buffer | null): AddedKey | { error: string } {
  if (!SUPPORTED_KEY_TYPES.has(type)) return unsupportedKeyType(type);
  const blob = certificate ? Buffer.from(certificate) : publicBlob(material);
  if (material.kind === 'sk-ed25519' || material.kind === 'sk-ecdsa') return { type, publicBlob: blob, numbers: null, securityKey: material };
  const numbers = signingNumbers(material);
  if (!numbers) return unsupportedKeyType(type);
  // A copy: the request body the certificate was read from is zeroed once the add is answered.
  return { type, publicBlob: blob, numbers };
}

/** Zeroes the secret numbers of an added key once its signer exists (or the add was refused). */
export function wipeNumbers(numbers: PrivateKeyNumbers | null): void {
  switch (numbers?.kind) {
    case 'ed25519':
      numbers.seed.fill(0);
      break;
    case 'ecdsa':
      numbers.d.fill(0);
      break;
    case 'rsa':
      for (const b of [numbers.d, numbers.p, numbers.q, numbers.iqmp]) b.fill(0);
      break;
    default:
      break;
  }
}
