// PKCS#11 providers loaded by KeyDock's own agent (ssh-add -s / -e, keydock add --pkcs11): the
// token's RSA and ECDSA keys become agent keys whose signatures are made on the token
// (docs/hardware-keys.md, docs/agent-protocol.md §1.11). What OpenSSH's ssh-pkcs11.c does, in
// KeyDock's terms: the provider path is checked against the -P allow-list (realpath first), the
// user logs in with the PIN from the request, public key objects (and the keys of X.509
// certificates) are listed, and each signature finds the private key with the same CKA_ID.
//
// A pulled and reinserted card: a signature whose session has gone (CKR_DEVICE_REMOVED,
// CKR_SESSION_HANDLE_INVALID, …) reopens it, re-initialising the module when the token is not
// found at first, and logs in again with the PIN kept for that (in memory only, as bytes, wiped on
// remove, lock and exit). A token still missing fails that one signature; the agent carries on.
import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { KeyDockError } from '../../util/errors';
import { CKA, CKC_X_509, CKF_TOKEN, CKK, CKM, CKO, Pkcs11CallError, Pkcs11Module, pkcs11Error, tokenGone } from '../../platform/pkcs11';
import { SIGN_FLAG_RSA_SHA2_256, SIGN_FLAG_RSA_SHA2_512, type Signer } from '../../keys/sign';
import { mpint, sshString } from '../../keys/wire';
import { askpassLine } from './askpass';
import { checkProvider } from './provider-allowlist';
import { defaultPkcs11Allowlist } from './pkcs11-paths';

export { defaultPkcs11Allowlist };
import { fingerprintOf } from './public-key';

type Curve = 'nistp256' | 'nistp384' | 'nistp521';

/** DER of the named-curve OIDs in CKA_EC_PARAMS, and each curve's hash and field size. */
const CURVES: Array<{ curve: Curve; oid: string; hash: string; bytes: number; bits: number }> = [
  { curve: 'nistp256', oid: '06082a8648ce3d030107', hash: 'sha256', bytes: 32, bits: 256 },
  { curve: 'nistp384', oid: '06052b81040022', hash: 'sha384', bytes: 48, bits: 384 },
  { curve: 'nistp521', oid: '06052b81040023', hash: 'sha512', bytes: 66, bits: 521 },
];

/** DigestInfo prefixes for RSA PKCS#1 v1.5 with CKM_RSA_PKCS (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<string, Buffer> = {
  sha1: Buffer.from('3021300906052b0e03021a05000414', 'hex'),
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

/** A key found on a token, ready for the keystore. */
export interface SmartcardKey {
  publicBlob: Buffer;
  type: string;
  fingerprint: string;
  /** The token's label for the object (CKA_LABEL, or an X.509 certificate's subject). */
  label: string;
  signer: Signer;
}

interface TokenRef {
  label: string;
  serial: string;
  slot: bigint;
  session: bigint | null;
  /** Counts the sessions opened: a key handle found in an earlier one is looked up again. */
  generation: number;
}

interface KeyRef {
  token: TokenRef;
  id: Buffer;
  keyType: number;
  /** The private key object, found in session `handleGeneration` of its token; found again after a reopen. */
  handle: bigint | null;
  handleGeneration: number;
  alwaysAuthenticate: boolean;
}

class LoadedProvider {
  /** The PIN of the last successful login, for logging in again after a reinsert. Wiped by `forgetPin`. */
  pin: Buffer | null;
  readonly tokens: TokenRef[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    readonly module: Pkcs11Module,
    pin: Buffer,
  ) {
    this.pin = pin.length > 0 ? Buffer.from(pin) : null;
  }

  /** One operation on the module at a time (sessions are not shared between threads). */
  serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => {});
    return next;
  }

  forgetPin(): void {
    this.pin?.fill(0);
    this.pin = null;
  }

  close(): void {
    this.forgetPin();
    for (const t of this.tokens) t.session = null;
    try {
      this.module.finalize();
    } catch {
      // Nothing more to do for a module that failed to finalize.
    }
  }
}

export interface Pkcs11ProvidersOptions {
  /** ssh-agent's -P list; default `/usr/lib*\/*,/usr/local/lib*\/*` (plus the usual macOS and Windows folders). */
  allowlist?: string;
  /** Asks for a token's PIN when a signature needs a login and the agent has no PIN (after a lock, for a reinserted card). */
  pinAsker?: PinAsker;
  /** Test hook: how a module is opened. */
  open?: (path: string) => Pkcs11Module;
}

