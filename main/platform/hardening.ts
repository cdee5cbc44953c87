import koffi from 'koffi';
import * as darwin from './darwin/process-hardening';
import * as linux from './linux/process-hardening';

// Process hardening for a process that holds private keys in memory (KeyDock's agent, in
// `keydock serve` or in the app that hosts it), after OpenSSH's ssh-agent
// (docs/architecture.md, security rules):
//
// - Linux: setrlimit(RLIMIT_CORE, {0, 0}) and prctl(PR_SET_DUMPABLE, 0). No core file; ptrace,
//   /proc/PID/mem and process_vm_readv are refused to other processes of the same user (root,
//   with CAP_SYS_PTRACE, can still read the memory: no user-space protection stops root).
// - macOS: setrlimit(RLIMIT_CORE, {0, 0}) and ptrace(PT_DENY_ATTACH), OpenSSH's
//   platform_disable_tracing. A debugger can no longer attach (one attached already ends the
//   process, as with ssh-agent).
// - Windows: the process DACL is replaced by one that gives the owner only terminate, query and
//   synchronize (through the OWNER RIGHTS SID, which also takes away the owner's implicit
//   WRITE_DAC), so other processes of the same user cannot open it for PROCESS_VM_READ,
//   WriteProcessMemory, CreateRemoteThread or handle duplication. Administrators holding
//   SeDebugPrivilege still can. Done for `keydock serve` (plain node.exe) only: inside Electron,
//   Chromium's own helpers (crash handler, child processes) open the browser process, so the
//   app leaves its DACL alone. Windows Error Reporting dumps are not switched off.
//
// Every step is best effort: a failure is reported, never thrown, and the agent still runs.

export interface HardeningStep {
  /** `core-files`, `dumpable`, `deny-attach`, `process-dacl`. */
  name: string;
  ok: boolean;
  /** What was done, or why not. */
  detail: string;
}

export interface HardeningReport {
  platform: NodeJS.Platform;
  steps: HardeningStep[];
}

let report: HardeningReport | null = null;

/**
 * Hardens this process once (later calls return the first report). Called by `keydock serve`
 * at start and by startOwnAgent, so the app process that hosts the agent gets it too.
 */
export function hardenProcess(): HardeningReport {
  if (report) return report;
  const steps: HardeningStep[] = [];
  const step = (name: string, run: () => string | null, done: string) => {
    try {
      const failed = run();
      steps.push({ name, ok: failed === null, detail: failed === null ? done : `failed: ${failed}` });
    } catch (e) {
      steps.push({ name, ok: false, detail: `unavailable: ${e instanceof Error ? e.message : String(e)}` });
    }
  };
  if (process.platform === 'linux') {
    step('core-files', linux.disableCoreFiles, 'RLIMIT_CORE 0/0');
    step('dumpable', linux.disableDumping, 'PR_SET_DUMPABLE 0');
  } else if (process.platform === 'darwin') {
    step('core-files', darwin.disableCoreFiles, 'RLIMIT_CORE 0/0');
    step('deny-attach', darwin.denyDebuggerAttach, 'PT_DENY_ATTACH');
  } else if (process.platform === 'win32') {
    if (process.versions.electron) steps.push({ name: 'process-dacl', ok: false, detail: 'skipped inside Electron (Chromium opens its own browser process)' });
    else step('process-dacl', restrictWindowsProcessAccess, 'owner may only terminate, query and wait');
  } else {
    steps.push({ name: 'none', ok: false, detail: `no hardening known for ${process.platform}` });
  }
  report = { platform: process.platform, steps };
  return report;
}

/** One line for logs: `core-files: RLIMIT_CORE 0/0; dumpable: PR_SET_DUMPABLE 0`. */
export function describeHardening(r: HardeningReport): string {
  return r.steps.map((s) => `${s.name}: ${s.detail}`).join('; ');
}

/** PROCESS_TERMINATE | PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION | READ_CONTROL | SYNCHRONIZE. */
const OWNER_PROCESS_RIGHTS = 0x0001 | 0x0400 | 0x1000 | 0x00020000 | 0x00100000;
/** Protected DACL: SYSTEM everything, the owner (OWNER RIGHTS, S-1-3-4) only the rights above. */
const PROCESS_SDDL = `D:P(A;;GA;;;SY)(A;;0x${OWNER_PROCESS_RIGHTS.toString(16)};;;OW)`;
const SE_KERNEL_OBJECT = 6;
const DACL_SECURITY_INFORMATION = 0x4;
const PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000;
const SDDL_REVISION_1 = 1;

/** Replaces this process's DACL (Windows); null, or why it failed. */
function restrictWindowsProcessAccess(): string | null {
  const kernel32 = koffi.load('kernel32.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const GetCurrentProcess = kernel32.func('void * __stdcall GetCurrentProcess()');
  const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
  const LocalFree = kernel32.func('void * __stdcall LocalFree(void *mem)');
  const fromSddl = advapi32.func('int __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(const char16_t *sddl, uint32_t rev, _Out_ void **sd, void *size)');
  const GetSecurityDescriptorDacl = advapi32.func('int __stdcall GetSecurityDescriptorDacl(void *sd, _Out_ int *present, _Out_ void **dacl, _Out_ int *defaulted)');
  const SetSecurityInfo = advapi32.func('uint32_t __stdcall SetSecurityInfo(void *h, int type, uint32_t info, void *owner, void *group, void *dacl, void *sacl)');
  const sd: unknown[] = [null];
  if (!fromSddl(PROCESS_SDDL, SDDL_REVISION_1, sd, null)) return `ConvertStringSecurityDescriptorToSecurityDescriptorW: error ${GetLastError()}`;
  try {
    const present = [0];
    const dacl: unknown[] = [null];
    const defaulted = [0];
    if (!GetSecurityDescriptorDacl(sd[0], present, dacl, defaulted) || !present[0]) return `GetSecurityDescriptorDacl: error ${GetLastError()}`;
    const rc = SetSecurityInfo(GetCurrentProcess(), SE_KERNEL_OBJECT, (DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION) >>> 0, null, null, dacl[0], null) as number;
    return rc === 0 ? null : `SetSecurityInfo: error ${rc}`;
  } finally {
    LocalFree(sd[0]);
  }
}
