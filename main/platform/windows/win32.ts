import koffi from 'koffi';

// The Win32 API surface KeyDock's Windows transports use, bound once through koffi (docs/architecture.md
// §8.2: FFI without a compiler). Loaded lazily: importing this module on Linux or macOS is fine,
// calling win32() there throws a clear error.

/* eslint-disable @typescript-eslint/no-explicit-any -- koffi functions are untyped; each is wrapped below. */
type Fn = (...args: any[]) => any;
type AsyncFn = Fn & { async: (...args: any[]) => void };

export const INVALID_HANDLE_VALUE = -1n;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_FILE_NOT_FOUND = 2;
export const ERROR_PIPE_BUSY = 231;
export const ERROR_PIPE_CONNECTED = 535;
export const ERROR_IO_PENDING = 997;
export const ERROR_SERVICE_DOES_NOT_EXIST = 1060;
export const ERROR_SERVICE_NOT_ACTIVE = 1062;
export const ERROR_ALREADY_EXISTS = 183;

export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const READ_CONTROL = 0x00020000;
export const FILE_READ_ATTRIBUTES = 0x80;
export const OPEN_EXISTING = 3;
export const FILE_FLAG_OVERLAPPED = 0x40000000;
export const PIPE_ACCESS_DUPLEX = 0x3;
export const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000;
export const PIPE_TYPE_BYTE = 0;
export const PIPE_READMODE_BYTE = 0;
export const PIPE_WAIT = 0;
export const PIPE_REJECT_REMOTE_CLIENTS = 0x8;
export const PIPE_UNLIMITED_INSTANCES = 255;
export const PAGE_READWRITE = 0x04;
export const FILE_MAP_ALL_ACCESS = 0xf001f;
export const WT_EXECUTEONLYONCE = 0x8;
export const WM_COPYDATA = 0x004a;
export const SMTO_NORMAL = 0;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const TOKEN_QUERY = 0x0008;
export const TokenUser = 1;
export const TokenOwner = 4;
export const SE_FILE_OBJECT = 1;
export const SE_KERNEL_OBJECT = 6;
export const OWNER_SECURITY_INFORMATION = 1;
export const DACL_SECURITY_INFORMATION = 4;
export const AclSizeInformation = 2;
export const ACCESS_ALLOWED_ACE_TYPE = 0;
export const ACCESS_DENIED_ACE_TYPE = 1;
export const INHERITED_ACE = 0x10;
export const SDDL_REVISION_1 = 1;
export const CRYPTPROTECTMEMORY_CROSS_PROCESS = 1;
export const NameUserPrincipal = 8;
export const WAIT_OBJECT_0 = 0;
export const WAIT_ABANDONED = 0x80;
export const WAIT_TIMEOUT = 0x102;

let bound: Win32 | null = null;

/** Binds (once) and returns the Win32 functions; throws a plain error off Windows. */
export function win32(): Win32 {
  if (bound) return bound;
  if (process.platform !== 'win32') throw new Error('Windows transports need Windows (process.platform is ' + process.platform + ')');
  bound = bind();
  return bound;
}

export type Win32 = ReturnType<typeof bind>;

