// PuTTY private key files, v2 and v3 (docs/agent-protocol.md §3.3). Hand-written: no library reads v3
// or every key type. Nothing from the file is trusted until its MAC verifies.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { corruptKey, unsupportedKey, wrongPassphrase } from './errors';
import { describePublicBlob } from './format';
import { checkConsistency, publicBlob, sshType, type EcCurve, type KeyMaterial } from './material';
import type { KeyFileReader, ParsedKey } from './parsed';
import { WireError, WireReader, mpint, sshString, u32 } from './wire';

/** Refuse Argon2 costs above these so a hostile file cannot exhaust memory or hang the app. */
export const ARGON2_LIMITS = { maxMemoryKiB: 256 * 1024, maxPasses: 1024, maxParallelism: 64, maxWork: 256 * 1024 * 32 };
const MAX_LINES = 1024;

export type Argon2Flavour = 'Argon2id' | 'Argon2i' | 'Argon2d';

interface Argon2Params {
  flavour: Argon2Flavour;
  memory: number;
  passes: number;
  parallelism: number;
  salt: Buffer;
}

/** Parsed PPK text, before anything is decrypted or trusted. */
interface PpkFile {
  version: 2 | 3;
  algorithm: string;
  encryption: 'none' | 'aes256-cbc';
  comment: string;
  publicBlob: Buffer;
  argon2: Argon2Params | null;
  privateBlob: Buffer;
  mac: Buffer;
}

/** Opens a PuTTY key file: header (public key, comment, KDF) now, private part after the MAC checks out. */
export function openPpk(text: string, path: string | null): KeyFileReader {
  const f = parsePpkText(text);
  const encrypted = f.encryption !== 'none';
  let type: string;
  try {
    type = describePublicBlob(f.publicBlob).type;
  } catch (e) {
    if ((e as { code?: string }).code === 'key-unsupported') throw unsupportedKey(`KeyDock cannot use PuTTY "${f.algorithm}" keys.`);
    throw e;
  }
  if (type !== f.algorithm) throw corruptKey(`The PuTTY key says "${f.algorithm}" but its public key is "${type}".`);
  const kdf = encrypted ? (f.version === 3 ? f.argon2!.flavour : 'SHA-1 (PPK v2)') : null;
  const a = f.argon2;
  return {
    header: {
      format: f.version === 3 ? 'ppk3' : 'ppk2',
      encrypted,
      publicBlob: f.publicBlob,
      comment: f.comment,
      cipher: encrypted ? 'aes256-cbc' : null,
      kdf,
      kdfCost: a ? `${a.memory} KiB, ${a.passes} passes, ${a.parallelism} lane${a.parallelism === 1 ? '' : 's'}` : encrypted ? '1 round' : null,
      kdfRounds: a ? a.passes : encrypted ? 1 : null,
      type,
    },
    async decrypt(passphrase: string | null): Promise<ParsedKey> {
      const pass = encrypted ? (passphrase ?? '') : '';
      if (encrypted && pass === '') throw wrongPassphrase(path);
      const keys = await deriveKeys(f, pass);
      let priv = f.privateBlob;
      if (encrypted) {
        if (priv.length === 0 || priv.length % 16 !== 0) throw corruptKey('The encrypted part of the PuTTY key is not a whole number of blocks; the file is cut short.');
        const d = createDecipheriv('aes-256-cbc', keys.cipherKey, keys.iv);
        d.setAutoPadding(false);
        priv = Buffer.concat([d.update(priv), d.final()]);
      }
      const macOk = (comment: string) => {
        const mac = createHmac(f.version === 3 ? 'sha256' : 'sha1', keys.macKey).update(macInput(f.algorithm, f.encryption, comment, f.publicBlob, priv)).digest();
        return mac.length === f.mac.length && timingSafeEqual(mac, f.mac);
      };
      let macGood = macOk(f.comment);
      if (!macGood && f.comment !== f.comment.trimEnd() && macOk(f.comment.trimEnd())) {
        f.comment = f.comment.trimEnd();
        macGood = true;
      }
      if (!macGood) {
        if (encrypted) throw wrongPassphrase(path);
        throw corruptKey('The PuTTY key fails its integrity check (Private-MAC); the file was changed or damaged.');
      }
      // A PPK may hold a certificate (PuTTYgen --certificate): the public part is then the whole
      // certificate, the private part that of the certified key (docs/agent-protocol.md §3.3).
      const cert = certifiedKey(f.publicBlob);
      const material = cert ? readPpkPrivate(cert.type, cert.blob, priv, encrypted) : readPpkPrivate(f.algorithm, f.publicBlob, priv, encrypted);
      checkConsistency(material);
      const warnings = material.kind === 'dsa' ? ['DSA keys are deprecated and refused by current OpenSSH servers; replace this key.'] : [];
      const parsed: ParsedPpkKey = { material, comment: f.comment, warnings };
      if (cert) parsed.certificate = f.publicBlob;
      return parsed;
    },
  };
}

