/**
 * Which keys `ssh` would offer to a host, in its order (sshconnect2.c pubkey_prepare):
 * agent keys that match an IdentityFile (agent order), then the agent's other keys (not
 * with IdentitiesOnly), then IdentityFile keys the agent does not hold (config order).
 */
import type { ListedIdentity } from '../agent/codec';
import { blobType, fingerprintSha256 } from '../keys/format';
import type { IdentityFileInfo } from '../keys/identity-file';
import type { PrivateKey } from '../keys/types';

export type { IdentityFileInfo } from '../keys/identity-file';

export interface OfferCandidate {
  blob: Buffer;
  type: string;
  comment: string;
  fingerprint: string;
  source: 'agent' | 'file';
  /** The IdentityFile this key belongs to, when known. */
  path: string | null;
  /** An unencrypted private key read from disk (file keys only); main/keys/sign.ts signs with it. */
  privateKey: PrivateKey | null;
}

/** Builds the ordered list of keys ssh would offer (see the file comment). */
export function orderOffers(agentKeys: ListedIdentity[], files: IdentityFileInfo[], identitiesOnly: boolean): OfferCandidate[] {
  const remainingFiles = files.filter((f) => f.blob !== null);
  const preferred: OfferCandidate[] = [];
  const others: OfferCandidate[] = [];
  for (const k of agentKeys) {
    const idx = remainingFiles.findIndex((f) => (f.blob as Buffer).equals(k.blob));
    const cand: OfferCandidate = {
      blob: k.blob,
      type: blobType(k.blob),
      comment: k.comment,
      fingerprint: fingerprintSha256(k.blob),
      source: 'agent',
      path: null,
      privateKey: null,
    };
    if (idx >= 0) {
      cand.path = (remainingFiles[idx] as IdentityFileInfo).path;
      remainingFiles.splice(idx, 1);
      preferred.push(cand);
    } else if (!identitiesOnly) {
      others.push(cand);
    }
  }
  const fileOffers = remainingFiles.map<OfferCandidate>((f) => ({
    blob: f.blob as Buffer,
    type: blobType(f.blob as Buffer),
    comment: f.comment,
    fingerprint: fingerprintSha256(f.blob as Buffer),
    source: 'file',
    path: f.path,
    privateKey: f.privateKey,
  }));
  return [...preferred, ...others, ...fileOffers];
}
