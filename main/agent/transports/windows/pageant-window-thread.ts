/* eslint-disable @typescript-eslint/no-explicit-any -- runs as stringified source in a worker with raw koffi values */
import type { CopyDataPlan } from './copydata-policy';
import type { PeerVerdict } from '../../../platform/windows/sid-policy';

// The body of the thread that owns Pageant's hidden window. It runs in a worker_threads
// Worker started from its own source text (pageant-window.ts), so it must be self-contained:
// everything it uses arrives as parameters. Why a thread of its own: WM_COPYDATA is answered
// by the return value of the window procedure, while the agent answers asynchronously
// (confirm prompts, locks). The thread blocks in its procedure (Atomics.wait) until the agent
// on the main thread has written the reply; the main thread never blocks. This works the
// same inside Electron's main process and inside a plain `node` (keydock serve).

/** What the main thread passes to the window thread. */
export interface WindowThreadData {
  koffiUrl: string;
  className: string;
  title: string;
  userSid: string;
  defaultOwnerSid: string;
  /** Int32Array view: [0] reply state (0 waiting, 1 ready), [1] reply length, [2] request id in flight (or -id once claimed by the main thread). */
  control: SharedArrayBuffer;
  /** Reply bytes written by the main thread. */
  reply: SharedArrayBuffer;
  replyTimeoutMs: number;
}

/** Messages from the window thread to the main thread. */
export type WindowThreadMessage =
  | { type: 'ready'; threadId: number }
  | { type: 'failed'; message: string }
  | { type: 'request'; id: number; frame: Uint8Array }
  | { type: 'refused'; reason: string }
  | { type: 'limit'; reason: string }
  | { type: 'stopped' };

/** The pure rules the thread applies (copied in as source, see pageant-window.ts). */
export interface WindowThreadPolicy {
  mappingNameFromCopyData(data: Uint8Array): string | null;
  planCopyDataRequest(regionSize: number, requestLength: number): CopyDataPlan;
  fitCopyDataReply(regionSize: number, reply: Uint8Array): Uint8Array;
  judgeMappingOwner(ownerSid: string | null, ownUserSid: string, ownDefaultOwnerSid: string | null): PeerVerdict;
}