/** A key read from a PPK; `certificate` is the certificate blob when the file holds one. */
export interface ParsedPpkKey extends ParsedKey {
  certificate?: Buffer;
}

/** The certified key of a certificate blob, or null when the blob is a plain key. */
function certifiedKey(blob: Buffer): { type: string; blob: Buffer } | null {
  const info = describePublicBlob(blob);
  return info.isCertificate && info.certifiedKeyBlob ? { type: info.keyType, blob: info.certifiedKeyBlob } : null;
}

function parsePpkText(text: string): PpkFile {
  const lines = text.split(/\r\n|\r|\n/);
  let i = 0;
  const header = (name: string): string => {
    const line = lines[i++];
    if (line === undefined) throw corruptKey(`The PuTTY key ends before its "${name}" line; the file is cut short.`);
    const prefix = `${name}: `;
    if (!line.startsWith(prefix)) throw corruptKey(`The PuTTY key has "${line.slice(0, 40)}" where "${name}:" belongs.`);
    // Trailing spaces and tabs (an editor's, a mail client's) are dropped, except from the comment,
    // whose exact bytes the MAC covers (decrypt tries it as written, then trimmed).
    return name === 'Comment' ? line.slice(prefix.length) : line.slice(prefix.length).replace(/[ \t]+$/, '');
  };
  const first = /^PuTTY-User-Key-File-(\d+): (.*?)[ \t]*$/.exec(lines[i++] ?? '');
  if (!first) throw corruptKey('The file does not start with a PuTTY key header.');
  const version = Number(first[1]);
  if (version === 1) throw unsupportedKey('This is a PuTTY key in the very old format 1, which KeyDock cannot read.', 'Open it in PuTTYgen 0.75 or newer and save it again.');
  if (version !== 2 && version !== 3) throw unsupportedKey(`This PuTTY key uses format version ${version}, which KeyDock does not know.`, 'Save it from PuTTYgen as a version 3 (or 2) key: Key > Parameters for saving key files.');
  const algorithm = first[2] as string;
  const encryption = header('Encryption');
  if (encryption !== 'none' && encryption !== 'aes256-cbc') throw unsupportedKey(`The PuTTY key uses encryption "${encryption}", which KeyDock does not know.`, 'Save it again with PuTTYgen.');
  const comment = header('Comment');
  const publicBlob = base64Lines(lines, () => i, (n) => (i = n), Number(header('Public-Lines')), 'public');
  let argon2: Argon2Params | null = null;
  if (version === 3 && encryption !== 'none') {
    const flavour = header('Key-Derivation');
    if (flavour !== 'Argon2id' && flavour !== 'Argon2i' && flavour !== 'Argon2d') throw unsupportedKey(`The PuTTY key uses key derivation "${flavour}", which KeyDock does not know.`, 'Save it again with PuTTYgen.');
    const num = (name: string) => {
      const v = header(name);
      if (!/^\d{1,10}$/.test(v)) throw corruptKey(`The PuTTY key's ${name} is not a number.`);
      return Number(v);
    };
    const memory = num('Argon2-Memory');
    const passes = num('Argon2-Passes');
    const parallelism = num('Argon2-Parallelism');
    const saltHex = header('Argon2-Salt');
    if (!/^([0-9a-fA-F]{2})+$/.test(saltHex)) throw corruptKey("The PuTTY key's Argon2-Salt is not hexadecimal.");
    argon2 = { flavour, memory, passes, parallelism, salt: Buffer.from(saltHex, 'hex') };
  }
  const privateBlob = base64Lines(lines, () => i, (n) => (i = n), Number(header('Private-Lines')), 'private');
  const macHex = header('Private-MAC');
  const macLen = version === 3 ? 64 : 40;
  if (macHex.length !== macLen || !/^[0-9a-fA-F]+$/.test(macHex)) throw corruptKey('The Private-MAC line of the PuTTY key is damaged.');
  if (lines.slice(i).some((l) => l.trim() !== '')) throw corruptKey('The PuTTY key has unexpected lines after Private-MAC.');
  return { version, algorithm, encryption, comment, publicBlob, argon2, privateBlob, mac: Buffer.from(macHex, 'hex') };
}

