import koffi from 'koffi';
import { KeyDockError } from '../util/errors';

// The PKCS#11 (Cryptoki) C API, bound through koffi (docs/architecture.md §8.2: FFI without a
// compiler), for KeyDock's own agent to serve keys that live on a smartcard, a YubiKey's PIV
// applet or any other token (docs/hardware-keys.md). Only what an SSH agent needs: slots, token
// info, sessions, login, finding objects, reading attributes, signing.
//
// Two ABI facts decide every layout here (PKCS#11 v2.40 §2, pkcs11.h):
// - CK_ULONG is C's `unsigned long`: 8 bytes on 64-bit Linux and macOS, 4 on Windows (LLP64).
// - Windows modules are built with 1-byte structure packing (`#pragma pack(push, cryptoki, 1)`);
//   elsewhere structures are naturally aligned. So CK_FUNCTION_LIST's first function pointer sits
//   right after the 2-byte CK_VERSION on Windows and at the pointer size elsewhere.
// The structures KeyDock passes (CK_ATTRIBUTE, CK_MECHANISM, CK_C_INITIALIZE_ARGS) are therefore
// written byte by byte from these two sizes instead of through koffi struct types.

export const CKR = {
  OK: 0x0,
  HOST_MEMORY: 0x2,
  SLOT_ID_INVALID: 0x3,
  GENERAL_ERROR: 0x5,
  FUNCTION_FAILED: 0x6,
  ARGUMENTS_BAD: 0x7,
  ATTRIBUTE_SENSITIVE: 0x11,
  ATTRIBUTE_TYPE_INVALID: 0x12,
  DEVICE_ERROR: 0x30,
  DEVICE_MEMORY: 0x31,
  DEVICE_REMOVED: 0x32,
  FUNCTION_CANCELED: 0x50,
  KEY_HANDLE_INVALID: 0x60,
  MECHANISM_INVALID: 0x70,
  OBJECT_HANDLE_INVALID: 0x82,
  PIN_INCORRECT: 0xa0,
  PIN_INVALID: 0xa1,
  PIN_LEN_RANGE: 0xa2,
  PIN_EXPIRED: 0xa3,
  PIN_LOCKED: 0xa4,
  SESSION_CLOSED: 0xb0,
  SESSION_HANDLE_INVALID: 0xb3,
  TOKEN_NOT_PRESENT: 0xe0,
  TOKEN_NOT_RECOGNIZED: 0xe1,
  USER_ALREADY_LOGGED_IN: 0x100,
  USER_NOT_LOGGED_IN: 0x101,
  USER_PIN_NOT_INITIALIZED: 0x102,
  BUFFER_TOO_SMALL: 0x150,
  CRYPTOKI_NOT_INITIALIZED: 0x190,
  CRYPTOKI_ALREADY_INITIALIZED: 0x191,
} as const;

export const CKA = {
  CLASS: 0x0,
  TOKEN: 0x1,
  PRIVATE: 0x2,
  LABEL: 0x3,
  VALUE: 0x11,
  CERTIFICATE_TYPE: 0x80,
  KEY_TYPE: 0x100,
  SUBJECT: 0x101,
  ID: 0x102,
  SIGN: 0x108,
  MODULUS: 0x120,
  PUBLIC_EXPONENT: 0x122,
  EC_PARAMS: 0x180,
  EC_POINT: 0x181,
  ALWAYS_AUTHENTICATE: 0x202,
} as const;

export const CKO = { CERTIFICATE: 1, PUBLIC_KEY: 2, PRIVATE_KEY: 3 } as const;
export const CKK = { RSA: 0, EC: 3 } as const;
export const CKC_X_509 = 0;
export const CKM = { RSA_PKCS: 0x1, ECDSA: 0x1041 } as const;
const CKU_USER = 1;
const CKU_CONTEXT_SPECIFIC = 2;
const CKF_RW_SESSION = 0x2;
const CKF_SERIAL_SESSION = 0x4;
const CKF_OS_LOCKING_OK = 0x2;
/** CK_TOKEN_INFO flags. */
export const CKF_TOKEN = {
  LOGIN_REQUIRED: 0x4,
  USER_PIN_INITIALIZED: 0x8,
  PROTECTED_AUTHENTICATION_PATH: 0x100,
  TOKEN_INITIALIZED: 0x400,
  USER_PIN_FINAL_TRY: 0x20000,
  USER_PIN_LOCKED: 0x40000,
} as const;

