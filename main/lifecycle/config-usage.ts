/**
 * Where ~/.ssh/config (and every file it Includes, as ssh reads them) names a key with
 * `IdentityFile`, and the edit that points those lines at another key. main/openssh has no
 * "replace an IdentityFile value" edit, so this is a small adapter on top of its line reader
 * (ssh-config-parse.ts), its Include rules (ssh-config.ts) and safe-write: each file is read
 * and written under its lock, only the value on the matching lines changes (indentation,
 * `=`, trailing comments and line ends are kept; quotes only where the new path needs them), the previous file is kept as FILE.keydock-backup, a symlinked
 * file is written through its link, and the result is checked by resolving the hosts again.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { withFileLock } from '../util/file-lock';
import { readUserFileIfExists } from '../util/read-file';
import { safeWriteFile } from '../util/safe-write';
import { expandGlob, expandTilde } from '../openssh/ssh-config';
import { quoteConfigValue, splitConfigLine } from '../openssh/ssh-config-parse';

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const MAX_INCLUDE_DEPTH = 16;

export interface ConfigBlockRef {
  kind: 'global' | 'host' | 'match';
  patterns: string[];
}

/** One IdentityFile line that names the key. */
export interface ConfigUsage {
  file: string;
  /** 1-based. */
  line: number;
  /** The line as written, without its line end. */
  text: string;
  /** Which file of the pair it names. */
  which: 'private' | 'public';
  block: ConfigBlockRef;
}

export interface KeyPaths {
  privatePath: string;
  publicPath: string;
}

function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Expands an IdentityFile value the way ssh does for the parts that do not depend on the host; null when it does. */
export function expandIdentityPath(arg: string, home: string, env: NodeJS.ProcessEnv): string | null {
  const parts = expandTilde(arg, home).split('%%');
  // %d is the home folder; any other token (%h, %r, …) depends on the host.
  if (parts.some((x) => /%(?!d)/.test(x))) return null;
  let p = parts.map((x) => x.replace(/%d/g, home)).join('%');
  p = p.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, n: string) => env[n] ?? `\${${n}}`);
  if (/\$\{/.test(p)) return null;
  return isAbsolute(p) ? p : resolve(home, p);
}

function matchKey(arg: string, home: string, env: NodeJS.ProcessEnv, key: KeyPaths): 'private' | 'public' | null {
  const p = expandIdentityPath(arg, home, env);
  if (!p) return null;
  for (const [which, target] of [
    ['private', key.privatePath],
    ['public', key.publicPath],
  ] as const) {
    if (resolve(p) === resolve(target) || real(p) === real(target)) return which;
  }
  return null;
}

/** Every IdentityFile line naming KEY in CONFIGFILE and its Includes, in reading order. */
export async function findConfigUsages(configFile: string, key: KeyPaths, opts: { home: string; env: NodeJS.ProcessEnv }): Promise<{ usages: ConfigUsage[]; files: string[] }> {
  const usages: ConfigUsage[] = [];
  const files: string[] = [];
  const visit = async (file: string, inherited: ConfigBlockRef, depth: number): Promise<void> => {
    if (depth > MAX_INCLUDE_DEPTH) return;
    const bytes = await readUserFileIfExists(file, { maxBytes: MAX_CONFIG_BYTES, what: 'SSH config file', codes: { notRegular: 'ssh-config-unreadable', tooLarge: 'ssh-config-unreadable', unreadable: 'ssh-config-unreadable' } });
    if (bytes === null) return;
    if (!files.includes(file)) files.push(file);
    let block = inherited;
    const lines = linesOf(bytes.toString('utf8'));
    for (const [i, raw] of lines.entries()) {
      const text = raw.replace(/\r?\n$/, '');
      const parsed = splitConfigLine(text, `${file}:${i + 1}`);
      if (!parsed) continue;
      if (parsed.keyword === 'host' || parsed.keyword === 'match') {
        block = { kind: parsed.keyword, patterns: parsed.args };
      } else if (parsed.keyword === 'include') {
        for (const pattern of parsed.args) {
          let path = expandTilde(pattern, opts.home);
          if (!isAbsolute(path)) path = join(opts.home, '.ssh', path);
          for (const f of await expandGlob(path)) await visit(f, block, depth + 1);
        }
      } else if (parsed.keyword === 'identityfile' && parsed.args[0] !== undefined) {
        const which = matchKey(parsed.args[0], opts.home, opts.env, key);
        if (which) usages.push({ file, line: i + 1, text, which, block });
      }
    }
  };
  await visit(configFile, { kind: 'global', patterns: [] }, 0);
  return { usages, files };
}

/** Host aliases a block names outright (no wildcards, no negations). */
export function concreteHosts(block: ConfigBlockRef): string[] {
  if (block.kind !== 'host') return [];
  return block.patterns.filter((p) => !/[*?!]/.test(p));
}

export function describeBlock(block: ConfigBlockRef): string {
  if (block.kind === 'global') return '(top of file, every host)';
  return `${block.kind === 'host' ? 'Host' : 'Match'} ${block.patterns.join(' ')}`;
}

/**
 * How a line's value should name the new key: in the style the user wrote the old one (`~/…`,
 * `%d/…` or a full path).
 */