function base64Lines(lines: string[], get: () => number, set: (n: number) => void, count: number, what: string): Buffer {
  if (!Number.isInteger(count) || count < 0 || count > MAX_LINES) throw corruptKey(`The PuTTY key's ${what} line count is invalid.`);
  const start = get();
  if (start + count > lines.length) throw corruptKey(`The PuTTY key ends inside its ${what} lines; the file is cut short.`);
  const b64 = lines.slice(start, start + count).map((l) => l.replace(/[ \t]+$/, '')).join('');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw corruptKey(`The ${what} lines of the PuTTY key are not valid base64.`);
  set(start + count);
  return Buffer.from(b64, 'base64');
}

async function deriveKeys(f: PpkFile, pass: string): Promise<{ cipherKey: Buffer; iv: Buffer; macKey: Buffer }> {
  const passBuf = Buffer.from(pass, 'utf8');
  if (f.version === 2) {
    const sha1 = (...parts: Buffer[]) => createHash('sha1').update(Buffer.concat(parts)).digest();
    return {
      cipherKey: Buffer.concat([sha1(u32(0), passBuf), sha1(u32(1), passBuf)]).subarray(0, 32),
      iv: Buffer.alloc(16),
      macKey: sha1(Buffer.from('putty-private-key-file-mac-key'), passBuf),
    };
  }
  if (!f.argon2) return { cipherKey: Buffer.alloc(32), iv: Buffer.alloc(16), macKey: Buffer.alloc(0) };
  const out = await argon2(f.argon2, passBuf, 80);
  return { cipherKey: out.subarray(0, 32), iv: out.subarray(32, 48), macKey: out.subarray(48, 80) };
}

/** Runs PuTTY's Argon2 within KeyDock's cost limits. */
async function argon2(p: Argon2Params, pass: Buffer, length: number): Promise<Buffer> {
  const L = ARGON2_LIMITS;
  if (p.memory > L.maxMemoryKiB || p.passes > L.maxPasses || p.parallelism > L.maxParallelism || p.memory * p.passes > L.maxWork) {
    throw unsupportedKey(
      `The PuTTY key asks for an Argon2 cost far above normal (${p.memory} KiB, ${p.passes} passes, ${p.parallelism} lanes); KeyDock refuses it so a hostile file cannot exhaust memory.`,
      `Save it again in PuTTYgen with default settings (8192 KiB). KeyDock accepts up to ${L.maxMemoryKiB} KiB and ${L.maxPasses} passes.`,
    );
  }
  if (p.passes < 1 || p.parallelism < 1 || p.memory < 8 * p.parallelism) throw corruptKey('The Argon2 parameters of the PuTTY key are invalid.');
  if (p.salt.length < 8) throw unsupportedKey('The PuTTY key has an Argon2 salt shorter than 8 bytes, which KeyDock cannot use.', 'Save it again with PuTTYgen.');
  // Loaded on first use: its WebAssembly costs every CLI start ~0.1 s otherwise.
  const { argon2d, argon2i, argon2id } = await import('hash-wasm');
  const fn = p.flavour === 'Argon2id' ? argon2id : p.flavour === 'Argon2i' ? argon2i : argon2d;
  const out = await fn({ password: pass, salt: p.salt, iterations: p.passes, parallelism: p.parallelism, memorySize: p.memory, hashLength: length, outputType: 'binary' });
  return Buffer.from(out);
}

function macInput(algorithm: string, encryption: string, comment: string, pub: Buffer, priv: Buffer): Buffer {
  return Buffer.concat([sshString(algorithm), sshString(encryption), sshString(comment), sshString(pub), sshString(priv)]);
}

function readPpkPrivate(algorithm: string, pub: Buffer, priv: Buffer, encrypted: boolean): KeyMaterial {
  try {
    const p = new WireReader(pub);
    p.text();
    const r = new WireReader(priv);
    let m: KeyMaterial;
    switch (algorithm) {
      case 'ssh-rsa': {
        const e = p.mpint();
        const n = p.mpint();
        m = { kind: 'rsa', n, e, d: r.mpint(), p: r.mpint(), q: r.mpint(), iqmp: r.mpint() };
        break;
      }
      case 'ssh-dss':
        m = { kind: 'dsa', p: p.mpint(), q: p.mpint(), g: p.mpint(), y: p.mpint(), x: r.mpint() };
        break;
      case 'ecdsa-sha2-nistp256':
      case 'ecdsa-sha2-nistp384':
      case 'ecdsa-sha2-nistp521':
        m = { kind: 'ecdsa', curve: p.text() as EcCurve, q: Buffer.from(p.string()), d: Buffer.from(r.mpint()) };
        break;
      case 'ssh-ed25519':
      case 'ssh-ed448': {
        const size = algorithm === 'ssh-ed25519' ? 32 : 57;
        const pubKey = Buffer.from(p.string());
        const seed = Buffer.from(r.string());
        if (seed.length !== size) throw corruptKey(`The ${algorithm} private key in the PuTTY file has the wrong size.`);
        m = { kind: algorithm === 'ssh-ed25519' ? 'ed25519' : 'ed448', seed, pub: pubKey };
        break;
      }
      default:
        throw unsupportedKey(`KeyDock cannot use PuTTY "${algorithm}" keys.`);
    }
    p.end('PuTTY public key');
    if (r.remaining > (encrypted ? 15 : 0)) throw corruptKey('The private part of the PuTTY key has unexpected trailing data.');
    return m;
  } catch (e) {
    if (e instanceof WireError) throw corruptKey(`The private part of the PuTTY key is damaged (${e.message}).`, e);
    throw e;
  }
}

