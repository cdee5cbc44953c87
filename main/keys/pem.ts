// Reader and writer for the PEM family (docs/agent-protocol.md §3.2): PKCS#1, SEC1, traditional DSA,
// PKCS#8 and encrypted PKCS#8. Node's crypto parses the DER; legacy OpenSSL encryption
// (Proc-Type/DEK-Info) is undone here so a wrong passphrase is told apart from a damaged file.
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, pbkdf2, randomBytes, scrypt, type KeyObject } from 'node:crypto';
import { derChildren, derOid, derUint, type DerNode } from './der';
import { corruptKey, unsupportedKey, wrongPassphrase } from './errors';
import { checkConsistency, checkDsaNumbers, fromBig, fromKeyObject, modPow, toBig, toKeyObject, type KeyMaterial } from './material';
import type { KeyFileFormat } from './types';
import type { KeyFileReader, ParsedKey } from './parsed';

interface PemBlock {
  label: string;
  headers: Map<string, string>;
  der: Buffer;
}

const LEGACY_CIPHERS: Record<string, { node: string; keyLen: number; ivLen: number }> = {
  'AES-128-CBC': { node: 'aes-128-cbc', keyLen: 16, ivLen: 16 },
  'AES-192-CBC': { node: 'aes-192-cbc', keyLen: 24, ivLen: 16 },
  'AES-256-CBC': { node: 'aes-256-cbc', keyLen: 32, ivLen: 16 },
  'DES-EDE3-CBC': { node: 'des-ede3-cbc', keyLen: 24, ivLen: 8 },
};

const OIDS: Record<string, string> = {
  '1.2.840.113549.1.5.13': 'PBES2',
  '1.2.840.113549.1.5.12': 'PBKDF2',
  '1.3.6.1.4.1.11591.4.11': 'scrypt',
  '1.2.840.113549.2.7': 'HMAC-SHA1',
  '1.2.840.113549.2.8': 'HMAC-SHA224',
  '1.2.840.113549.2.9': 'HMAC-SHA256',
  '1.2.840.113549.2.10': 'HMAC-SHA384',
  '1.2.840.113549.2.11': 'HMAC-SHA512',
  '2.16.840.1.101.3.4.1.2': 'AES-128-CBC',
  '2.16.840.1.101.3.4.1.22': 'AES-192-CBC',
  '2.16.840.1.101.3.4.1.42': 'AES-256-CBC',
  '1.2.840.113549.3.7': 'DES-EDE3-CBC',
};

const DSA_OID = '1.2.840.10040.4.1';
const PRF_DIGEST: Record<string, string> = { 'HMAC-SHA1': 'sha1', 'HMAC-SHA224': 'sha224', 'HMAC-SHA256': 'sha256', 'HMAC-SHA384': 'sha384', 'HMAC-SHA512': 'sha512' };

/**
 * Costs of encrypted PKCS#8 refused before deriving anything, so a hostile file cannot keep
 * KeyDock busy for hours or take all memory: 10 million PBKDF2 iterations take about 7 s
 * (OpenSSL writes 2048), scrypt may use up to 256 MiB (128·N·r bytes, like the PuTTY Argon2 cap).
 */
export const PKCS8_KDF_LIMITS = { maxPbkdf2Iterations: 10_000_000, maxScryptMemoryBytes: 256 * 1024 * 1024, maxScryptParallelism: 16 };

