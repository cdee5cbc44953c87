// The one way KeyDock reads a file a user (or a config line) names: key files, .pub files,
// ssh_config and its Includes, known_hosts. Such a path may name a FIFO, a device, a folder or a
// huge file; a plain readFile would then block forever (a FIFO without a writer), never end
// (/dev/zero) or fill memory. This reader looks before it reads, and reads a bounded amount.
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { KeyDockError } from './errors';

/** Error codes readUserFile throws unless the caller names its own. */
export const FileErrorCode = {
  notFound: 'file-not-found',
  notRegular: 'file-not-regular',
  tooLarge: 'file-too-large',
  unreadable: 'file-unreadable',
} as const;

export interface ReadUserFileOptions {
  /** Refuse files larger than this; at most this many bytes are ever read. */
  maxBytes: number;
  /** What the file should be, for messages ("key file", "SSH config file"). */
  what?: string;
  /** Error codes to use instead of FileErrorCode (e.g. the key reader's own). */
  codes?: Partial<Record<keyof typeof FileErrorCode, string>>;
  /** Hints to use instead of the generic ones. */
  hints?: Partial<Record<keyof typeof FileErrorCode, string>>;
  /**
   * Exit code of the too-large error (default 2). A reader for which size is a fact of the file's
   * content (a key file: bad content is exit 1) says 1; for ssh_config and known_hosts, files
   * that shape the command's environment, the default 2 stays.
   */
  tooLargeExitCode?: 1 | 2;
}

/**
 * Reads a regular file of at most `maxBytes`, refusing anything else up front with a message
 * that says what the path is ("is a FIFO (named pipe), not a file"). It stats first, opens with
 * O_NONBLOCK (so opening a FIFO that slipped in between never waits for a writer), checks the
 * opened file again with fstat, and stops reading at the limit even if the file grows.
 * /dev/null reads as an empty file, as `ssh -F /dev/null` expects. Every error is a KeyDockError
 * with exit code 2 (a bad path, not a failed operation), but a too-large file may be 1 (`tooLargeExitCode`).
 */
