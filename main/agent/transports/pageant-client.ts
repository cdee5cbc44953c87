import { randomInt } from 'node:crypto';
import { Duplex } from 'node:stream';
import koffi from 'koffi';
import { KeyDockError } from '../../util/errors';
import { AGENT_COPYDATA_ID, PAGEANT_WINDOW_CLASS } from './windows/pageant-names';
import { currentPageantPipeName } from './windows/pageant-identity';
import { openCheckedPipe } from './windows/pipe-client';
import { OPENSSH_AGENT_PIPE } from '../../platform/windows/pipe-names';
import { SID_ADMINISTRATORS, SID_LOCAL_SYSTEM, mappingSecuritySddl } from '../../platform/windows/sid-policy';
import { FILE_MAP_ALL_ACCESS, PAGE_READWRITE, SMTO_NORMAL, WM_COPYDATA, isBadHandle, ownSids, securityAttributes, win32 } from '../../platform/windows/win32';

// KeyDock's client for agents that speak Pageant's transports (docs/agent-protocol.md §2.2–§2.3), so it
// can list and manage what a running Pageant (or any agent behind these transports) holds.
// Every function returns a Duplex that carries ordinary framed agent messages, so the
// AgentClient (main/agent/client.ts) works over it unchanged.

/** Size PuTTY ≥ 0.71 uses for the request mapping (AGENT_MAX_MSGLEN). */
export const PAGEANT_MAPPING_SIZE = 262144;

export interface CopyDataOptions {
  /** Window class and title to look for (default "Pageant"). */
  className?: string;
  /** Mapping size; 8192 reproduces pre-0.71 clients. */
  mappingSize?: number;
  /** How long to wait for the window to answer. */
  timeoutMs?: number;
}

/** True when a Pageant window (or another agent using its class) exists. */
export function pageantWindowExists(className = PAGEANT_WINDOW_CLASS): boolean {
  return !isBadHandle(win32().FindWindowW(className, className));
}

/**
 * One WM_COPYDATA exchange: writes the framed request into a mapping owned by the user,
 * sends its name to the window, and returns the framed reply written in place.
 */
export async function pageantCopyDataExchange(frame: Buffer, options: CopyDataOptions = {}): Promise<Buffer> {
  const api = win32();
  const className = options.className ?? PAGEANT_WINDOW_CLASS;
  const size = options.mappingSize ?? PAGEANT_MAPPING_SIZE;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  if (frame.length > size) {
    throw new KeyDockError('agent-message-too-large', `The request (${frame.length} bytes) does not fit Pageant's ${size}-byte exchange buffer.`, 'Use a smaller key or certificate.');
  }
  const hwnd = api.FindWindowW(className, className);
  if (isBadHandle(hwnd)) {
    throw new KeyDockError('agent-unreachable', 'Pageant is not running (no Pageant window found).', 'Start Pageant or KeyDock\'s agent (`keydock serve --pageant`).', { exitCode: 2 });
  }
  // Owner = our user SID explicitly, so Pageant's owner check passes even when we run elevated.
  const security = securityAttributes(api, mappingSecuritySddl(ownSids(api).user));
  const name = `PageantRequest${randomInt(0, 0xffffffff).toString(16).padStart(8, '0')}`;
  const mapping = api.CreateFileMappingW(-1, security.sa, PAGE_READWRITE, 0, size, name);
  security.free();
  if (isBadHandle(mapping)) throw new KeyDockError('agent-unreachable', `Could not create the Pageant request buffer (Windows error ${api.GetLastError()}).`, 'Try again.', { exitCode: 2 });
  const nameMem = koffi.alloc('uint8_t', name.length + 1);
  try {
    const view = api.MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, size);
    if (isBadHandle(view)) throw new KeyDockError('agent-unreachable', `Could not map the Pageant request buffer (Windows error ${api.GetLastError()}).`, 'Try again.', { exitCode: 2 });
    try {
      const mem = Buffer.from(koffi.view(view, size));
      frame.copy(mem, 0);
      koffi.encode(nameMem, 'uint8_t', [...Buffer.from(name + '\0', 'latin1')], name.length + 1);
      const cds = { dwData: AGENT_COPYDATA_ID, cbData: name.length + 1, lpData: nameMem };
      const result = [0];
      // SendMessage blocks until the window answers: run it off the JS thread.
      const sent = await new Promise<number>((resolve, reject) => {
        api.SendMessageTimeoutW.async(hwnd, WM_COPYDATA, 0, cds, SMTO_NORMAL, timeoutMs, result, (err: unknown, r: number) => (err ? reject(err) : resolve(Number(r))));
      });
      if (!sent) throw new KeyDockError('agent-timeout', 'Pageant did not answer in time.', 'Check whether Pageant shows a prompt, then try again.');
      if (!Number(result[0])) throw new KeyDockError('agent-refused', 'Pageant ignored the request (it answers only requests from the same Windows user).', 'Run KeyDock as the same user as Pageant, not elevated.');
      const len = mem.readUInt32BE(0);
      if (len < 1 || len > size - 4) throw new KeyDockError('agent-protocol-error', `Pageant wrote a reply of impossible length ${len}.`, 'Restart Pageant.');
      return Buffer.from(mem.subarray(0, 4 + len));
    } finally {
      api.UnmapViewOfFile(view);
    }
  } finally {
    koffi.free(nameMem);
    api.CloseHandle(mapping);
  }
}