/** CK_FUNCTION_LIST slots (PKCS#11 v2.40 order) of the functions KeyDock calls. */
const FN = {
  C_Initialize: 0,
  C_Finalize: 1,
  C_GetSlotList: 4,
  C_GetTokenInfo: 6,
  C_OpenSession: 12,
  C_CloseSession: 13,
  C_Login: 18,
  C_Logout: 19,
  C_GetAttributeValue: 24,
  C_FindObjectsInit: 26,
  C_FindObjects: 27,
  C_FindObjectsFinal: 28,
  C_SignInit: 42,
  C_Sign: 43,
} as const;

/** CK_ULONG and pointer sizes, and whether structures are packed (Windows). */
const UL = koffi.sizeof('unsigned long');
const PS = koffi.sizeof('void *');
const PACKED = process.platform === 'win32';
/** CK_UNAVAILABLE_INFORMATION: ~0 as a CK_ULONG. */
const UNAVAILABLE = UL === 8 ? 0xffffffffffffffffn : 0xffffffffn;

const align = (n: number, to: number) => (PACKED ? n : Math.ceil(n / to) * to);
/** CK_ATTRIBUTE / CK_MECHANISM: { CK_ULONG type; void *p; CK_ULONG len; }. */
const TRIPLE_PTR = align(UL, PS);
const TRIPLE_LEN = TRIPLE_PTR + PS;
const TRIPLE_SIZE = align(TRIPLE_LEN + UL, Math.max(UL, PS));

function writeUl(buf: Buffer, off: number, v: number | bigint): void {
  if (UL === 8) buf.writeBigUInt64LE(BigInt(v), off);
  else buf.writeUInt32LE(Number(v), off);
}
function readUl(buf: Buffer, off: number): bigint {
  return UL === 8 ? buf.readBigUInt64LE(off) : BigInt(buf.readUInt32LE(off));
}
function writePtr(buf: Buffer, off: number, addr: bigint): void {
  if (PS === 8) buf.writeBigUInt64LE(addr, off);
  else buf.writeUInt32LE(Number(addr), off);
}

/** A CK_RV that is not CKR_OK, with the function that returned it. */
export class Pkcs11CallError extends Error {
  constructor(
    readonly fn: string,
    readonly rv: number,
  ) {
    super(`${fn} failed: ${ckrName(rv)}`);
    this.name = 'Pkcs11CallError';
  }
}

export function ckrName(rv: number): string {
  for (const [name, v] of Object.entries(CKR)) if (v === rv) return `CKR_${name}`;
  return `CK_RV 0x${rv.toString(16)}`;
}

/** Return values that mean "the token went away" (pulled card, reinserted card, reset reader). */
export function tokenGone(rv: number): boolean {
  return (
    rv === CKR.DEVICE_REMOVED ||
    rv === CKR.TOKEN_NOT_PRESENT ||
    rv === CKR.TOKEN_NOT_RECOGNIZED ||
    rv === CKR.SESSION_HANDLE_INVALID ||
    rv === CKR.SESSION_CLOSED ||
    rv === CKR.USER_NOT_LOGGED_IN ||
    rv === CKR.OBJECT_HANDLE_INVALID ||
    rv === CKR.KEY_HANDLE_INVALID ||
    rv === CKR.SLOT_ID_INVALID ||
    rv === CKR.DEVICE_ERROR ||
    rv === CKR.CRYPTOKI_NOT_INITIALIZED
  );
}