export async function readUserFile(path: string, opts: ReadUserFileOptions): Promise<Buffer> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (e) {
    throw fileError(path, e, opts);
  }
  if (await isDevNull(st)) return Buffer.alloc(0);
  refuseKind(path, st, opts);
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (e) {
    throw fileError(path, e, opts);
  }
  try {
    const opened = await fh.stat();
    refuseKind(path, opened, opts);
    return await readAtMost(fh, path, opts, opened.size);
  } catch (e) {
    if (e instanceof KeyDockError) throw e;
    throw fileError(path, e, opts);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** readUserFile, but a path that does not exist (ENOENT, ENOTDIR) gives null, as ssh treats a missing config or known_hosts. */
export async function readUserFileIfExists(path: string, opts: ReadUserFileOptions): Promise<Buffer | null> {
  try {
    return await readUserFile(path, opts);
  } catch (e) {
    if (isMissingFileError(e)) return null;
    throw e;
  }
}

/** The first `bytes` bytes of a regular file (fewer if it is shorter), with readUserFile's checks but no size limit. */
export async function readUserFileHead(path: string, bytes: number, opts: Omit<ReadUserFileOptions, 'maxBytes'> = {}): Promise<Buffer> {
  let fh: FileHandle;
  const o = { ...opts, maxBytes: Number.MAX_SAFE_INTEGER };
  try {
    refuseKind(path, await stat(path), o);
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (e) {
    if (e instanceof KeyDockError) throw e;
    throw fileError(path, e, o);
  }
  try {
    refuseKind(path, await fh.stat(), o);
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } catch (e) {
    if (e instanceof KeyDockError) throw e;
    throw fileError(path, e, o);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** True for the error readUserFile throws when the path does not exist (whatever code the caller chose). */
export function isMissingFileError(e: unknown): boolean {
  const errno = e instanceof KeyDockError ? (e.cause as NodeJS.ErrnoException | undefined)?.code : undefined;
  return errno === 'ENOENT' || errno === 'ENOTDIR';
}

/** What a non-regular path is, in words: "a FIFO (named pipe)", "a folder", …; null for a regular file. */
export function describeFileKind(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device (a disk)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function refuseKind(path: string, st: Stats, opts: ReadUserFileOptions): void {
  const kind = describeFileKind(st);
  const what = opts.what ?? 'file';
  if (kind) {
    throw new KeyDockError(opts.codes?.notRegular ?? FileErrorCode.notRegular, `${path} is ${kind}, not ${a(what)}.`, opts.hints?.notRegular ?? `Give the path of a regular ${what}.`, { exitCode: 2 });
  }
  if (st.size > opts.maxBytes) throw tooLarge(path, st.size, opts);
}

/**
 * Reads the open file to its end, at most `maxBytes`. The first read is sized by fstat (plus one
 * byte, to see the end): a key or config file is read in one call into a buffer of its size,
 * not a zeroed 64 KiB one; a file that grows meanwhile is read on in 64 KiB steps.
 */
async function readAtMost(fh: FileHandle, path: string, opts: ReadUserFileOptions, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  // One byte past the limit tells "exactly at the limit" from "larger" without reading on.
  let want = Math.min(size + 1, opts.maxBytes + 1);
  for (;;) {
    const buf = Buffer.alloc(want);
    const { bytesRead } = await fh.read(buf, 0, want, null);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
    if (total > opts.maxBytes) throw tooLarge(path, null, opts);
    want = Math.min(64 * 1024, opts.maxBytes + 1 - total);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

function tooLarge(path: string, size: number | null, opts: ReadUserFileOptions): KeyDockError {
  const what = opts.what ?? 'file';
  return new KeyDockError(
    opts.codes?.tooLarge ?? FileErrorCode.tooLarge,
    `${path} is ${size === null ? 'larger than' : `${size} bytes, more than`} the ${opts.maxBytes} bytes KeyDock reads from ${a(what)}.`,
    opts.hints?.tooLarge ?? `Check that this is the ${what} you meant.`,
    { exitCode: opts.tooLargeExitCode ?? 2 },
  );
}

function fileError(path: string, e: unknown, opts: ReadUserFileOptions): KeyDockError {
  const code = (e as NodeJS.ErrnoException).code;
  const what = opts.what ?? 'file';
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new KeyDockError(opts.codes?.notFound ?? FileErrorCode.notFound, `There is no file ${path}.`, opts.hints?.notFound ?? 'Check the path.', { exitCode: 2, cause: e });
  }
  if (code === 'EISDIR') {
    return new KeyDockError(opts.codes?.notRegular ?? FileErrorCode.notRegular, `${path} is a folder, not ${a(what)}.`, opts.hints?.notRegular ?? `Give the path of a regular ${what}.`, { exitCode: 2, cause: e });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new KeyDockError(opts.codes?.unreadable ?? FileErrorCode.unreadable, `KeyDock is not allowed to read ${path}.`, opts.hints?.unreadable ?? `Make it readable by you: chmod 600 ${path}.`, { exitCode: 2, cause: e });
  }
  return new KeyDockError(opts.codes?.unreadable ?? FileErrorCode.unreadable, `${path} could not be read (${code ?? String(e)}).`, opts.hints?.unreadable ?? 'Check the file and try again.', { exitCode: 2, cause: e });
}

/** "a key file", "an SSH config file". */
function a(noun: string): string {
  return `${/^([aeiou]|SSH|RSA)/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

let devNull: Promise<Stats | null> | null = null;

/** Whether a stat result is the null device (through any symlink); reading it is harmless and empty. */
async function isDevNull(st: Stats): Promise<boolean> {
  if (!st.isCharacterDevice() || process.platform === 'win32') return false;
  devNull ??= stat('/dev/null').catch(() => null);
  const n = await devNull;
  return !!n && n.rdev === st.rdev && n.dev === st.dev && n.ino === st.ino;
}