/**
 * A Duplex over WM_COPYDATA: each complete frame written is one exchange, replies are pushed
 * in order. Frames are exchanged one at a time, like every Pageant client.
 */
export function openPageantWindowStream(options: CopyDataOptions = {}): Duplex {
  let pending = Buffer.alloc(0);
  let chain = Promise.resolve();
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const len = pending.readUInt32BE(0);
        if (pending.length < 4 + len) break;
        const frame = pending.subarray(0, 4 + len);
        pending = pending.subarray(4 + len);
        chain = chain.then(async () => {
          try {
            stream.push(await pageantCopyDataExchange(frame, options));
          } catch (e) {
            stream.destroy(e instanceof Error ? e : new Error(String(e)));
          }
        });
      }
      done();
    },
    final(done) {
      void chain.then(() => {
        stream.push(null);
        done();
      });
    },
  });
  return stream;
}

/** Opens the current user's Pageant pipe, refusing it unless the user owns it (PuTTY's rule). */
export function openPageantPipeStream(): Promise<Duplex> {
  return openCheckedPipe(currentPageantPipeName(), [ownSids(win32()).user]);
}

/** Opens the Windows OpenSSH agent pipe, accepting the user, SYSTEM (the service) or Administrators as owner. */
export function openOpenSshPipeStream(path = OPENSSH_AGENT_PIPE): Promise<Duplex> {
  return openCheckedPipe(path, [ownSids(win32()).user, SID_LOCAL_SYSTEM, SID_ADMINISTRATORS]);
}

/** Reaches Pageant the way PuTTY does: its named pipe first, the window second. */
export async function openPageantStream(): Promise<{ stream: Duplex; via: 'pageant-pipe' | 'pageant-window' }> {
  try {
    return { stream: await openPageantPipeStream(), via: 'pageant-pipe' };
  } catch (e) {
    // Only a missing pipe falls back; an impostor pipe is an error the user must see.
    if (!(e instanceof KeyDockError && e.code === 'agent-unreachable')) throw e;
  }
  if (pageantWindowExists()) return { stream: openPageantWindowStream(), via: 'pageant-window' };
  throw new KeyDockError('agent-unreachable', 'Pageant is not running (neither its pipe nor its window exists).', 'Start Pageant or KeyDock\'s agent (`keydock serve --pageant`).', { exitCode: 2 });
}