/** Resolves to the PIN as bytes, or null when the person declined or did not answer. */
export type PinAsker = (prompt: { provider: string; token: string }, signal: AbortSignal) => Promise<Buffer | null>;

/** How long a PIN question waits for an answer. */
const PIN_TIMEOUT_MS = 60_000;

/**
 * Asks with `$SSH_ASKPASS` as ssh-agent's own prompts do (the question as argument, the answer on
 * stdout, exit 0); null when askpass cannot run here (no display, SSH_ASKPASS_REQUIRE=never).
 */
export function askpassPinAsker(env: NodeJS.ProcessEnv): PinAsker {
  return (prompt, signal) => askpassLine(env, `Enter PIN for the token "${prompt.token}" (${prompt.provider}) to use its keys again:`, { maxBytes: 1024 }, signal);
}


/** The PKCS#11 providers one agent has loaded, by canonical path. */
export class Pkcs11Providers {
  private readonly providers = new Map<string, LoadedProvider>();
  private closing: Promise<unknown> = Promise.resolve();
  private readonly allowlist: string;
  private readonly open: (path: string) => Pkcs11Module;
  private readonly pinAsker: PinAsker | null;

  constructor(options: Pkcs11ProvidersOptions = {}) {
    this.allowlist = options.allowlist ?? defaultPkcs11Allowlist();
    this.open = options.open ?? ((p) => Pkcs11Module.open(p));
    this.pinAsker = options.pinAsker ?? null;
  }

  /** The canonical path of an allowed provider, or why it is refused (ssh-agent's realpath + match_pattern_list). */
  check(path: string): { ok: true; path: string } | { ok: false; reason: string } {
    return checkProvider(path, this.allowlist);
  }

  loaded(canonical: string): boolean {
    return this.providers.has(canonical);
  }

  /**
   * Loads an allowed provider (canonical path from `check`), logs in to each token with `pin`
   * and returns its keys. Throws KeyDockError (`pkcs11-…` codes: wrong PIN, locked PIN, library
   * missing, no keys); the module is finalized again on any failure.
   */
  async add(canonical: string, pin: Buffer): Promise<SmartcardKey[]> {
    if (this.providers.has(canonical)) throw new KeyDockError('pkcs11-already-added', `${canonical} is already added.`, 'Remove it first (ssh-add -e, keydock remove --pkcs11) to add it again.');
    const module = this.open(canonical);
    const provider = new LoadedProvider(canonical, module, pin);
    try {
      const keys = await provider.serial(async () => this.loadKeys(provider, pin));
      if (keys.length === 0) throw new KeyDockError('pkcs11-no-keys', `No RSA or ECDSA keys were found on the token(s) of ${canonical}.`, 'Check that the card holds a key (pkcs11-tool --list-objects) and that the PIN was given.');
      this.providers.set(canonical, provider);
      return keys;
    } catch (e) {
      provider.close();
      throw pkcs11Error(e, canonical);
    }
  }

  /** Closes a provider and wipes its PIN; false when it was not loaded. */
  remove(canonical: string): boolean {
    const p = this.providers.get(canonical);
    if (!p) return false;
    this.providers.delete(canonical);
    const closed = p.serial(async () => p.close());
    this.closing = Promise.all([this.closing, closed.catch(() => {})]);
    return true;
  }

  /** Resolves once every removed provider is closed. */
  settled(): Promise<void> {
    return this.closing.then(() => undefined);
  }

  /** The agent was locked: PINs go; a later reopen logs in only with a PIN given again. */
  forgetPins(): void {
    for (const p of this.providers.values()) p.forgetPin();
  }

  /** Closes every provider (agent stopping). */
  dispose(): void {
    for (const path of [...this.providers.keys()]) this.remove(path);
  }

  get paths(): string[] {
    return [...this.providers.keys()];
  }