/** A PKCS#11 failure in words people can act on, as a KeyDockError (`pkcs11-…` codes). */
export function pkcs11Error(e: unknown, provider: string): KeyDockError {
  if (e instanceof KeyDockError) return e;
  if (!(e instanceof Pkcs11CallError)) return new KeyDockError('pkcs11-failed', `The PKCS#11 provider ${provider} failed: ${e instanceof Error ? e.message : String(e)}`, 'Check that the token is inserted and the provider is the right one for it.', { cause: e });
  switch (e.rv) {
    case CKR.PIN_INCORRECT:
      return new KeyDockError('pkcs11-pin-incorrect', 'Wrong PIN for the token.', 'Try again with the right PIN; a token locks itself after a few wrong ones (often 3).', { cause: e });
    case CKR.PIN_LOCKED:
      return new KeyDockError('pkcs11-pin-locked', 'The token’s PIN is locked (too many wrong PINs).', 'Unlock it with the PUK or the security officer PIN, using the token vendor’s tool (yubico-piv-tool, pkcs11-tool --unlock-pin).', { cause: e });
    case CKR.PIN_EXPIRED:
      return new KeyDockError('pkcs11-pin-expired', 'The token’s PIN has expired.', 'Set a new PIN with the token vendor’s tool, then add the token again.', { cause: e });
    case CKR.PIN_INVALID:
    case CKR.PIN_LEN_RANGE:
      return new KeyDockError('pkcs11-pin-incorrect', 'The token does not accept this PIN (invalid characters or length).', 'Check the PIN; a PIV PIN is 6 to 8 characters.', { cause: e });
    case CKR.TOKEN_NOT_PRESENT:
    case CKR.DEVICE_REMOVED:
    case CKR.TOKEN_NOT_RECOGNIZED:
      return new KeyDockError('pkcs11-token-missing', 'No token is present (the card or key was removed).', 'Insert the card or security key and try again.', { cause: e });
    default:
      return new KeyDockError('pkcs11-failed', `The PKCS#11 provider ${provider} failed: ${e.message}.`, 'Check that the token is inserted and the provider is the right one for it.', { cause: e });
  }
}

type Fn = (...args: unknown[]) => number;
interface AsyncFn {
  async: (...args: unknown[]) => void;
}

const U = 'unsigned long';
const P = 'void *';
const outUl = () => koffi.out(koffi.pointer(U));
const inoutUl = () => koffi.inout(koffi.pointer(U));
// Anonymous prototypes: koffi's type names are global to the process, and this module may be
// evaluated more than once in one process (tests).
const protos = {
  C_Initialize: koffi.proto(U, [P]),
  C_Finalize: koffi.proto(U, [P]),
  C_GetSlotList: koffi.proto(U, ['uint8_t', P, inoutUl()]),
  C_GetTokenInfo: koffi.proto(U, [U, P]),
  C_OpenSession: koffi.proto(U, [U, U, P, P, outUl()]),
  C_CloseSession: koffi.proto(U, [U]),
  C_Login: koffi.proto(U, [U, U, 'const uint8_t *', U]),
  C_Logout: koffi.proto(U, [U]),
  C_GetAttributeValue: koffi.proto(U, [U, U, P, U]),
  C_FindObjectsInit: koffi.proto(U, [U, P, U]),
  C_FindObjects: koffi.proto(U, [U, P, U, outUl()]),
  C_FindObjectsFinal: koffi.proto(U, [U]),
  C_SignInit: koffi.proto(U, [U, P, U]),
  C_Sign: koffi.proto(U, [U, 'const uint8_t *', U, P, inoutUl()]),
};
const getFunctionListProto = 'unsigned long C_GetFunctionList(_Out_ void **list)';

/** One attribute to match in C_FindObjectsInit: a CK_ULONG, a CK_BBOOL or bytes. */
export type AttributeValue = { type: number; ulong: number } | { type: number; bool: boolean } | { type: number; bytes: Buffer };

export interface TokenInfo {
  label: string;
  serial: string;
  flags: number;
}

/** Loaded libraries stay loaded (unloading a module whose threads may still run can crash the process); one per canonical path. */
const libraries = new Map<string, koffi.IKoffiLib>();
/**
 * Cryptoki state is per process: a second user of the same library in this process (the window's
 * check before an add, next to the app's own agent) must not C_Finalize the first one's sessions.
 */
const users = new Map<string, number>();

/**
 * One PKCS#11 module, initialised. All calls are synchronous except `sign`, which runs on a koffi
 * worker thread (a card can take a second to sign); callers serialise their use of a session.
 */
export class Pkcs11Module {
  private readonly fns: Record<keyof typeof protos, Fn>;
  private finalized = false;

