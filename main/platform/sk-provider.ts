import koffi from 'koffi';

// OpenSSH's security-key provider interface (sk-api.h, "middleware"), bound through koffi
// (docs/architecture.md §8.2: FFI without a compiler), so KeyDock's own agent signs with FIDO
// (sk-) keys the way ssh-sk-helper does: dlopen the provider, check sk_api_version, call
// sk_sign, copy the response and free it with the C library's free(). The call runs on koffi's
// worker thread (an async call), so a slow touch of the authenticator does not stop the agent.
// Which provider is used where, and why, is in docs/hardware-keys.md; which one this system has is
// decided by ./sk-provider-paths.ts, which loads no native code.

/** SSH_SK_VERSION_MAJOR of sk-api.h (OpenSSH 8.9 through 10.x) and the mask its check uses. */
export const SK_API_VERSION_MAJOR = 0x000a0000;
const SK_API_VERSION_MASK = 0xffff0000;

/** sk-api.h algorithm numbers. */
export const SK_ALG_ECDSA = 0;
export const SK_ALG_ED25519 = 1;

/** sk-api.h error codes, in words for the activity log. */
const SK_ERRORS: Record<number, string> = {
  [-1]: 'the provider failed (SSH_SK_ERR_GENERAL)',
  [-2]: 'the provider does not support this (SSH_SK_ERR_UNSUPPORTED)',
  [-3]: 'the security key wants its PIN (SSH_SK_ERR_PIN_REQUIRED)',
  [-4]: 'no security key found: is it plugged in? (SSH_SK_ERR_DEVICE_NOT_FOUND)',
  [-5]: 'credential exists (SSH_SK_ERR_CREDENTIAL_EXISTS)',
};

/** What a provider's sk_sign returned, copied out of C memory. */
export interface SkSignResponse {
  flags: number;
  counter: number;
  sigR: Buffer;
  sigS: Buffer;
}

/** A failed provider load or signature; the message names no secret. */
export class SkProviderError extends Error {
  override name = 'SkProviderError';
}

interface Bound {
  path: string;
  sign: koffi.KoffiFunction;
  /** Calls are queued: authenticators handle one request at a time. */
  queue: Promise<unknown>;
}

let types: { response: ReturnType<typeof koffi.struct> } | null = null;
let freeFn: koffi.KoffiFunction | null = null;
const loaded = new Map<string, Bound>();

function declareTypes(): { response: ReturnType<typeof koffi.struct> } {
  types ??= {
    // struct sk_sign_response { uint8_t flags; uint32_t counter; uint8_t *sig_r; size_t sig_r_len; uint8_t *sig_s; size_t sig_s_len; }
    response: koffi.struct('keydock_sk_sign_response', {
      flags: 'uint8_t',
      counter: 'uint32_t',
      sig_r: 'void *',
      sig_r_len: 'size_t',
      sig_s: 'void *',
      sig_s_len: 'size_t',
    }),
  };
  return types;
}

/** The C library's free(): providers malloc their responses and the caller frees them (ssh-sk.c sshsk_free_sign_response). */
function cFree(): koffi.KoffiFunction {
  if (freeFn) return freeFn;
  const libc = process.platform === 'darwin' ? koffi.load('/usr/lib/libSystem.B.dylib') : koffi.load('libc.so.6');
  freeFn = libc.func('void free(void *ptr)');
  return freeFn;
}

/**
 * Loads a provider library once per path and checks its API version as OpenSSH does
 * (major version equal). Throws SkProviderError when it cannot be loaded or is too old/new.
 */