function ppkPrivateBlob(m: KeyMaterial): Buffer {
  switch (m.kind) {
    case 'rsa':
      return Buffer.concat([mpint(m.d), mpint(m.p), mpint(m.q), mpint(m.iqmp)]);
    case 'ecdsa':
      return mpint(m.d);
    case 'ed25519':
    case 'ed448':
      return sshString(m.seed);
    case 'dsa':
      throw unsupportedKey('KeyDock does not write DSA private keys: DSA is broken and current servers refuse it.', 'Generate a new key with keydock keygen.');
    case 'sk-ed25519':
    case 'sk-ecdsa':
      throw unsupportedKey('PuTTY cannot use FIDO security keys (sk- keys), so KeyDock does not write them as PPK.', 'Keep the OpenSSH file; convert it to OpenSSH format or a public key instead.');
  }
}

/** Options for writing PPK files; defaults match PuTTYgen (v3, Argon2id, 8192 KiB, 1 lane). */
export interface PpkWriteOptions {
  version?: 2 | 3;
  passphrase?: string;
  flavour?: Argon2Flavour;
  memoryKiB?: number;
  passes?: number;
  parallelism?: number;
}

/** Writes a PuTTY key file so users can take a key back to PuTTY, Pageant, WinSCP or FileZilla. */
export async function writePpk(m: KeyMaterial, comment: string, opts: PpkWriteOptions = {}): Promise<string> {
  const version = opts.version ?? 3;
  const algorithm = sshType(m);
  const encrypted = !!opts.passphrase;
  const encryption = encrypted ? 'aes256-cbc' : 'none';
  const cleanComment = comment.replace(/[\r\n]+/g, ' ');
  const pub = publicBlob(m);
  let priv = ppkPrivateBlob(m);
  if (encrypted && priv.length % 16 !== 0) {
    // PuTTY pads with the start of SHA-1(blob) rather than random bytes; do the same.
    const need = 16 - (priv.length % 16);
    priv = Buffer.concat([priv, createHash('sha1').update(priv).digest().subarray(0, need)]);
  }
  const argon: Argon2Params | null =
    version === 3 && encrypted
      ? { flavour: opts.flavour ?? 'Argon2id', memory: opts.memoryKiB ?? 8192, passes: opts.passes ?? 21, parallelism: opts.parallelism ?? 1, salt: randomBytes(16) }
      : null;
  const f: PpkFile = { version, algorithm, encryption, comment: cleanComment, publicBlob: pub, argon2: argon, privateBlob: priv, mac: Buffer.alloc(0) };
  const keys = await deriveKeys(f, opts.passphrase ?? '');
  const mac = createHmac(version === 3 ? 'sha256' : 'sha1', keys.macKey).update(macInput(algorithm, encryption, cleanComment, pub, priv)).digest('hex');
  let stored = priv;
  if (encrypted) {
    const c = createCipheriv('aes-256-cbc', keys.cipherKey, keys.iv);
    c.setAutoPadding(false);
    stored = Buffer.concat([c.update(priv), c.final()]);
  }
  const b64 = (b: Buffer) => b.toString('base64').match(/.{1,64}/g) ?? [];
  const pubLines = b64(pub);
  const privLines = b64(stored);
  const out = [`PuTTY-User-Key-File-${version}: ${algorithm}`, `Encryption: ${encryption}`, `Comment: ${cleanComment}`, `Public-Lines: ${pubLines.length}`, ...pubLines];
  if (argon) {
    out.push(`Key-Derivation: ${argon.flavour}`, `Argon2-Memory: ${argon.memory}`, `Argon2-Passes: ${argon.passes}`, `Argon2-Parallelism: ${argon.parallelism}`, `Argon2-Salt: ${argon.salt.toString('hex')}`);
  }
  out.push(`Private-Lines: ${privLines.length}`, ...privLines, `Private-MAC: ${mac}`);
  return `${out.join('\n')}\n`;
}