/** Runs the window and its message loop until WM_QUIT; called inside the worker only. */
export function pageantWindowThread(koffi: any, data: WindowThreadData, post: (m: WindowThreadMessage) => void, policy: WindowThreadPolicy): void {
  const WM_COPYDATA = 0x004a;
  const AGENT_COPYDATA_ID = 0x804e50ba;
  const FILE_MAP_ALL_ACCESS = 0xf001f;
  const SE_KERNEL_OBJECT = 6;
  const OWNER_SECURITY_INFORMATION = 1;
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const WndProc = koffi.proto('intptr_t __stdcall KD_PageantWndProc(void *hwnd, uint32_t msg, uintptr_t wp, void *lp)');
  const WNDCLASSEXW = koffi.struct('KD_WNDCLASSEXW', {
    cbSize: 'uint32_t', style: 'uint32_t', lpfnWndProc: koffi.pointer(WndProc), cbClsExtra: 'int', cbWndExtra: 'int',
    hInstance: 'void *', hIcon: 'void *', hCursor: 'void *', hbrBackground: 'void *', lpszMenuName: 'const char16_t *',
    lpszClassName: 'const char16_t *', hIconSm: 'void *',
  });
  const COPYDATASTRUCT = koffi.struct('KD_WT_COPYDATASTRUCT', { dwData: 'uintptr_t', cbData: 'uint32_t', lpData: 'void *' });
  const MBI = koffi.struct('KD_MEMORY_BASIC_INFORMATION', {
    BaseAddress: 'void *', AllocationBase: 'void *', AllocationProtect: 'uint32_t', PartitionId: 'uint16_t',
    RegionSize: 'uintptr_t', State: 'uint32_t', Protect: 'uint32_t', Type: 'uint32_t',
  });
  const RegisterClassExW = user32.func('uint16_t __stdcall RegisterClassExW(const KD_WNDCLASSEXW *wc)');
  const UnregisterClassW = user32.func('int __stdcall UnregisterClassW(const char16_t *cls, void *inst)');
  const CreateWindowExW = user32.func('void * __stdcall CreateWindowExW(uint32_t ex, const char16_t *cls, const char16_t *title, uint32_t style, int x, int y, int w, int h, void *parent, void *menu, void *inst, void *param)');
  const DestroyWindow = user32.func('int __stdcall DestroyWindow(void *hwnd)');
  const DefWindowProcW = user32.func('intptr_t __stdcall DefWindowProcW(void *hwnd, uint32_t msg, uintptr_t wp, void *lp)');
  const GetMessageW = user32.func('int __stdcall GetMessageW(void *msg, void *hwnd, uint32_t min, uint32_t max)');
  const TranslateMessage = user32.func('int __stdcall TranslateMessage(void *msg)');
  const DispatchMessageW = user32.func('intptr_t __stdcall DispatchMessageW(void *msg)');
  const GetModuleHandleW = kernel32.func('void * __stdcall GetModuleHandleW(const char16_t *name)');
  const GetCurrentThreadId = kernel32.func('uint32_t __stdcall GetCurrentThreadId()');
  const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
  const OpenFileMappingW = kernel32.func('void * __stdcall OpenFileMappingW(uint32_t access, int inherit, const char16_t *name)');
  const MapViewOfFile = kernel32.func('void * __stdcall MapViewOfFile(void *mapping, uint32_t access, uint32_t offHigh, uint32_t offLow, uintptr_t bytes)');
  const UnmapViewOfFile = kernel32.func('int __stdcall UnmapViewOfFile(void *base)');
  const VirtualQuery = kernel32.func('uintptr_t __stdcall VirtualQuery(void *addr, _Out_ KD_MEMORY_BASIC_INFORMATION *info, uintptr_t len)');
  const CloseHandle = kernel32.func('int __stdcall CloseHandle(void *h)');
  const LocalFree = kernel32.func('void * __stdcall LocalFree(void *mem)');
  const GetSecurityInfo = advapi32.func('uint32_t __stdcall GetSecurityInfo(void *h, int type, uint32_t info, _Out_ void **owner, void *group, void *dacl, void *sacl, _Out_ void **sd)');
  const ConvertSidToStringSidW = advapi32.func('int __stdcall ConvertSidToStringSidW(void *sid, _Out_ void **str)');

  const control = new Int32Array(data.control);
  const replyBytes = new Uint8Array(data.reply);
  let nextId = 1;

  const isNull = (p: any): boolean => p === null || koffi.address(p) === 0n;

  const ownerOf = (handle: any): string | null => {
    const owner: any[] = [null];
    const sd: any[] = [null];
    if (GetSecurityInfo(handle, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION, owner, null, null, null, sd) !== 0) return null;
    try {
      if (isNull(owner[0])) return null;
      const str: any[] = [null];
      if (!ConvertSidToStringSidW(owner[0], str)) return null;
      try {
        return koffi.decode(str[0], 'char16_t', -1);
      } finally {
        LocalFree(str[0]);
      }
    } finally {
      if (!isNull(sd[0])) LocalFree(sd[0]);
    }
  };

  // Hands the request to the main thread and blocks until it answers (or gives up).
  const askAgent = (frame: Uint8Array): Uint8Array | null => {
    const id = nextId++;
    Atomics.store(control, 0, 0);
    Atomics.store(control, 2, id);
    post({ type: 'request', id, frame });
    const waited = Atomics.wait(control, 0, 0, data.replyTimeoutMs);
    if (waited === 'timed-out' && Atomics.compareExchange(control, 2, id, 0) === id) return null;
    // The main thread claimed the slot: the reply is being written, wait for it to land.
    while (Atomics.load(control, 0) !== 1) Atomics.wait(control, 0, 0);
    const out = replyBytes.slice(0, Atomics.load(control, 1));
    Atomics.store(control, 2, 0);
    return out;
  };

  const FAILURE = new Uint8Array([0, 0, 0, 1, 5]);

  const onCopyData = (lp: any): number => {
    const cds = koffi.decode(lp, COPYDATASTRUCT);
    if (Number(cds.dwData) !== AGENT_COPYDATA_ID || cds.cbData < 1 || cds.cbData > 4096 || isNull(cds.lpData)) return 0;
    const nameBytes = new Uint8Array(koffi.decode(cds.lpData, 'uint8_t', cds.cbData));
    const name = policy.mappingNameFromCopyData(nameBytes);
    if (name === null) return 0;
    const mapping = OpenFileMappingW(FILE_MAP_ALL_ACCESS, 0, name);
    if (isNull(mapping)) return 0;
    try {
      const verdict = policy.judgeMappingOwner(ownerOf(mapping), data.userSid, data.defaultOwnerSid);
      if (!verdict.ok) {
        post({ type: 'refused', reason: verdict.reason });
        return 0;
      }
      const view = MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, 0);
      if (isNull(view)) return 0;
      try {
        const info: any = {};
        if (!VirtualQuery(view, info, koffi.sizeof(MBI))) return 0;
        const regionSize = Number(info.RegionSize);
        if (regionSize < 5) return 0;
        const mem = new Uint8Array(koffi.view(view, regionSize));
        const requestLength = ((mem[0] as number) * 0x1000000) + ((mem[1] as number) << 16) + ((mem[2] as number) << 8) + (mem[3] as number);
        const plan = policy.planCopyDataRequest(regionSize, requestLength);
        if (plan.kind === 'ignore') return 0;
        if (plan.kind === 'fail') {
          post({ type: 'limit', reason: `request of ${requestLength} bytes in a ${regionSize}-byte mapping` });
          mem.set(FAILURE);
          return 1;
        }
        const reply = askAgent(mem.slice(0, plan.frameLength));
        mem.set(reply ? policy.fitCopyDataReply(regionSize, reply) : FAILURE);
        return 1;
      } finally {
        UnmapViewOfFile(view);
      }
    } finally {
      CloseHandle(mapping);
    }
  };

  const proc = koffi.register((hwnd: any, msg: number, wp: any, lp: any) => {
    if (msg === WM_COPYDATA) {
      try {
        return onCopyData(lp);
      } catch (e) {
        post({ type: 'refused', reason: 'internal error: ' + String(e) });
        return 0;
      }
    }
    return DefWindowProcW(hwnd, msg, wp, lp);
  }, koffi.pointer(WndProc));

  const instance = GetModuleHandleW(null);
  const atom = RegisterClassExW({
    cbSize: koffi.sizeof(WNDCLASSEXW), style: 0, lpfnWndProc: proc, cbClsExtra: 0, cbWndExtra: 0, hInstance: instance,
    hIcon: null, hCursor: null, hbrBackground: null, lpszMenuName: null, lpszClassName: data.className, hIconSm: null,
  });
  if (!atom) {
    post({ type: 'failed', message: `RegisterClassExW failed (Windows error ${GetLastError()})` });
    koffi.unregister(proc);
    return;
  }
  // Not WS_VISIBLE: the window exists only to be found and sent messages.
  const hwnd = CreateWindowExW(0, data.className, data.title, 0, 0, 0, 0, 0, null, null, instance, null);
  if (isNull(hwnd)) {
    post({ type: 'failed', message: `CreateWindowExW failed (Windows error ${GetLastError()}); without a desktop session Windows cannot create Pageant's window` });
    UnregisterClassW(data.className, instance);
    koffi.unregister(proc);
    return;
  }
  post({ type: 'ready', threadId: GetCurrentThreadId() });
  const msg = koffi.alloc('uint8_t', 64);
  for (;;) {
    const r = GetMessageW(msg, null, 0, 0);
    if (r === 0 || r === -1) break;
    TranslateMessage(msg);
    DispatchMessageW(msg);
  }
  koffi.free(msg);
  DestroyWindow(hwnd);
  UnregisterClassW(data.className, instance);
  koffi.unregister(proc);
  post({ type: 'stopped' });
}
