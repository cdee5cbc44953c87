/**
 * Which keys `ssh` would offer to a host, in its order (sshconnect2.c pubkey_prepare):
 * agent keys that match an IdentityFile (agent order), then the agent's other keys (not
 * with IdentitiesOnly), then IdentityFile keys the agent does not hold (config order).
 */
import { readFile } from 'node:fs/promises';
import ssh2, { type ParsedKey } from 'ssh2';

const { utils } = ssh2;
import { blobType, fingerprintSha256, parsePublicKeyLine } from '../keys/format';
import type { AgentKey } from './agent-access';

export interface OfferCandidate {
  blob: Buffer;
  type: string;
  comment: string;
  fingerprint: string;
  source: 'agent' | 'file';
  /** The IdentityFile this key belongs to, when known. */
  path: string | null;
  /** An unencrypted private key read from disk (file keys only). */
  privateKey: ParsedKey | null;
}

export interface IdentityFileInfo {
  path: string;
  exists: boolean;
  blob: Buffer | null;
  comment: string;
  /** Private key present but protected by a passphrase (ssh would ask for it). */
  encrypted: boolean;
  privateKey: ParsedKey | null;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** Reads what can be learnt about an IdentityFile without a passphrase: its public key and whether it is encrypted. */
export async function inspectIdentityFile(path: string): Promise<IdentityFileInfo> {
  const info: IdentityFileInfo = { path, exists: false, blob: null, comment: '', encrypted: false, privateKey: null };
  const isPub = path.endsWith('.pub');
  const priv = isPub ? null : await readText(path);
  const pub = await readText(isPub ? path : `${path}.pub`);
  info.exists = priv !== null || pub !== null;
  if (pub !== null) {
    try {
      const p = parsePublicKeyLine(pub);
      info.blob = p.blob;
      info.comment = p.comment;
    } catch {
      // A damaged .pub: fall back to the private key below.
    }
  }
  if (priv !== null) {
    const parsed = utils.parseKey(priv);
    if (parsed instanceof Error) {
      info.encrypted = /passphrase|encrypted/i.test(parsed.message);
    } else if (parsed.isPrivateKey()) {
      info.privateKey = parsed;
      info.blob ??= parsed.getPublicSSH();
      if (!info.comment) info.comment = parsed.comment ?? '';
    }
  }
  return info;
}

/** Builds the ordered list of keys ssh would offer (see the file comment). */
export function orderOffers(agentKeys: AgentKey[], files: IdentityFileInfo[], identitiesOnly: boolean): OfferCandidate[] {
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
