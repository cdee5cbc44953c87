import koffi from 'koffi';

// macOS process hardening through libSystem, as OpenSSH's ssh-agent does it
// (platform_disable_tracing and its RLIMIT_CORE limit): no debugger may attach, no core file.

/** <sys/ptrace.h>: the process refuses every later ptrace attach (and dies if one is attached now). */
const PT_DENY_ATTACH = 31;
/** <sys/resource.h> */
const RLIMIT_CORE = 4;

interface LibSystem {
  ptrace: (request: number, pid: number, addr: null, data: number) => number;
  setrlimit: (resource: number, limit: { cur: number; max: number }) => number;
}

let lib: LibSystem | null = null;

function bind(): LibSystem {
  if (lib) return lib;
  if (process.platform !== 'darwin') throw new Error(`macOS process hardening needs macOS (this is ${process.platform})`);
  const system = koffi.load('libSystem.B.dylib');
  koffi.struct('keydock_rlimit_darwin', { cur: 'uint64_t', max: 'uint64_t' });
  lib = {
    ptrace: system.func('int ptrace(int request, int pid, void *addr, int data)') as LibSystem['ptrace'],
    setrlimit: system.func('int setrlimit(int resource, const keydock_rlimit_darwin *rlim)') as LibSystem['setrlimit'],
  };
  return lib;
}

/** ptrace(PT_DENY_ATTACH, 0, 0, 0); null, or why it failed. */
export function denyDebuggerAttach(): string | null {
  return bind().ptrace(PT_DENY_ATTACH, 0, null, 0) === 0 ? null : `errno ${koffi.errno()}`;
}

/** setrlimit(RLIMIT_CORE, {0, 0}); null, or why it failed. */
export function disableCoreFiles(): string | null {
  return bind().setrlimit(RLIMIT_CORE, { cur: 0, max: 0 }) === 0 ? null : `errno ${koffi.errno()}`;
}