  private loadKeys(provider: LoadedProvider, pin: Buffer): SmartcardKey[] {
    const m = provider.module;
    const keys: SmartcardKey[] = [];
    const seen = new Set<string>();
    for (const slot of m.slots()) {
      const info = m.tokenInfo(slot);
      if (!(info.flags & CKF_TOKEN.TOKEN_INITIALIZED)) continue;
      const token: TokenRef = { label: info.label, serial: info.serial, slot, session: m.openSession(slot), generation: 0 };
      provider.tokens.push(token);
      const session = token.session as bigint;
      if (info.flags & CKF_TOKEN.LOGIN_REQUIRED) {
        // As ssh-pkcs11.c: an empty PIN logs in only on a PIN pad (protected authentication path).
        if (pin.length > 0) m.login(session, pin);
        else if (info.flags & CKF_TOKEN.PROTECTED_AUTHENTICATION_PATH) m.login(session, null);
      }
      const add = (k: Omit<SmartcardKey, 'signer'> & { id: Buffer; keyType: number; bits: number }) => {
        const blobKey = k.publicBlob.toString('latin1');
        if (seen.has(blobKey)) return;
        seen.add(blobKey);
        const ref: KeyRef = { token, id: k.id, keyType: k.keyType, handle: null, handleGeneration: 0, alwaysAuthenticate: false };
        keys.push({ publicBlob: k.publicBlob, type: k.type, fingerprint: k.fingerprint, label: k.label, signer: new TokenSigner(this, provider, ref, k.type, k.bits) });
      };
      for (const obj of m.findObjects(session, [{ type: CKA.CLASS, ulong: CKO.PUBLIC_KEY }])) {
        const [keyType, id, label, modulus, exponent, ecParams, ecPoint] = m.attributes(session, obj, [CKA.KEY_TYPE, CKA.ID, CKA.LABEL, CKA.MODULUS, CKA.PUBLIC_EXPONENT, CKA.EC_PARAMS, CKA.EC_POINT]);
        const pub = publicFromAttributes(keyType ?? null, modulus ?? null, exponent ?? null, ecParams ?? null, ecPoint ?? null);
        if (pub && id) add({ ...pub, id, label: label?.toString('utf8') ?? '' });
      }
      for (const obj of m.findObjects(session, [{ type: CKA.CLASS, ulong: CKO.CERTIFICATE }, { type: CKA.CERTIFICATE_TYPE, ulong: CKC_X_509 }])) {
        const [id, value] = m.attributes(session, obj, [CKA.ID, CKA.VALUE]);
        if (!id || !value) continue;
        const pub = publicFromCertificate(value);
        if (pub) add({ ...pub, id });
      }
    }
    return keys;
  }

  /** Signs with a token key, reopening the session once if the token went away meanwhile. */
  sign(provider: LoadedProvider, key: KeyRef, mechanism: number, data: Buffer, maxLength: number): Promise<Buffer> {
    return provider.serial(async () => {
      if (!this.providers.has(provider.path)) throw new KeyDockError('pkcs11-removed', `${provider.path} was removed from the agent.`);
      for (let attempt = 0; ; attempt++) {
        try {
          const { session, handle } = await this.ready(provider, key, attempt > 0);
          return await provider.module.sign(session, handle, mechanism, data, maxLength, key.alwaysAuthenticate ? provider.pin : undefined);
        } catch (e) {
          // A pulled card shows as an error code, a missing token or (SoftHSM) its objects gone: the session is
          // dropped, so this signature (once) or the next one looks for the token afresh.
          const gone = (e instanceof Pkcs11CallError && tokenGone(e.rv)) || (e instanceof KeyDockError && (e.code === 'pkcs11-token-missing' || e.code === 'pkcs11-key-missing'));
          if (gone) this.drop(provider, key.token);
          if (attempt === 0 && gone) continue;
          throw pkcs11Error(e, provider.path);
        }
      }
    });
  }

  /** A logged-in session and the private key's handle; after a failure, the token is looked for afresh. */
  private async ready(provider: LoadedProvider, key: KeyRef, reopening: boolean): Promise<{ session: bigint; handle: bigint }> {
    const m = provider.module;
    const token = key.token;
    if (token.session === null) {
      let slot = findToken(m, token);
      if (slot === null && reopening) {
        // A module may only see a reinserted token (a new slot) after C_Finalize + C_Initialize.
        m.reinitialize();
        for (const t of provider.tokens) t.session = null;
        slot = findToken(m, token);
      }
      if (slot === null) throw new KeyDockError('pkcs11-token-missing', `The token "${token.label}" of ${provider.path} is not present.`, 'Insert the card or security key and try again.');
      token.slot = slot;
      const session = m.openSession(slot);
      try {
        const info = m.tokenInfo(slot);
        if (info.flags & CKF_TOKEN.LOGIN_REQUIRED) {
          if (!provider.pin && !(info.flags & CKF_TOKEN.PROTECTED_AUTHENTICATION_PATH)) provider.pin = await this.askPin(provider, token);
          if (provider.pin) {
            try {
              m.login(session, provider.pin);
            } catch (e) {
              // A PIN that no longer works is not tried again (a card locks after a few).
              provider.forgetPin();
              throw e;
            }
          } else if (info.flags & CKF_TOKEN.PROTECTED_AUTHENTICATION_PATH) m.login(session, null);
          else throw new KeyDockError('pkcs11-pin-needed', `The token "${token.label}" needs its PIN again (it was reinserted or the agent was locked).`, 'Add the card again: ssh-add -e and ssh-add -s, or keydock add --pkcs11.');
        }
      } catch (e) {
        m.closeSession(session);
        throw e;
      }
      token.session = session;
      token.generation++;
    }
    const session = token.session;
    if (key.handle === null || key.handleGeneration !== token.generation) {
      const found = m.findObjects(session, [
        { type: CKA.CLASS, ulong: CKO.PRIVATE_KEY },
        { type: CKA.ID, bytes: key.id },
      ], 1);
      if (found.length === 0) throw new KeyDockError('pkcs11-key-missing', `The private key is no longer on the token "${token.label}".`, 'Check the card, then remove and add it again.');
      key.handle = found[0] as bigint;
      key.handleGeneration = token.generation;
      const [always] = m.attributes(session, key.handle, [CKA.ALWAYS_AUTHENTICATE]);
      key.alwaysAuthenticate = Boolean(always && always[0]);
    }
    return { session, handle: key.handle };
  }