  private constructor(
    readonly path: string,
    list: unknown,
  ) {
    const fns = {} as Record<keyof typeof protos, Fn>;
    const first = PACKED ? 2 : PS;
    for (const name of Object.keys(protos) as Array<keyof typeof protos>) {
      const ptr = koffi.decode(list, first + FN[name] * PS, 'void *');
      if (ptr === null) throw new KeyDockError('pkcs11-not-a-module', `${path} is not a complete PKCS#11 module (${name} is missing).`, 'Name the module of your card’s middleware, e.g. opensc-pkcs11.so or libykcs11.so.');
      fns[name] = koffi.decode(ptr, protos[name]) as Fn;
    }
    this.fns = fns;
  }

  /**
   * Loads the library at `path` (already canonical and allow-listed by the caller), gets its
   * function list and initialises it with OS locking, as ssh-pkcs11.c does.
   */
  static open(path: string): Pkcs11Module {
    let lib = libraries.get(path);
    if (!lib) {
      try {
        lib = koffi.load(path);
      } catch (e) {
        throw new KeyDockError('pkcs11-library-missing', `The PKCS#11 library ${path} could not be loaded: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`, 'Check the path, that the library is installed (OpenSC, ykcs11, your card vendor’s middleware) and built for this system.', { cause: e });
      }
      libraries.set(path, lib);
    }
    let getFunctionList: Fn;
    try {
      getFunctionList = lib.func(getFunctionListProto) as Fn;
    } catch (e) {
      throw new KeyDockError('pkcs11-not-a-module', `${path} is not a PKCS#11 module (it has no C_GetFunctionList).`, 'Name the module of your card’s middleware, e.g. opensc-pkcs11.so or libykcs11.so.', { cause: e });
    }
    const out: unknown[] = [null];
    const rv = getFunctionList(out);
    if (rv !== CKR.OK || out[0] === null) throw pkcs11Error(new Pkcs11CallError('C_GetFunctionList', rv), path);
    const module = new Pkcs11Module(path, out[0]);
    module.initialize();
    return module;
  }

  private initialize(): void {
    // CK_C_INITIALIZE_ARGS: four mutex callbacks (NULL), CK_FLAGS flags, void *pReserved.
    const flagsOff = 4 * PS;
    const reservedOff = align(flagsOff + UL, PS);
    const args = Buffer.alloc(align(reservedOff + PS, Math.max(UL, PS)));
    writeUl(args, flagsOff, CKF_OS_LOCKING_OK);
    const rv = this.fns.C_Initialize(args);
    if (rv !== CKR.OK && rv !== CKR.CRYPTOKI_ALREADY_INITIALIZED) throw pkcs11Error(new Pkcs11CallError('C_Initialize', rv), this.path);
    this.finalized = false;
    users.set(this.path, (users.get(this.path) ?? 0) + 1);
  }

  /**
   * C_Finalize then C_Initialize: the module forgets every session and looks at its slots afresh
   * (a reinserted token). Skipped while another user in this process has the library open.
   */
  reinitialize(): void {
    if ((users.get(this.path) ?? 0) > 1) return;
    this.finalize();
    this.initialize();
  }

  private check(fn: string, rv: number): void {
    if (rv !== CKR.OK) throw new Pkcs11CallError(fn, rv);
  }

  /** Slots with a token present. */
  slots(): bigint[] {
    const count = [0];
    this.check('C_GetSlotList', this.fns.C_GetSlotList(1, null, count));
    if (count[0] === 0) return [];
    const buf = Buffer.alloc(UL * Number(count[0]));
    this.check('C_GetSlotList', this.fns.C_GetSlotList(1, buf, count));
    return Array.from({ length: Number(count[0]) }, (_, i) => readUl(buf, i * UL));
  }

  tokenInfo(slot: bigint): TokenInfo {
    // CK_TOKEN_INFO: label[32], manufacturerID[32], model[16], serialNumber[16], CK_FLAGS flags, …
    // (offset 96 is aligned for either CK_ULONG size, packed or not).
    const buf = Buffer.alloc(512);
    this.check('C_GetTokenInfo', this.fns.C_GetTokenInfo(slot, buf));
    return { label: padded(buf.subarray(0, 32)), serial: padded(buf.subarray(80, 96)), flags: Number(readUl(buf, 96)) };
  }