function bind() {
  const kernel32 = koffi.load('kernel32.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const user32 = koffi.load('user32.dll');
  const crypt32 = koffi.load('crypt32.dll');
  const secur32 = koffi.load('secur32.dll');
  // node.exe (and electron.exe) export libuv, whose uv_open_osfhandle turns a HANDLE into a
  // descriptor of the process's own C runtime: the only way to hand a pipe we created with a
  // security descriptor to net.Socket.
  const host = koffi.load(process.execPath);

  const OVERLAPPED = koffi.struct('KD_OVERLAPPED', {
    Internal: 'uintptr_t',
    InternalHigh: 'uintptr_t',
    Offset: 'uint32_t',
    OffsetHigh: 'uint32_t',
    hEvent: 'void *',
  });
  const SECURITY_ATTRIBUTES = koffi.struct('KD_SECURITY_ATTRIBUTES', {
    nLength: 'uint32_t',
    lpSecurityDescriptor: 'void *',
    bInheritHandle: 'int',
  });
  const COPYDATASTRUCT = koffi.struct('KD_COPYDATASTRUCT', {
    dwData: 'uintptr_t',
    cbData: 'uint32_t',
    lpData: 'void *',
  });
  const SERVICE_STATUS = koffi.struct('KD_SERVICE_STATUS', {
    dwServiceType: 'uint32_t',
    dwCurrentState: 'uint32_t',
    dwControlsAccepted: 'uint32_t',
    dwWin32ExitCode: 'uint32_t',
    dwServiceSpecificExitCode: 'uint32_t',
    dwCheckPoint: 'uint32_t',
    dwWaitHint: 'uint32_t',
  });
  const ACL_SIZE_INFORMATION = koffi.struct('KD_ACL_SIZE_INFORMATION', {
    AceCount: 'uint32_t',
    AclBytesInUse: 'uint32_t',
    AclBytesFree: 'uint32_t',
  });
  const WaitCallback = koffi.proto('void __stdcall KD_WaitOrTimerCallback(uintptr_t param, uint8_t timedOut)');

  const f = (lib: koffi.IKoffiLib, decl: string): AsyncFn => lib.func(decl) as AsyncFn;
  const api = {
    koffi,
    OVERLAPPED,
    SECURITY_ATTRIBUTES,
    COPYDATASTRUCT,
    SERVICE_STATUS,
    ACL_SIZE_INFORMATION,
    WaitCallback,
    GetLastError: f(kernel32, 'uint32_t __stdcall GetLastError()'),
    CloseHandle: f(kernel32, 'int __stdcall CloseHandle(void *h)'),
    GetCurrentProcess: f(kernel32, 'void * __stdcall GetCurrentProcess()'),
    GetCurrentProcessId: f(kernel32, 'uint32_t __stdcall GetCurrentProcessId()'),
    GetCurrentThreadId: f(kernel32, 'uint32_t __stdcall GetCurrentThreadId()'),
    OpenProcess: f(kernel32, 'void * __stdcall OpenProcess(uint32_t access, int inherit, uint32_t pid)'),
    QueryFullProcessImageNameW: f(kernel32, 'int __stdcall QueryFullProcessImageNameW(void *proc, uint32_t flags, void *buf, _Inout_ uint32_t *size)'),
    CreateNamedPipeW: f(kernel32, 'void * __stdcall CreateNamedPipeW(const char16_t *name, uint32_t openMode, uint32_t pipeMode, uint32_t maxInst, uint32_t outSize, uint32_t inSize, uint32_t timeout, KD_SECURITY_ATTRIBUTES *sa)'),
    ConnectNamedPipe: f(kernel32, 'int __stdcall ConnectNamedPipe(void *pipe, void *overlapped)'),
    GetOverlappedResult: f(kernel32, 'int __stdcall GetOverlappedResult(void *h, void *overlapped, _Out_ uint32_t *transferred, int wait)'),
    DisconnectNamedPipe: f(kernel32, 'int __stdcall DisconnectNamedPipe(void *pipe)'),
    CancelIoEx: f(kernel32, 'int __stdcall CancelIoEx(void *h, void *overlapped)'),
    CreateEventW: f(kernel32, 'void * __stdcall CreateEventW(void *sa, int manualReset, int initialState, const char16_t *name)'),
    GetNamedPipeClientProcessId: f(kernel32, 'int __stdcall GetNamedPipeClientProcessId(void *pipe, _Out_ uint32_t *pid)'),
    GetNamedPipeServerProcessId: f(kernel32, 'int __stdcall GetNamedPipeServerProcessId(void *pipe, _Out_ uint32_t *pid)'),
    CreateFileW: f(kernel32, 'void * __stdcall CreateFileW(const char16_t *name, uint32_t access, uint32_t share, void *sa, uint32_t disposition, uint32_t flags, void *template)'),
    WaitNamedPipeW: f(kernel32, 'int __stdcall WaitNamedPipeW(const char16_t *name, uint32_t timeout)'),
    LocalFree: f(kernel32, 'void * __stdcall LocalFree(void *mem)'),
    RegisterWaitForSingleObject: f(kernel32, 'int __stdcall RegisterWaitForSingleObject(_Out_ void **wait, void *object, KD_WaitOrTimerCallback *cb, uintptr_t context, uint32_t ms, uint32_t flags)'),
    UnregisterWaitEx: f(kernel32, 'int __stdcall UnregisterWaitEx(void *wait, void *completionEvent)'),
    CreateFileMappingW: f(kernel32, 'void * __stdcall CreateFileMappingW(intptr_t file, KD_SECURITY_ATTRIBUTES *sa, uint32_t protect, uint32_t sizeHigh, uint32_t sizeLow, const char16_t *name)'),
    MapViewOfFile: f(kernel32, 'void * __stdcall MapViewOfFile(void *mapping, uint32_t access, uint32_t offHigh, uint32_t offLow, uintptr_t bytes)'),
    UnmapViewOfFile: f(kernel32, 'int __stdcall UnmapViewOfFile(void *base)'),
    CreateMutexW: f(kernel32, 'void * __stdcall CreateMutexW(void *sa, int initialOwner, const char16_t *name)'),
    ReleaseMutex: f(kernel32, 'int __stdcall ReleaseMutex(void *mutex)'),
    WaitForSingleObject: f(kernel32, 'uint32_t __stdcall WaitForSingleObject(void *h, uint32_t ms)'),
    MultiByteToWideChar: f(kernel32, 'int __stdcall MultiByteToWideChar(uint32_t cp, uint32_t flags, const uint8_t *src, int srcLen, void *dst, int dstLen)'),
    OpenProcessToken: f(advapi32, 'int __stdcall OpenProcessToken(void *proc, uint32_t access, _Out_ void **token)'),
    GetTokenInformation: f(advapi32, 'int __stdcall GetTokenInformation(void *token, int cls, void *buf, uint32_t len, _Out_ uint32_t *retLen)'),
    ConvertSidToStringSidW: f(advapi32, 'int __stdcall ConvertSidToStringSidW(void *sid, _Out_ void **str)'),
    ConvertStringSecurityDescriptorToSecurityDescriptorW: f(advapi32, 'int __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(const char16_t *sddl, uint32_t rev, _Out_ void **sd, void *size)'),
    GetSecurityInfo: f(advapi32, 'uint32_t __stdcall GetSecurityInfo(void *h, int type, uint32_t info, _Out_ void **owner, void *group, void *dacl, void *sacl, _Out_ void **sd)'),
    GetNamedSecurityInfoW: f(advapi32, 'uint32_t __stdcall GetNamedSecurityInfoW(const char16_t *name, int type, uint32_t info, _Out_ void **owner, void *group, _Out_ void **dacl, void *sacl, _Out_ void **sd)'),
    GetAclInformation: f(advapi32, 'int __stdcall GetAclInformation(void *acl, _Out_ KD_ACL_SIZE_INFORMATION *info, uint32_t len, int cls)'),
    GetAce: f(advapi32, 'int __stdcall GetAce(void *acl, uint32_t index, _Out_ void **ace)'),
    GetUserNameA: f(advapi32, 'int __stdcall GetUserNameA(void *buf, _Inout_ uint32_t *size)'),
    OpenSCManagerW: f(advapi32, 'void * __stdcall OpenSCManagerW(const char16_t *machine, const char16_t *db, uint32_t access)'),
    OpenServiceW: f(advapi32, 'void * __stdcall OpenServiceW(void *scm, const char16_t *name, uint32_t access)'),
    QueryServiceStatus: f(advapi32, 'int __stdcall QueryServiceStatus(void *svc, _Out_ KD_SERVICE_STATUS *status)'),
    QueryServiceConfigW: f(advapi32, 'int __stdcall QueryServiceConfigW(void *svc, void *buf, uint32_t size, _Out_ uint32_t *needed)'),
    ControlService: f(advapi32, 'int __stdcall ControlService(void *svc, uint32_t control, _Out_ KD_SERVICE_STATUS *status)'),
    ChangeServiceConfigW: f(advapi32, 'int __stdcall ChangeServiceConfigW(void *svc, uint32_t type, uint32_t start, uint32_t err, void *path, void *group, void *tag, void *deps, void *user, void *pass, void *display)'),
    CloseServiceHandle: f(advapi32, 'int __stdcall CloseServiceHandle(void *h)'),
    GetUserNameExA: f(secur32, 'uint8_t __stdcall GetUserNameExA(int format, void *buf, _Inout_ uint32_t *size)'),
    CryptProtectMemory: f(crypt32, 'int __stdcall CryptProtectMemory(void *data, uint32_t size, uint32_t flags)'),
    FindWindowW: f(user32, 'void * __stdcall FindWindowW(const char16_t *cls, const char16_t *title)'),
    SendMessageTimeoutW: f(user32, 'intptr_t __stdcall SendMessageTimeoutW(void *hwnd, uint32_t msg, uintptr_t wp, KD_COPYDATASTRUCT *lp, uint32_t flags, uint32_t timeout, _Out_ uintptr_t *result)'),
    PostThreadMessageW: f(user32, 'int __stdcall PostThreadMessageW(uint32_t thread, uint32_t msg, uintptr_t wp, intptr_t lp)'),
    uv_open_osfhandle: f(host, 'int uv_open_osfhandle(void *handle)'),
  };
  return api;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** True when a HANDLE returned by koffi is NULL or INVALID_HANDLE_VALUE. */
export function isBadHandle(h: unknown): boolean {
  if (h === null || h === undefined) return true;
  const a = koffi.address(h);
  return a === 0n || a === 0xffffffffffffffffn;
}

/** A Win32 failure with the function name and error number, for logs and KeyDockError causes. */
export class Win32Error extends Error {
  constructor(
    readonly fn: string,
    readonly code: number,
  ) {
    super(`${fn} failed with Windows error ${code}`);
    this.name = 'Win32Error';
  }
}

/** Reads a SID pointer as its string form ("S-1-5-…"), freeing the temporary string. */
export function sidToString(api: Win32, sid: unknown): string {
  const out: unknown[] = [null];
  if (!api.ConvertSidToStringSidW(sid, out)) throw new Win32Error('ConvertSidToStringSidW', api.GetLastError());
  try {
    return koffi.decode(out[0], 'char16_t', -1) as string;
  } finally {
    api.LocalFree(out[0]);
  }
}

/** The user SID (or default owner SID) of a token, as a string. */
export function tokenSid(api: Win32, token: unknown, cls: typeof TokenUser | typeof TokenOwner): string {
  // A stable native buffer: TOKEN_USER / TOKEN_OWNER start with a PSID pointing inside it.
  const size = 512;
  const mem = koffi.alloc('uint8_t', size);
  try {
    const len = [0];
    if (!api.GetTokenInformation(token, cls, mem, size, len)) throw new Win32Error('GetTokenInformation', api.GetLastError());
    return sidToString(api, koffi.decode(mem, 'void *'));
  } finally {
    koffi.free(mem);
  }
}

/** The SIDs of this process's user and default owner, read once (they cannot change). */
export function ownSids(api: Win32): { user: string; defaultOwner: string } {
  if (cachedOwn) return cachedOwn;
  const token: unknown[] = [null];
  if (!api.OpenProcessToken(api.GetCurrentProcess(), TOKEN_QUERY, token)) throw new Win32Error('OpenProcessToken', api.GetLastError());
  try {
    cachedOwn = { user: tokenSid(api, token[0], TokenUser), defaultOwner: tokenSid(api, token[0], TokenOwner) };
    return cachedOwn;
  } finally {
    api.CloseHandle(token[0]);
  }
}
let cachedOwn: { user: string; defaultOwner: string } | null = null;

/** The user SID and image path of another process, or nulls when Windows will not say. */
export function processIdentity(api: Win32, pid: number): { userSid: string | null; exe: string | null } {
  const proc = api.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
  if (isBadHandle(proc)) return { userSid: null, exe: null };
  try {
    let userSid: string | null = null;
    const token: unknown[] = [null];
    if (api.OpenProcessToken(proc, TOKEN_QUERY, token)) {
      try {
        userSid = tokenSid(api, token[0], TokenUser);
      } catch {
        userSid = null;
      } finally {
        api.CloseHandle(token[0]);
      }
    }
    const nameBuf = Buffer.alloc(2 * 1024);
    const size = [1024];
    const exe = api.QueryFullProcessImageNameW(proc, 0, nameBuf, size) ? nameBuf.toString('utf16le', 0, (size[0] as number) * 2) : null;
    return { userSid, exe };
  } finally {
    api.CloseHandle(proc);
  }
}

/** Owner SID of a kernel object handle (pipe, file mapping), or null when unreadable. */
export function handleOwnerSid(api: Win32, handle: unknown): string | null {
  const owner: unknown[] = [null];
  const sd: unknown[] = [null];
  const rc = api.GetSecurityInfo(handle, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION, owner, null, null, null, sd) as number;
  if (rc !== 0) return null;
  try {
    return owner[0] ? sidToString(api, owner[0]) : null;
  } finally {
    if (sd[0]) api.LocalFree(sd[0]);
  }
}

/** A SECURITY_ATTRIBUTES built from SDDL; call free() once nothing uses it any more. */
export function securityAttributes(api: Win32, sddl: string): { sa: Record<string, unknown>; free(): void } {
  const sd: unknown[] = [null];
  if (!api.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, sd, null)) {
    throw new Win32Error('ConvertStringSecurityDescriptorToSecurityDescriptorW', api.GetLastError());
  }
  let freed = false;
  return {
    sa: { nLength: koffi.sizeof(api.SECURITY_ATTRIBUTES), lpSecurityDescriptor: sd[0], bInheritHandle: 0 },
    free() {
      if (!freed) api.LocalFree(sd[0]);
      freed = true;
    },
  };
}