  /** The PIN from the person (askpass, the window), when the agent has none; null when nobody answered in time. */
  private async askPin(provider: LoadedProvider, token: TokenRef): Promise<Buffer | null> {
    if (!this.pinAsker) return null;
    const signal = AbortSignal.timeout(PIN_TIMEOUT_MS);
    const pin = await this.pinAsker({ provider: provider.path, token: token.label }, signal).catch(() => null);
    return pin && pin.length > 0 ? pin : null;
  }

  private drop(provider: LoadedProvider, token: TokenRef): void {
    if (token.session !== null) {
      try {
        provider.module.closeSession(token.session);
      } catch {
        // The session is gone already.
      }
    }
    token.session = null;
  }
}

/**
 * Tries a provider here first, with no allow-list, and closes it again: the library loads, the PIN
 * logs in, the token holds keys. Throws the KeyDockError that says which of these failed; a wrong
 * PIN costs the one try an agent would have used (the agent is then not asked).
 */
export async function probeProvider(path: string, pin: Buffer): Promise<{ path: string; keys: SmartcardKey[] }> {
  let canonical: string;
  try {
    canonical = realpathSync(path);
  } catch {
    throw new KeyDockError('pkcs11-library-missing', `The PKCS#11 library ${path} does not exist.`, 'Check the path; `keydock pkcs11-providers` lists the common ones found on this system.', { exitCode: 2 });
  }
  const providers = new Pkcs11Providers({ allowlist: '*' });
  const keys = await providers.add(canonical, pin);
  providers.remove(canonical);
  await providers.settled();
  return { path: canonical, keys };
}

function findToken(m: Pkcs11Module, token: TokenRef): bigint | null {
  let slots: bigint[];
  try {
    slots = m.slots();
  } catch {
    return null;
  }
  for (const slot of slots) {
    try {
      const info = m.tokenInfo(slot);
      if (info.label === token.label && info.serial === token.serial) return slot;
    } catch (e) {
      if (!(e instanceof Pkcs11CallError)) throw e;
    }
  }
  return null;
}

/** A signer whose private key stays on the token. */
class TokenSigner implements Signer {
  readonly kind: Signer['kind'];
  constructor(
    private readonly owner: Pkcs11Providers,
    private readonly provider: LoadedProvider,
    private readonly key: KeyRef,
    private readonly type: string,
    readonly bits: number,
  ) {
    this.kind = key.keyType === CKK.RSA ? 'rsa' : 'ecdsa';
  }

  async sign(data: Buffer, flags: number): Promise<Buffer> {
    if (this.key.keyType === CKK.RSA) {
      const [alg, hash] = flags & SIGN_FLAG_RSA_SHA2_256 ? ['rsa-sha2-256', 'sha256'] : flags & SIGN_FLAG_RSA_SHA2_512 ? ['rsa-sha2-512', 'sha512'] : ['ssh-rsa', 'sha1'];
      const digestInfo = Buffer.concat([DIGEST_INFO[hash as string] as Buffer, createHash(hash as string).update(data).digest()]);
      const bytes = Math.ceil(this.bits / 8);
      let sig = await this.owner.sign(this.provider, this.key, CKM.RSA_PKCS, digestInfo, Math.max(bytes, 512));
      if (sig.length < bytes) sig = Buffer.concat([Buffer.alloc(bytes - sig.length), sig]);
      return Buffer.concat([sshString(alg as string), sshString(sig)]);
    }
    const c = CURVES.find((x) => `ecdsa-sha2-${x.curve}` === this.type) as (typeof CURVES)[number];
    const digest = createHash(c.hash).update(data).digest();
    const raw = await this.owner.sign(this.provider, this.key, CKM.ECDSA, digest, 2 * c.bytes + 16);
    if (raw.length % 2 !== 0) throw new KeyDockError('pkcs11-failed', 'The token returned an ECDSA signature of odd length.');
    const half = raw.length / 2;
    return Buffer.concat([sshString(this.type), sshString(Buffer.concat([mpint(raw.subarray(0, half)), mpint(raw.subarray(half))]))]);
  }
}