  openSession(slot: bigint): bigint {
    const out = [0];
    this.check('C_OpenSession', this.fns.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null, out));
    return BigInt(out[0] as number | bigint);
  }

  closeSession(session: bigint): void {
    this.fns.C_CloseSession(session);
  }

  /** C_Login as the user; already logged in (another session of this application) counts as done. */
  login(session: bigint, pin: Buffer | null): void {
    const rv = this.fns.C_Login(session, CKU_USER, pin && pin.length > 0 ? pin : null, pin ? pin.length : 0);
    if (rv !== CKR.OK && rv !== CKR.USER_ALREADY_LOGGED_IN) throw new Pkcs11CallError('C_Login', rv);
  }

  logout(session: bigint): void {
    this.fns.C_Logout(session);
  }

  /** Handles of the objects matching `template` (at most `limit`). */
  findObjects(session: bigint, template: AttributeValue[], limit = 256): bigint[] {
    const t = encodeTemplate(template);
    try {
      this.check('C_FindObjectsInit', this.fns.C_FindObjectsInit(session, t.buf, template.length));
    } finally {
      t.free();
    }
    const found: bigint[] = [];
    try {
      const batch = Buffer.alloc(UL * 16);
      while (found.length < limit) {
        const n = [0];
        this.check('C_FindObjects', this.fns.C_FindObjects(session, batch, 16, n));
        const count = Number(n[0]);
        if (count === 0) break;
        for (let i = 0; i < count; i++) found.push(readUl(batch, i * UL));
      }
    } finally {
      this.fns.C_FindObjectsFinal(session);
    }
    return found;
  }

  /** The values of `types` on one object; null for an attribute the object does not have or will not show. */
  attributes(session: bigint, object: bigint, types: number[]): Array<Buffer | null> {
    // First call: the lengths (pValue NULL). CKR_ATTRIBUTE_TYPE_INVALID / _SENSITIVE still fill in the others.
    const probe = Buffer.alloc(TRIPLE_SIZE * types.length);
    types.forEach((type, i) => writeUl(probe, i * TRIPLE_SIZE, type));
    let rv = this.fns.C_GetAttributeValue(session, object, probe, types.length);
    if (rv !== CKR.OK && rv !== CKR.ATTRIBUTE_TYPE_INVALID && rv !== CKR.ATTRIBUTE_SENSITIVE) throw new Pkcs11CallError('C_GetAttributeValue', rv);
    const lengths = types.map((_, i) => readUl(probe, i * TRIPLE_SIZE + TRIPLE_LEN));
    const present = lengths.map((l) => l !== UNAVAILABLE && l > 0n && l < 1_048_576n);
    const total = lengths.reduce((sum, l, i) => sum + (present[i] ? Number(l) : 0), 0);
    if (total === 0) return types.map((_, i) => (lengths[i] === 0n ? Buffer.alloc(0) : null));
    const mem = koffi.alloc('uint8_t', total);
    try {
      const base = koffi.address(mem);
      const fetch = Buffer.alloc(TRIPLE_SIZE * types.length);
      const offsets: number[] = [];
      let off = 0;
      types.forEach((type, i) => {
        offsets.push(off);
        if (!present[i]) return;
        writeUl(fetch, i * TRIPLE_SIZE, type);
        writePtr(fetch, i * TRIPLE_SIZE + TRIPLE_PTR, base + BigInt(off));
        writeUl(fetch, i * TRIPLE_SIZE + TRIPLE_LEN, lengths[i] as bigint);
        off += Number(lengths[i]);
      });
      // Ask only for what has a value (absent ones keep a zero type/length: read them from the probe).
      const wanted = types.map((_, i) => i).filter((i) => present[i]);
      const compact = Buffer.alloc(TRIPLE_SIZE * wanted.length);
      wanted.forEach((i, j) => fetch.copy(compact, j * TRIPLE_SIZE, i * TRIPLE_SIZE, (i + 1) * TRIPLE_SIZE));
      rv = this.fns.C_GetAttributeValue(session, object, compact, wanted.length);
      if (rv !== CKR.OK) throw new Pkcs11CallError('C_GetAttributeValue', rv);
      const all = Buffer.from(koffi.decode(mem, koffi.array('uint8_t', total, 'Typed')) as Uint8Array);
      const result: Array<Buffer | null> = types.map((_, i) => (lengths[i] === 0n ? Buffer.alloc(0) : null));
      wanted.forEach((i, j) => {
        const len = Number(readUl(compact, j * TRIPLE_SIZE + TRIPLE_LEN));
        result[i] = Buffer.from(all.subarray(offsets[i] as number, (offsets[i] as number) + len));
      });
      all.fill(0);
      return result;
    } finally {
      koffi.free(mem);
    }
  }

  /**
   * C_SignInit + C_Sign on a worker thread; resolves to the raw signature. `contextPin` is given
   * for a key with CKA_ALWAYS_AUTHENTICATE (a PIV signature key): the PIN again for this one
   * operation (CKU_CONTEXT_SPECIFIC), as ssh-pkcs11.c does.
   */
  sign(session: bigint, key: bigint, mechanism: number, data: Buffer, maxLength = 1024, contextPin?: Buffer | null): Promise<Buffer> {
    const mech = Buffer.alloc(TRIPLE_SIZE);
    writeUl(mech, 0, mechanism);
    const rv = this.fns.C_SignInit(session, mech, key);
    if (rv !== CKR.OK) return Promise.reject(new Pkcs11CallError('C_SignInit', rv));
    if (contextPin !== undefined) {
      const lv = this.fns.C_Login(session, CKU_CONTEXT_SPECIFIC, contextPin && contextPin.length > 0 ? contextPin : null, contextPin ? contextPin.length : 0);
      if (lv !== CKR.OK) return Promise.reject(new Pkcs11CallError('C_Login', lv));
    }
    const sig = Buffer.alloc(maxLength);
    const len = [maxLength];
    return new Promise((resolve, reject) => {
      (this.fns.C_Sign as unknown as AsyncFn).async(session, data, data.length, sig, len, (err: unknown, result: number) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        if (result !== CKR.OK) return reject(new Pkcs11CallError('C_Sign', result));
        resolve(sig.subarray(0, Number(len[0])));
      });
    });
  }

  /** C_Finalize (when this is the library's last user in the process): every session of it ends. Safe to call twice. */
  finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    const left = (users.get(this.path) ?? 1) - 1;
    if (left > 0) {
      users.set(this.path, left);
      return;
    }
    users.delete(this.path);
    this.fns.C_Finalize(null);
  }
}