export function loadSkProvider(path: string): Bound {
  const known = loaded.get(path);
  if (known) return known;
  if (process.platform === 'win32') throw new SkProviderError('FIDO provider libraries are not used on Windows');
  let lib: koffi.IKoffiLib;
  try {
    lib = koffi.load(path);
  } catch (e) {
    throw new SkProviderError(`cannot load the FIDO provider ${path}: ${(e as Error).message.slice(0, 200)}`);
  }
  let version: number;
  let sign: koffi.KoffiFunction;
  try {
    version = (lib.func('uint32_t sk_api_version(void)') as () => number)() >>> 0;
    declareTypes();
    sign = lib.func(
      'int sk_sign(uint32_t alg, const uint8_t *data, size_t data_len, const char *application, const uint8_t *key_handle, size_t key_handle_len, uint8_t flags, const char *pin, void *options, _Out_ void **sign_response)',
    );
  } catch (e) {
    throw new SkProviderError(`${path} is not a FIDO provider (no sk_api_version / sk_sign): ${(e as Error).message.slice(0, 200)}`);
  }
  if (((version & SK_API_VERSION_MASK) >>> 0) !== ((SK_API_VERSION_MAJOR & SK_API_VERSION_MASK) >>> 0)) {
    throw new SkProviderError(`the FIDO provider ${path} speaks API version 0x${version.toString(16)}, KeyDock 0x${SK_API_VERSION_MAJOR.toString(16)}`);
  }
  const bound: Bound = { path, sign, queue: Promise.resolve() };
  loaded.set(path, bound);
  return bound;
}

/** One sk_sign request: the message itself (the provider hashes it), never pre-hashed. */
export interface SkSignRequest {
  alg: typeof SK_ALG_ECDSA | typeof SK_ALG_ED25519;
  data: Buffer;
  application: string;
  keyHandle: Buffer;
  flags: number;
  /** The authenticator's PIN for verify-required keys; null otherwise. */
  pin: string | null;
}

/**
 * Calls the provider's sk_sign off the event loop and returns a copy of its response; the C
 * memory is freed before this resolves (also when copying fails).
 */
export function skSign(providerPath: string, req: SkSignRequest): Promise<SkSignResponse> {
  const bound = loadSkProvider(providerPath);
  const run = bound.queue.then(() => signOnce(bound, req));
  bound.queue = run.catch(() => undefined);
  return run;
}

function signOnce(bound: Bound, req: SkSignRequest): Promise<SkSignResponse> {
  const { response } = declareTypes();
  const free = cFree();
  const out: unknown[] = [null];
  return new Promise((resolve, reject) => {
    bound.sign.async(req.alg, req.data, req.data.length, req.application, req.keyHandle, req.keyHandle.length, req.flags & 0xff, req.pin, null, out, (err: unknown, rc: number) => {
      if (err) return reject(new SkProviderError(`sk_sign could not be called: ${String((err as Error).message ?? err).slice(0, 200)}`));
      const ptr = out[0];
      if (rc !== 0 || !ptr) {
        if (ptr) free(ptr);
        return reject(new SkProviderError(`sk_sign failed: ${SK_ERRORS[rc] ?? `error ${rc}`}`));
      }
      let raw: { flags: number; counter: number; sig_r: unknown; sig_r_len: number | bigint; sig_s: unknown; sig_s_len: number | bigint };
      try {
        raw = koffi.decode(ptr, response) as typeof raw;
      } catch (e) {
        free(ptr);
        return reject(new SkProviderError(`sk_sign answered something unreadable: ${(e as Error).message.slice(0, 100)}`));
      }
      try {
        const sigR = copyOut(raw.sig_r, Number(raw.sig_r_len));
        const sigS = copyOut(raw.sig_s, Number(raw.sig_s_len));
        resolve({ flags: raw.flags, counter: raw.counter >>> 0, sigR, sigS });
      } catch (e) {
        reject(e);
      } finally {
        if (raw.sig_r) free(raw.sig_r);
        if (raw.sig_s) free(raw.sig_s);
        free(ptr);
      }
    });
  });
}

/** Signatures are at most a few hundred bytes; a larger length means a broken provider. */
const MAX_SIG_PART = 4096;

function copyOut(ptr: unknown, len: number): Buffer {
  if (!ptr || len === 0) return Buffer.alloc(0);
  if (!Number.isSafeInteger(len) || len < 0 || len > MAX_SIG_PART) throw new SkProviderError(`sk_sign answered a signature part of ${len} bytes`);
  return Buffer.from(koffi.decode(ptr, 'uint8_t', len) as Uint8Array);
}