type PublicFacts = { publicBlob: Buffer; type: string; fingerprint: string; keyType: number; bits: number };

function rsaFacts(n: Buffer, e: Buffer): PublicFacts {
  const blob = Buffer.concat([sshString('ssh-rsa'), mpint(e), mpint(n)]);
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  const bits = (n.length - i - 1) * 8 + (32 - Math.clz32(n[i] ?? 0));
  return { publicBlob: blob, type: 'ssh-rsa', fingerprint: fingerprintOf(blob), keyType: CKK.RSA, bits };
}

function ecFacts(curve: (typeof CURVES)[number], point: Buffer): PublicFacts | null {
  if (point.length !== 2 * curve.bytes + 1 || point[0] !== 0x04) return null;
  const type = `ecdsa-sha2-${curve.curve}`;
  const blob = Buffer.concat([sshString(type), sshString(curve.curve), sshString(point)]);
  return { publicBlob: blob, type, fingerprint: fingerprintOf(blob), keyType: CKK.EC, bits: curve.bits };
}

/** The SSH public key of a CKO_PUBLIC_KEY object's attributes; null for other key types and curves. */
export function publicFromAttributes(keyType: Buffer | null, modulus: Buffer | null, exponent: Buffer | null, ecParams: Buffer | null, ecPoint: Buffer | null): PublicFacts | null {
  if (!keyType || keyType.length === 0) return null;
  const kt = keyType.length >= 8 ? Number(keyType.readBigUInt64LE(0)) : keyType.readUInt32LE(0);
  if (kt === CKK.RSA && modulus && exponent && modulus.length > 0) return rsaFacts(modulus, exponent);
  if (kt === CKK.EC && ecParams && ecPoint) {
    const curve = CURVES.find((c) => c.oid === ecParams.toString('hex'));
    if (!curve) return null;
    return ecFacts(curve, unwrapPoint(ecPoint, curve.bytes));
  }
  return null;
}

/** CKA_EC_POINT is a DER OCTET STRING holding the point (PKCS#11 v2.40); some modules give the bare point. */
function unwrapPoint(v: Buffer, fieldBytes: number): Buffer {
  const bare = 2 * fieldBytes + 1;
  if (v.length === bare) return v;
  if (v[0] !== 0x04) return v;
  let off = 2;
  let len = v[1] as number;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | (v[2 + i] as number);
    off = 2 + n;
  }
  return v.subarray(off, off + len);
}

/** The SSH public key in an X.509 certificate on the token (RSA or a NIST curve), labelled with its subject. */
function publicFromCertificate(der: Buffer): (PublicFacts & { label: string }) | null {
  try {
    const cert = new X509Certificate(der);
    const jwk = createPublicKey(cert.publicKey).export({ format: 'jwk' });
    const label = cert.subject.replace(/\n/g, ', ');
    if (jwk.kty === 'RSA' && jwk.n && jwk.e) return { ...rsaFacts(Buffer.from(jwk.n, 'base64url'), Buffer.from(jwk.e, 'base64url')), label };
    if (jwk.kty === 'EC' && jwk.x && jwk.y) {
      const curve = CURVES.find((c) => ({ 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' })[jwk.crv as string] === c.curve);
      if (!curve) return null;
      const x = Buffer.from(jwk.x, 'base64url');
      const y = Buffer.from(jwk.y, 'base64url');
      const pad = (b: Buffer) => Buffer.concat([Buffer.alloc(curve.bytes - b.length), b]);
      const facts = ecFacts(curve, Buffer.concat([Buffer.from([4]), pad(x), pad(y)]));
      return facts ? { ...facts, label } : null;
    }
  } catch {
    // Not a certificate Node can read: skipped, as ssh-pkcs11.c skips what it cannot parse.
  }
  return null;
}