export function styledPath(oldArg: string, newPath: string, home: string): string {
  const rel = relative(home, newPath);
  const underHome = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  if (underHome && (oldArg.startsWith('~/') || oldArg === '~')) return `~/${rel.split('\\').join('/')}`;
  if (underHome && oldArg.startsWith('%d/')) return `%d/${rel.split('\\').join('/')}`;
  return newPath;
}

const IDENTITY_LINE = /^(\s*identityfile(?:\s*=\s*|\s+))("(?:[^"\\]|\\.)*"|\S+)(.*)$/i;

/** LINE with its IdentityFile value replaced by VALUE; null when the line does not have the expected shape. */
export function replaceIdentityValue(line: string, value: string): string | null {
  const m = IDENTITY_LINE.exec(line);
  if (!m) return null;
  return `${m[1]}${quoteConfigValue(value)}${m[3]}`;
}

/** One line KeyDock changed (or will change). */
export interface LineEdit {
  line: number;
  before: string;
  after: string;
}

/** What an edit of one file did: enough to undo it. */
export interface FileEdit {
  file: string;
  /** The file actually written (the end of a symlink chain). */
  written: string | null;
  backup: string | null;
  originalSha256: string;
  editedSha256: string;
  edits: LineEdit[];
}

/** The edits for FILE's text: each line naming the old key gets the new key's path, in the same style. */
export function planFileEdits(text: string, file: string, from: KeyPaths, to: KeyPaths, opts: { home: string; env: NodeJS.ProcessEnv }): { text: string; edits: LineEdit[] } {
  const lines = linesOf(text);
  const edits: LineEdit[] = [];
  const out = lines.map((raw, i) => {
    const eol = /\r?\n$/.exec(raw)?.[0] ?? '';
    const line = raw.slice(0, raw.length - eol.length);
    const parsed = splitConfigLine(line, `${file}:${i + 1}`);
    if (!parsed || parsed.keyword !== 'identityfile' || parsed.args[0] === undefined) return raw;
    const which = matchKey(parsed.args[0], opts.home, opts.env, from);
    if (!which) return raw;
    const after = replaceIdentityValue(line, styledPath(parsed.args[0], which === 'private' ? to.privatePath : to.publicPath, opts.home));
    if (after === null) return raw;
    edits.push({ line: i + 1, before: line, after });
    return `${after}${eol}`;
  });
  return { text: out.join(''), edits };
}

async function readConfigText(file: string): Promise<string | null> {
  const bytes = await readUserFileIfExists(file, { maxBytes: MAX_CONFIG_BYTES, what: 'SSH config file' });
  return bytes === null ? null : bytes.toString('utf8');
}

/**
 * Points every IdentityFile line of FILE that names FROM at TO, under the file's lock, with a
 * backup. `beforeWrite` runs with the planned edit before anything is written (the rotation
 * saves it, so an interrupted run can be undone). Nothing to change → null.
 */
export async function rewriteConfigFile(
  file: string,
  from: KeyPaths,
  to: KeyPaths,
  opts: { home: string; env: NodeJS.ProcessEnv; beforeWrite?: (edit: FileEdit) => Promise<void> },
): Promise<FileEdit | null> {
  return withFileLock(file, async () => {
    const text = await readConfigText(file);
    if (text === null) return null;
    const planned = planFileEdits(text, file, from, to, opts);
    if (planned.edits.length === 0) return null;
    const edit: FileEdit = { file, written: null, backup: null, originalSha256: sha256(text), editedSha256: sha256(planned.text), edits: planned.edits };
    await opts.beforeWrite?.(edit);
    const r = await safeWriteFile(file, planned.text, { backup: `${file}.keydock-backup` });
    edit.written = r.path;
    edit.backup = r.backup;
    return edit;
  });
}

/**
 * Undoes EDIT: when the file is still exactly what KeyDock wrote and the backup is the
 * original, the backup comes back whole; otherwise each changed line that is still as KeyDock
 * left it gets its old text back (other changes made since stay). Returns what it did.
 */
export async function undoConfigEdit(edit: FileEdit): Promise<'restored' | 'lines-reverted' | 'unchanged'> {
  return withFileLock(edit.file, async () => {
    const text = await readConfigText(edit.file);
    if (text === null) return 'unchanged';
    const current = sha256(text);
    if (current === edit.originalSha256) return 'unchanged';
    const backup = edit.backup ?? `${edit.file}.keydock-backup`;
    if (current === edit.editedSha256) {
      const saved = await readConfigText(backup).catch(() => null);
      if (saved !== null && sha256(saved) === edit.originalSha256) {
        await safeWriteFile(edit.file, saved);
        return 'restored';
      }
    }
    const lines = linesOf(text);
    let changed = false;
    for (const e of edit.edits) {
      // The line where KeyDock left it, else the first line still exactly as KeyDock wrote it.
      const candidates = [e.line - 1, ...lines.map((_l, i) => i)];
      for (const i of candidates) {
        const raw = lines[i];
        if (raw === undefined) continue;
        const eol = /\r?\n$/.exec(raw)?.[0] ?? '';
        if (raw.slice(0, raw.length - eol.length) === e.after) {
          lines[i] = `${e.before}${eol}`;
          changed = true;
          break;
        }
      }
    }
    if (!changed) return 'unchanged';
    await safeWriteFile(edit.file, lines.join(''), { backup: backup });
    return 'lines-reverted';
  });
}