/** Splits PEM text into its blocks (label, RFC 1421 headers, DER). */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  // Trailing spaces or tabs after a line and CRLF endings are tolerated, as OpenSSL and ssh-keygen do.
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[ \t]*\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const lines = (m[2] as string).split(/\r?\n/).map((l) => l.replace(/[ \t]+$/, ''));
    const headers = new Map<string, string>();
    let i = 0;
    if (lines.some((l) => /^[A-Za-z-]+:/.test(l))) {
      while (i < lines.length && lines[i]!.trim() !== '') {
        const line = lines[i++] as string;
        const c = line.indexOf(':');
        if (c > 0) headers.set(line.slice(0, c).trim(), line.slice(c + 1).trim());
      }
    }
    const b64 = lines.slice(i).join('').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw corruptKey(`The ${m[1]} block contains characters that are not base64.`);
    out.push({ label: m[1] as string, headers, der: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** Opens a PEM private key (any of the labels KeyDock knows). */
export function openPem(text: string, path: string | null): KeyFileReader {
  const blocks = pemBlocks(text).filter((b) => b.label !== 'EC PARAMETERS' && b.label !== 'DSA PARAMETERS');
  const block = blocks[0];
  if (!block) throw corruptKey('The PEM key has no complete BEGIN/END block; the file is cut short.');
  switch (block.label) {
    case 'RSA PRIVATE KEY':
      return traditional(block, 'pem-pkcs1', 'pkcs1', 'ssh-rsa', path);
    case 'EC PRIVATE KEY':
      return traditional(block, 'pem-sec1', 'sec1', null, path);
    case 'DSA PRIVATE KEY':
      return traditional(block, 'pem-pkcs1', 'dsa', 'ssh-dss', path);
    case 'PRIVATE KEY':
      return plainReader('pkcs8', { encrypted: false, cipher: null, kdf: null, kdfCost: null, kdfRounds: null, type: null }, async () => parseDer(block.der, 'pkcs8'));
    case 'ENCRYPTED PRIVATE KEY':
      return encryptedPkcs8(block, path);
    default:
      throw unsupportedKey(`KeyDock cannot read "${block.label}" PEM files.`, 'Convert the key with ssh-keygen -p -f FILE (writes OpenSSH format).');
  }
}

function plainReader(
  format: KeyFileFormat,
  h: { encrypted: boolean; cipher: string | null; kdf: string | null; kdfCost: string | null; kdfRounds: number | null; type: string | null },
  decrypt: (passphrase: string | null) => Promise<ParsedKey>,
): KeyFileReader {
  return { header: { format, publicBlob: null, comment: null, ...h }, decrypt };
}

function traditional(block: PemBlock, format: KeyFileFormat, derType: 'pkcs1' | 'sec1' | 'dsa', type: string | null, path: string | null): KeyFileReader {
  const proc = block.headers.get('Proc-Type');
  const dek = block.headers.get('DEK-Info');
  if (!proc) return plainReader(format, { encrypted: false, cipher: null, kdf: null, kdfCost: null, kdfRounds: null, type }, async () => parseDer(block.der, derType));
  if (proc !== '4,ENCRYPTED' || !dek) throw corruptKey('The PEM key has a Proc-Type header without a proper DEK-Info header.');
  const [cipherName, ivHex] = dek.split(',').map((s) => s.trim()) as [string, string | undefined];
  const spec = LEGACY_CIPHERS[cipherName.toUpperCase()];
  if (!spec) throw unsupportedKey(`The PEM key is encrypted with ${cipherName}, which KeyDock cannot decrypt.`, 'Re-encrypt it in OpenSSH format: ssh-keygen -p -f FILE.');
  if (!ivHex || !/^[0-9a-fA-F]+$/.test(ivHex) || ivHex.length !== spec.ivLen * 2) throw corruptKey('The DEK-Info header of the PEM key has a bad IV.');
  const iv = Buffer.from(ivHex, 'hex');
  return plainReader(format, { encrypted: true, cipher: cipherName.toUpperCase(), kdf: 'MD5 (legacy PEM)', kdfCost: '1 round', kdfRounds: 1, type }, async (passphrase) => {
    const key = evpBytesToKey(Buffer.from(passphrase ?? '', 'utf8'), iv.subarray(0, 8), spec.keyLen);
    let der: Buffer;
    try {
      const d = createDecipheriv(spec.node, key, iv);
      der = Buffer.concat([d.update(block.der), d.final()]);
    } catch {
      throw wrongPassphrase(path);
    }
    try {
      return await parseDer(der, derType);
    } catch (e) {
      // No MAC in this format: DER that does not parse after good padding means a wrong passphrase (docs/agent-protocol.md §3.2).
      if ((e as { code?: string }).code === 'key-unsupported') throw e;
      throw wrongPassphrase(path);
    }
  });
}

/** OpenSSL's EVP_BytesToKey with MD5 and one round, the legacy PEM KDF. */
function evpBytesToKey(pass: Buffer, salt: Buffer, len: number): Buffer {
  const parts: Buffer[] = [];
  let prev = Buffer.alloc(0);
  while (Buffer.concat(parts).length < len) {
    prev = createHash('md5').update(Buffer.concat([prev, pass, salt])).digest();
    parts.push(prev);
  }
  return Buffer.concat(parts).subarray(0, len);
}

function encryptedPkcs8(block: PemBlock, path: string | null): KeyFileReader {
  const params = pkcs8Params(block.der);
  return plainReader('pkcs8-encrypted', { encrypted: true, cipher: params.cipher, kdf: params.kdf, kdfCost: params.cost, kdfRounds: params.rounds, type: null }, async (passphrase) => {
    checkKdfCost(params);
    const pass = Buffer.from(passphrase ?? '', 'utf8');
    if (params.pbes2) {
      // Decrypted here rather than by OpenSSL so the key numbers are checked before anything
      // computes with them (OpenSSL derives a DSA public key as it imports the private key).
      const { derive, cipher, iv, data } = params.pbes2;
      const spec = LEGACY_CIPHERS[cipher]!;
      const key = await derive(pass, spec.keyLen);
      let plain: Buffer;
      try {
        const d = createDecipheriv(spec.node, key, iv);
        plain = Buffer.concat([d.update(data), d.final()]);
      } catch {
        throw wrongPassphrase(path);
      }
      // Bad padding is caught above; DER that is not a PKCS#8 structure means a wrong passphrase too.
      if (!isPkcs8(plain)) throw wrongPassphrase(path);
      return parseDer(plain, 'pkcs8');
    }
    let k: KeyObject;
    try {
      k = createPrivateKey({ key: block.der, format: 'der', type: 'pkcs8', passphrase: pass });
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (code.includes('UNSUPPORTED')) throw unsupportedKey(`The PKCS#8 key uses encryption this system cannot decrypt (${params.kdf}, ${params.cipher}).`, 'Re-encrypt it: ssh-keygen -p -f FILE.');
      throw wrongPassphrase(path);
    }
    return material(k);
  });
}

type Derive = (pass: Buffer, keyLen: number) => Promise<Buffer>;

interface Pkcs8Encryption {
  kdf: string;
  cipher: string;
  cost: string | null;
  rounds: number | null;
  /** scrypt's memory in bytes (128·N·r) and parallelism, checked against the limits before deriving. */
  scrypt?: { memory: number; parallelism: number };
  /** PBES2 with a KDF and cipher KeyDock runs itself; null = left to OpenSSL (PBES1, PKCS#12 PBE). */
  pbes2: { derive: Derive; cipher: string; iv: Buffer; data: Buffer } | null;
}

function checkKdfCost(p: Pkcs8Encryption): void {
  const L = PKCS8_KDF_LIMITS;
  const hint = 'Re-encrypt it with normal settings: ssh-keygen -p -f FILE (writes OpenSSH format).';
  if (p.scrypt) {
    if (p.scrypt.memory > L.maxScryptMemoryBytes || p.scrypt.parallelism > L.maxScryptParallelism) {
      throw unsupportedKey(`The PKCS#8 key asks scrypt for ${Math.round(p.scrypt.memory / 1048576)} MiB and ${p.scrypt.parallelism}-fold parallelism; KeyDock stops at ${L.maxScryptMemoryBytes / 1048576} MiB and ${L.maxScryptParallelism} so a hostile file cannot exhaust memory.`, hint);
    }
  } else if (p.rounds !== null && !(p.rounds <= L.maxPbkdf2Iterations)) {
    throw unsupportedKey(`The PKCS#8 key asks for ${p.rounds} ${p.kdf} iterations; KeyDock stops at ${L.maxPbkdf2Iterations} so a hostile file cannot freeze it.`, hint);
  }
}

/** A DER INTEGER as a JS number (Infinity when it does not fit, so limits still refuse it). */
function derNumber(n: DerNode | undefined): number {
  if (!n || n.tag !== 0x02) throw new Error('expected an INTEGER');
  const v = derUint(n.body);
  return v.length > 6 ? Number.POSITIVE_INFINITY : v.length === 0 ? 0 : v.readUIntBE(0, v.length);
}

function pkcs8Params(der: Buffer): Pkcs8Encryption {
  try {
    const top = derChildren(der)[0];
    const [algId, encrypted] = derChildren(top!.body);
    const [oid, params] = derChildren(algId!.body);
    const scheme = OIDS[derOid(oid!.body)] ?? derOid(oid!.body);
    if (scheme !== 'PBES2') {
      // PBES1 and PKCS#12 schemes: SEQUENCE { salt, iterations }; OpenSSL decrypts them.
      const iter = params ? derChildren(params.body)[1] : undefined;
      const rounds = iter?.tag === 0x02 ? derNumber(iter) : null;
      return { kdf: scheme, cipher: scheme, cost: rounds === null ? null : `${rounds} iterations`, rounds, pbes2: null };
    }
    const [kdfSeq, encSeq] = derChildren(params!.body);
    const [kdfOid, kdfParams] = derChildren(kdfSeq!.body);
    const [encOid, ivNode] = derChildren(encSeq!.body);
    const cipher = OIDS[derOid(encOid!.body)] ?? 'unknown cipher';
    const kdfName = OIDS[derOid(kdfOid!.body)] ?? derOid(kdfOid!.body);
    const kp = derChildren(kdfParams!.body);
    const runnable = !!LEGACY_CIPHERS[cipher] && ivNode?.tag === 0x04 && ivNode.body.length === (LEGACY_CIPHERS[cipher]?.ivLen ?? -1) && encrypted?.tag === 0x04;
    const pbes2 = (derive: Derive) =>
      runnable ? { derive, cipher, iv: Buffer.from(ivNode!.body), data: Buffer.from(encrypted!.body) } : null;
    if (kdfName === 'PBKDF2') {
      const salt = Buffer.from(kp[0]!.body);
      const iter = derNumber(kp[1]);
      const prfNode = kp.find((n) => n.tag === 0x30);
      const prf = prfNode ? (OIDS[derOid(derChildren(prfNode.body)[0]!.body)] ?? 'HMAC') : 'HMAC-SHA1';
      const digest = PRF_DIGEST[prf];
      const derive: Derive = (pass, keyLen) =>
        new Promise<Buffer>((resolve, reject) => pbkdf2(pass, salt, iter, keyLen, digest!, (err, key) => (err ? reject(corruptKey('The PBKDF2 parameters of the PKCS#8 key are invalid.', err)) : resolve(key))));
      return { kdf: `PBKDF2-${prf}`, cipher, cost: `${iter} iterations`, rounds: iter, pbes2: digest ? pbes2(derive) : null };
    }
    if (kdfName === 'scrypt') {
      const salt = Buffer.from(kp[0]!.body);
      const [n, r, p] = [derNumber(kp[1]), derNumber(kp[2]), derNumber(kp[3])];
      const memory = 128 * n * r;
      const derive: Derive = (pass, keyLen) =>
        new Promise<Buffer>((resolve, reject) =>
          scrypt(pass, salt, keyLen, { N: n, r, p, maxmem: PKCS8_KDF_LIMITS.maxScryptMemoryBytes + 16 * 1048576 }, (err, key) => (err ? reject(corruptKey('The scrypt parameters of the PKCS#8 key are invalid.', err)) : resolve(key))),
        );
      return { kdf: 'scrypt', cipher, cost: `N=${n}, r=${r}, p=${p}`, rounds: n, scrypt: { memory, parallelism: p }, pbes2: pbes2(derive) };
    }
    return { kdf: kdfName, cipher, cost: null, rounds: null, pbes2: null };
  } catch {
    throw corruptKey('The encrypted PKCS#8 key is damaged: its encryption parameters do not parse.');
  }
}

/** Whether bytes are one DER SEQUENCE { INTEGER version, SEQUENCE algorithm, OCTET STRING key, … } filling them exactly. */
function isPkcs8(der: Buffer): boolean {
  try {
    const top = derChildren(der);
    if (top.length !== 1 || top[0]!.tag !== 0x30) return false;
    const [version, alg, key] = derChildren(top[0]!.body);
    return version?.tag === 0x02 && alg?.tag === 0x30 && key?.tag === 0x04 && derChildren(alg.body)[0]?.tag === 0x06;
  } catch {
    return false;
  }
}

async function parseDer(der: Buffer, type: 'pkcs1' | 'sec1' | 'pkcs8' | 'dsa'): Promise<ParsedKey> {
  if (type === 'dsa') return dsaTraditional(der);
  // OpenSSL computes y = g^x mod p while importing a DSA key, with no bound on the numbers:
  // read PKCS#8 DSA here, where the numbers are checked first.
  if (type === 'pkcs8' && pkcs8Algorithm(der) === DSA_OID) {
    const m = dsaFromPkcs8(der);
    checkConsistency(m);
    return { material: m, comment: '' };
  }
  let k: KeyObject;
  try {
    k = createPrivateKey({ key: der, format: 'der', type });
  } catch (e) {
    throw corruptKey('The PEM key is damaged: its contents do not parse.', e);
  }
  return material(k);
}

function material(k: KeyObject): ParsedKey {
  const m = k.asymmetricKeyType === 'dsa' ? dsaFromPkcs8(k.export({ format: 'der', type: 'pkcs8' })) : fromKeyObject(k);
  checkConsistency(m);
  return { material: m, comment: '' };
}

/** The algorithm OID of an unencrypted PKCS#8 structure, or null when it does not parse. */
function pkcs8Algorithm(der: Buffer): string | null {
  try {
    const [, alg] = derChildren(derChildren(der)[0]!.body);
    const oid = derChildren(alg!.body)[0];
    return oid?.tag === 0x06 ? derOid(oid.body) : null;
  } catch {
    return null;
  }
}

/** PKCS#8 DSA: parameters p, q, g in the algorithm identifier, x in the octet string; y = g^x mod p once they are in bounds. */
function dsaFromPkcs8(der: Buffer): KeyMaterial {
  let p: Buffer, q: Buffer, g: Buffer, x: Buffer;
  try {
    const [, alg, octet] = derChildren(derChildren(der)[0]!.body);
    const [, params] = derChildren(alg!.body);
    [p, q, g] = derChildren(params!.body).map((n) => derUint(n.body)) as [Buffer, Buffer, Buffer];
    x = derUint(derChildren(octet!.body)[0]!.body);
  } catch (e) {
    throw corruptKey('The DSA key is damaged: its contents do not parse.', e);
  }
  checkDsaNumbers(p, q, g, x, null);
  const y = fromBig(modPow(toBig(g), toBig(x), toBig(p)));
  return { kind: 'dsa', p, q, g, y, x };
}

function dsaTraditional(der: Buffer): ParsedKey {
  let ints: Buffer[];
  try {
    ints = derChildren(derChildren(der)[0]!.body).map((n) => derUint(n.body));
  } catch (e) {
    throw corruptKey('The DSA key is damaged: its contents do not parse.', e);
  }
  if (ints.length !== 6) throw corruptKey('The DSA key does not have the six numbers it needs.');
  const [, p, q, g, y, x] = ints as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  const m: KeyMaterial = { kind: 'dsa', p, q, g, y, x };
  checkConsistency(m);
  return { material: m, comment: '' };
}

/** Writes PEM like `ssh-keygen -m PEM` (PKCS#1/SEC1) or PKCS#8 for Ed25519, encrypted when a passphrase is given. */
export function writePem(m: KeyMaterial, passphrase?: string): string {
  const k = toKeyObject(m);
  if (m.kind === 'ed25519' || m.kind === 'ed448') {
    return k.export(passphrase ? { format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase } : { format: 'pem', type: 'pkcs8' }).toString();
  }
  const type = m.kind === 'rsa' ? 'pkcs1' : 'sec1';
  if (!passphrase) return k.export({ format: 'pem', type }).toString();
  // Legacy PEM encryption is what ssh-keygen -m PEM writes; use AES-128-CBC like it does.
  const der = k.export({ format: 'der', type });
  const iv = randomBytes(16);
  const c = createCipheriv('aes-128-cbc', evpBytesToKey(Buffer.from(passphrase, 'utf8'), iv.subarray(0, 8), 16), iv);
  const enc = Buffer.concat([c.update(der), c.final()]);
  const label = m.kind === 'rsa' ? 'RSA PRIVATE KEY' : 'EC PRIVATE KEY';
  const lines = enc.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,${iv.toString('hex').toUpperCase()}\n\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
