import koffi from 'koffi';

// Linux process hardening through libc (docs/architecture.md §8.2: FFI without a compiler): what
// OpenSSH's ssh-agent does at start, so a process holding private keys leaves no core file and
// cannot be read by other processes of the same user (ptrace, /proc/PID/mem, process_vm_readv).

const PR_SET_DUMPABLE = 4;
const PR_GET_DUMPABLE = 3;
/** RLIMIT_CORE is 4 on every Linux architecture Node runs on (asm-generic and x86 alike). */
const RLIMIT_CORE = 4;

interface Libc {
  prctl: (...args: unknown[]) => number;
  setrlimit: (resource: number, limit: { cur: number; max: number }) => number;
  getrlimit: (resource: number, limit: { cur?: number; max?: number }) => number;
}

let libc: Libc | null = null;

function bind(): Libc {
  if (libc) return libc;
  if (process.platform !== 'linux') throw new Error(`Linux process hardening needs Linux (this is ${process.platform})`);
  const lib = koffi.load('libc.so.6');
  // rlim_t is unsigned long: 64 bits on 64-bit Linux, 32 on 32-bit (the plain setrlimit symbol).
  koffi.struct('keydock_rlimit', { cur: 'unsigned long', max: 'unsigned long' });
  libc = {
    prctl: lib.func('int prctl(int option, ...)') as Libc['prctl'],
    setrlimit: lib.func('int setrlimit(int resource, const keydock_rlimit *rlim)') as Libc['setrlimit'],
    getrlimit: lib.func('int getrlimit(int resource, _Out_ keydock_rlimit *rlim)') as Libc['getrlimit'],
  };
  return libc;
}

/** errno after a failed call, as a word for logs. */
function lastError(): string {
  const n = koffi.errno();
  return n === 1 ? 'EPERM' : n === 22 ? 'EINVAL' : `errno ${n}`;
}

/** prctl(PR_SET_DUMPABLE, 0): no core dumps, and /proc/PID/{mem,environ,…} and ptrace only for root. Returns null, or why it failed. */
export function disableDumping(): string | null {
  const c = bind();
  return c.prctl(PR_SET_DUMPABLE, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0) === 0 ? null : lastError();
}

/** The process's dumpable flag (0 after disableDumping). */
export function dumpable(): number {
  return bind().prctl(PR_GET_DUMPABLE, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0);
}

/** setrlimit(RLIMIT_CORE, {0, 0}): no core file, and no raising the limit again. Returns null, or why it failed. */
export function disableCoreFiles(): string | null {
  return bind().setrlimit(RLIMIT_CORE, { cur: 0, max: 0 }) === 0 ? null : lastError();
}

/** The current core file limit (soft, hard) in bytes. */
export function coreLimit(): { soft: number; hard: number } {
  const out: { cur?: number; max?: number } = {};
  bind().getrlimit(RLIMIT_CORE, out);
  return { soft: Number(out.cur), hard: Number(out.max) };
}