/** A CK_ATTRIBUTE array in a Buffer, its values in native memory (freed by `free`). */
function encodeTemplate(template: AttributeValue[]): { buf: Buffer; free: () => void } {
  const values = template.map((a) => {
    if ('ulong' in a) {
      const b = Buffer.alloc(UL);
      writeUl(b, 0, a.ulong);
      return b;
    }
    if ('bool' in a) return Buffer.from([a.bool ? 1 : 0]);
    return a.bytes;
  });
  const total = values.reduce((s, v) => s + v.length, 0);
  const buf = Buffer.alloc(TRIPLE_SIZE * template.length);
  if (total === 0) {
    template.forEach((a, i) => writeUl(buf, i * TRIPLE_SIZE, a.type));
    return { buf, free: () => {} };
  }
  const mem = koffi.alloc('uint8_t', total);
  const base = koffi.address(mem);
  const all = Buffer.concat(values);
  koffi.encode(mem, koffi.array('uint8_t', total, 'Typed'), new Uint8Array(all));
  let off = 0;
  template.forEach((a, i) => {
    writeUl(buf, i * TRIPLE_SIZE, a.type);
    writePtr(buf, i * TRIPLE_SIZE + TRIPLE_PTR, base + BigInt(off));
    writeUl(buf, i * TRIPLE_SIZE + TRIPLE_LEN, (values[i] as Buffer).length);
    off += (values[i] as Buffer).length;
  });
  return { buf, free: () => koffi.free(mem) };
}

/** A blank-padded CK_UTF8CHAR field as text. */
function padded(b: Buffer): string {
  return b.toString('utf8').replace(/[\s\0]+$/, '');
}
