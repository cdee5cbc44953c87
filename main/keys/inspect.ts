// What KeyDock shows about a key file: type, size, comment, protection, permissions and health,
// without ever sending the private key anywhere. Also finds the key files in ~/.ssh.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyFileInfo } from '../../shared/contract/keys';
import { KeyDockError } from '../util/errors';
import { readUserFile, readUserFileHead } from '../util/read-file';
import { describePublicBlob, fingerprintSha256, parsePublicKeyLine, publicKeyLine } from './format';
import { keyHealth } from './health';
import { decryptKeyFile, openKeyData, readCertificateBeside, readKeyFile } from './load';
import { publicBlob } from './material';
import type { PassphraseProvider } from './types';

/** Options of inspectKeyFile. */
export interface InspectOptions {
  /** Decrypts encrypted keys when given (else only public facts are shown). */
  passphrase?: PassphraseProvider | null;
  /** Whether the keychain holds a passphrase for a fingerprint. */
  isRemembered?: (fingerprint: string) => Promise<boolean>;
  platform?: NodeJS.Platform;
}

/** Describes one key file and its health findings; never returns private material. */
export async function inspectKeyFile(path: string, opts: InspectOptions = {}): Promise<KeyFileInfo & { warnings: string[]; certificate: CertificateSummary | null }> {
  const data = await readKeyFile(path);
  const platform = opts.platform ?? process.platform;
  const st = await stat(path);
  const mode = platform === 'win32' ? null : st.mode & 0o777;
  const reader = openKeyData(data, path);
  const h = reader.header;
  let blob = h.publicBlob;
  let comment = h.comment ?? '';
  let warnings: string[] = [];
  if (!h.encrypted || opts.passphrase) {
    const { parsed } = await decryptKeyFile(data, path, opts.passphrase ?? null);
    blob = publicBlob(parsed.material);
    comment = parsed.comment;
    warnings = parsed.warnings ?? [];
  }
  const side = await sidePublic(path);
  if (!blob && side) blob = side.blob;
  if (!comment && side) comment = side.comment;
  const info = blob ? describePublicBlob(blob) : null;
  const fingerprint = blob ? fingerprintSha256(blob) : '';
  const cert = blob ? await readCertificateBeside(path, blob) : null;
  const certInfo = cert ? describePublicBlob(cert.blob).certificate! : null;
  const findings = keyHealth({
    path,
    type: info?.type ?? h.type,
    bits: info?.bits ?? 0,
    format: h.format,
    encrypted: h.encrypted,
    kdf: h.kdf,
    kdfRounds: h.kdfRounds,
    mode,
    certificateValidBefore: certInfo ? certInfo.validBefore : null,
  });
  return {
    path,
    format: h.format,
    type: info?.type ?? h.type ?? 'unknown',
    bits: info?.bits ?? 0,
    comment,
    fingerprint,
    publicKey: blob ? publicKeyLine(blob, comment) : '',
    encrypted: h.encrypted,
    kdf: h.kdf,
    kdfCost: h.kdfCost,
    mode: mode === null ? null : mode.toString(8).padStart(4, '0'),
    remembered: fingerprint && opts.isRemembered ? await opts.isRemembered(fingerprint).catch(() => false) : false,
    findings,
    warnings,
    certificate: cert && certInfo
      ? {
          path: cert.path,
          type: describePublicBlob(cert.blob).type,
          keyId: certInfo.keyId,
          principals: certInfo.principals,
          validAfter: certInfo.validAfter,
          validBefore: Number.isFinite(certInfo.validBefore) ? certInfo.validBefore : null,
          caFingerprint: fingerprintSha256(certInfo.caKeyBlob),
        }
      : null,
  };
}

/** The certificate facts inspect shows (no blob). */
export interface CertificateSummary {
  path: string;
  type: string;
  keyId: string;
  principals: string[];
  validAfter: number;
  /** null = never expires. */
  validBefore: number | null;
  caFingerprint: string;
}

async function sidePublic(path: string): Promise<{ blob: Buffer; comment: string } | null> {
  try {
    return parsePublicKeyLine((await readUserFile(`${path}.pub`, { maxBytes: 65536, what: 'public key file' })).toString('utf8'));
  } catch {
    return null;
  }
}

const NOT_KEYS = new Set(['config', 'known_hosts', 'known_hosts.old', 'known_hosts2', 'authorized_keys', 'authorized_keys2', 'environment', 'rc']);

/** Whether the first bytes of a file look like a private key, read without loading the whole file. */
export async function looksLikePrivateKey(path: string): Promise<boolean> {
  try {
    const head = (await readUserFileHead(path, 64)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    return /^-----BEGIN (([A-Z0-9]+ )*PRIVATE KEY|EC PARAMETERS|DSA PARAMETERS)-----/.test(head) || head.startsWith('PuTTY-User-Key-File-');
  } catch {
    return false;
  }
}

/** Lists the private key files in ~/.ssh with public facts and health, for the Keys screen and `keydock keys list`. */
export async function listKeyFiles(sshDir: string, opts: InspectOptions = {}): Promise<KeyFileInfo[]> {
  let names: string[];
  try {
    names = await readdir(sshDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new KeyDockError('ssh-dir-unreadable', `Could not read ${sshDir}.`, `Check its permissions: chmod 700 ${sshDir}`, { cause: e });
  }
  const out: KeyFileInfo[] = [];
  for (const name of names.sort()) {
    if (name.endsWith('.pub') || name.startsWith('.') || NOT_KEYS.has(name)) continue;
    const path = join(sshDir, name);
    try {
      const st = await stat(path);
      if (!st.isFile() || st.size > 256 * 1024) continue;
    } catch {
      continue;
    }
    if (!(await looksLikePrivateKey(path))) continue;
    try {
      const { warnings: _w, certificate: _c, ...info } = await inspectKeyFile(path, { ...opts, passphrase: null });
      out.push(info);
    } catch (e) {
      // A damaged or unsupported file still shows up, with the reason as a finding.
      const err = e instanceof KeyDockError ? e : null;
      out.push({
        path,
        format: 'unknown',
        type: 'unknown',
        bits: 0,
        comment: '',
        fingerprint: '',
        publicKey: '',
        encrypted: false,
        kdf: null,
        kdfCost: null,
        mode: null,
        remembered: false,
        findings: [{ code: err?.code ?? 'key-unreadable', severity: 'warning', message: err?.message ?? 'KeyDock could not read this key.', fix: err?.hint ?? 'Check the file.' }],
      });
    }
  }
  return out;
}
