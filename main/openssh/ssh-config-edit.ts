/**
 * Small, checked edits to ~/.ssh/config: give a host its own key (IdentityFile +
 * IdentitiesOnly) or add a Host alias for a deploy key. Every edit keeps the user's other
 * lines byte-for-byte, saves the previous file as `config.keydock-backup`, writes
 * atomically (0600 for a new file; a symlinked config is written through the link), and is
 * verified by resolving the host again; an edit that ssh would not honour is rolled back with
 * an explanation. The app and the CLI may edit at once: each edit reads and writes the file
 * under its lock.
 */
import { readFile, rm } from 'node:fs/promises';
import { KeyDockError } from '../util/errors';
import { withFileLock } from '../util/file-lock';
import { resolveLinkTarget, safeWriteFile } from '../util/safe-write';
import { expandTilde, resolveSshConfig, type ResolveOptions, type ResolvedHost } from './ssh-config';
import { parseConfigBlocks, quoteConfigValue } from './ssh-config-parse';

export interface ConfigEditResult {
  configFile: string;
  backupFile: string | null;
  /** 1-based line numbers of the lines KeyDock wrote. */
  linesAdded: number[];
  resolved: ResolvedHost;
}

async function readOrEmpty(path: string): Promise<{ text: string; exists: boolean }> {
  try {
    return { text: await readFile(path, 'utf8'), exists: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', exists: false };
    throw new KeyDockError('ssh-config-unreadable', `Could not read ${path}.`, 'Make the file readable by you, then try again.', { cause: e });
  }
}

function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Splits text into lines keeping their line endings, so unchanged lines are written back as they were. */
function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Index (0-based line) where a new Host block goes: before the first Host/Match (so it takes
 * effect before any `Host *`), after the global lines, and above the comment lines directly over
 * that Host/Match line, which belong to it; with no block at all, at the end.
 */
export function firstBlockLine(text: string): number {
  const blocks = parseConfigBlocks(text);
  const first = blocks.find((b) => b.kind !== 'global');
  if (!first) return linesOf(text).length;
  const lines = linesOf(text);
  let at = first.line - 1;
  while (at > 0 && /^\s*#/.test(lines[at - 1] as string)) at--;
  return at;
}

function insertLines(text: string, at: number, newLines: string[]): { text: string; added: number[] } {
  const eol = eolOf(text);
  const lines = linesOf(text);
  if (at >= lines.length && lines.length > 0 && !(lines[lines.length - 1] as string).endsWith('\n')) lines[lines.length - 1] += eol;
  const block = newLines.map((l) => `${l}${eol}`);
  lines.splice(at, 0, ...block);
  return { text: lines.join(''), added: block.map((_b, i) => at + i + 1) };
}

async function commit(configFile: string, original: { text: string; exists: boolean }, text: string, backupFirst = true): Promise<string | null> {
  const backup = original.exists && backupFirst ? `${configFile}.keydock-backup` : null;
  await safeWriteFile(configFile, text, { mode: 0o600, createParents: true, ...(backup ? { backup } : {}) });
  return backup;
}

async function restore(configFile: string, original: { text: string; exists: boolean }): Promise<void> {
  if (original.exists) await safeWriteFile(configFile, original.text);
  // A dangling link stays as it was: only the file KeyDock created at its end goes.
  else await rm(await resolveLinkTarget(configFile), { force: true });
}

/**
 * Makes ssh use exactly KEYPATH for ALIAS (`IdentityFile` + `IdentitiesOnly yes`): inside
 * the alias's own `Host` block when one exists, else in a new block placed before the
 * first Host/Match so it takes effect. The fix for "too many authentication failures".
 */
export async function setHostIdentity(configFile: string, alias: string, keyPath: string, resolveOpts: Omit<ResolveOptions, 'configFile'>): Promise<ConfigEditResult> {
  return withFileLock(configFile, () => setHostIdentityLocked(configFile, alias, keyPath, resolveOpts), { createParents: true });
}

async function setHostIdentityLocked(configFile: string, alias: string, keyPath: string, resolveOpts: Omit<ResolveOptions, 'configFile'>): Promise<ConfigEditResult> {
  const original = await readOrEmpty(configFile);
  const settings = [`  IdentityFile ${quoteConfigValue(keyPath)}`, '  IdentitiesOnly yes'];
  const effective = (r: ResolvedHost) => r.identitiesOnly && r.identityFiles.includes(keyPath);
  const own = parseConfigBlocks(original.text).find((b) => b.kind === 'host' && b.patterns.includes(alias));
  const attempts: Array<() => { text: string; added: number[] }> = [];
  if (own) attempts.push(() => insertLines(original.text, own.line, settings));
  attempts.push(() => insertLines(original.text, firstBlockLine(original.text), [`Host ${alias}`, ...settings, '']));
  let backup: string | null = null;
  for (const [i, attempt] of attempts.entries()) {
    const edit = attempt();
    // Only the first write backs up: later ones would copy KeyDock's own edit over the original.
    const b = await commit(configFile, original, edit.text, i === 0);
    if (i === 0) backup = b;
    const resolved = await resolveSshConfig(alias, { ...resolveOpts, configFile });
    if (effective(resolved)) return { configFile, backupFile: backup, linesAdded: edit.added, resolved };
  }
  await restore(configFile, original);
  throw new KeyDockError(
    'ssh-config-edit-ineffective',
    `KeyDock could not make ssh use ${keyPath} for ${alias}: another line in your SSH config sets IdentitiesOnly first.`,
    `Open ${configFile} and add "IdentityFile ${keyPath}" and "IdentitiesOnly yes" to the first block that matches ${alias}.`,
  );
}

export interface HostAlias {
  alias: string;
  hostname: string;
  user: string;
  port?: number;
  identityFile: string;
}

/** The block addHostAlias writes (and the window previews), ending with an empty line. */
export function hostAliasLines(spec: HostAlias): string[] {
  return [
    `# Added by KeyDock: ${spec.user}@${spec.hostname} with its own key`,
    `Host ${spec.alias}`,
    `  HostName ${spec.hostname}`,
    `  User ${spec.user}`,
    ...(spec.port && spec.port !== 22 ? [`  Port ${spec.port}`] : []),
    `  IdentityFile ${quoteConfigValue(spec.identityFile)}`,
    '  IdentitiesOnly yes',
    '',
  ];
}

/** Host aliases (other than EXCEPT) whose block names IDENTITYFILE, as written or with `~` expanded. */
export async function hostsUsingIdentityFile(configFile: string, identityFile: string, home: string, except?: string): Promise<string[]> {
  const { text } = await readOrEmpty(configFile);
  const out: string[] = [];
  for (const b of parseConfigBlocks(text)) {
    if (b.kind !== 'host' || (except !== undefined && b.patterns.includes(except))) continue;
    const uses = b.entries.some((e) => e.keyword === 'identityfile' && e.args[0] !== undefined && expandTilde(e.args[0], home) === identityFile);
    if (uses) out.push(b.patterns.join(' '));
  }
  return out;
}

/** Adds `Host ALIAS` (HostName, User, Port, IdentityFile, IdentitiesOnly yes): one key per repository or account. */
export async function addHostAlias(configFile: string, spec: HostAlias, resolveOpts: Omit<ResolveOptions, 'configFile'>): Promise<ConfigEditResult> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec.alias)) {
    throw new KeyDockError('invalid-alias', `"${spec.alias}" cannot be a Host alias.`, 'Use letters, digits, dots, dashes and underscores, e.g. github.com-myrepo.', { exitCode: 2 });
  }
  return withFileLock(configFile, () => addHostAliasLocked(configFile, spec, resolveOpts), { createParents: true });
}

async function addHostAliasLocked(configFile: string, spec: HostAlias, resolveOpts: Omit<ResolveOptions, 'configFile'>): Promise<ConfigEditResult> {
  const original = await readOrEmpty(configFile);
  const existing = parseConfigBlocks(original.text).find((b) => b.kind === 'host' && b.patterns.includes(spec.alias));
  if (existing) {
    throw new KeyDockError('alias-exists', `Your SSH config already has "Host ${spec.alias}" (line ${existing.line}).`, 'Choose another alias, or remove that block first.', { exitCode: 2 });
  }
  const lines = hostAliasLines(spec);
  const edit = insertLines(original.text, firstBlockLine(original.text), lines);
  const backup = await commit(configFile, original, edit.text);
  const resolved = await resolveSshConfig(spec.alias, { ...resolveOpts, configFile });
  if (resolved.hostname !== spec.hostname.toLowerCase() || !resolved.identitiesOnly || !resolved.identityFiles.includes(spec.identityFile)) {
    await restore(configFile, original);
    throw new KeyDockError(
      'ssh-config-edit-ineffective',
      `The new "Host ${spec.alias}" block would not take effect: earlier lines in ${configFile} override it.`,
      'Look for global settings before the first Host line (HostName, IdentitiesOnly) and move them under "Host *" at the end.',
    );
  }
  return { configFile, backupFile: backup, linesAdded: edit.added, resolved };
}

/**
 * Adds `Host *` + `IdentityAgent SOCKET` at the end of the config (after every other block, so a
 * host's own IdentityAgent still wins), under MARK, unless exactly that text is there already.
 * Returns the text added (what `removeConfigText` takes back), or null when it was there. The
 * edit is checked by resolving a host no block names; when an earlier line sets IdentityAgent
 * first, the file is put back and the error names the fix.
 */
export async function addGlobalIdentityAgent(configFile: string, socket: string, mark: string, resolveOpts: Omit<ResolveOptions, 'configFile'>): Promise<{ added: string | null; backupFile: string | null; resolved: ResolvedHost }> {
  return withFileLock(
    configFile,
    async () => {
      const original = await readOrEmpty(configFile);
      const eol = eolOf(original.text);
      const body = [mark, 'Host *', `  IdentityAgent ${quoteConfigValue(socket)}`].map((l) => l + eol).join('');
      const check = () => resolveSshConfig('keydock-login-agent.invalid', { ...resolveOpts, configFile });
      if (original.text.includes(body)) return { added: null, backupFile: null, resolved: await check() };
      // A blank line between the user's last block and KeyDock's; a missing final newline is added first.
      const lead = original.text === '' ? '' : original.text.endsWith(`${eol}${eol}`) ? '' : original.text.endsWith('\n') ? eol : eol + eol;
      const added = lead + body;
      const backupFile = await commit(configFile, original, original.text + added);
      const resolved = await check();
      if (resolved.identityAgent !== socket) {
        await restore(configFile, original);
        throw new KeyDockError(
          'ssh-config-edit-ineffective',
          `An earlier line in ${configFile} sets IdentityAgent${resolved.identityAgent ? ` (${resolved.identityAgent})` : ''} for every host, so KeyDock's line would not take effect.`,
          `Remove or change that IdentityAgent line to "IdentityAgent ${socket}", then install again.`,
        );
      }
      return { added, backupFile, resolved };
    },
    { createParents: true },
  );
}

/**
 * Takes back TEXT that KeyDock added (addGlobalIdentityAgent's result) while it is still in the
 * file exactly as written; every other byte stays. `removed: false` when it is gone or was changed.
 */
export async function removeConfigText(configFile: string, text: string): Promise<{ removed: boolean; backupFile: string | null }> {
  return withFileLock(configFile, async () => {
    const original = await readOrEmpty(configFile);
    const at = original.text.lastIndexOf(text);
    if (!original.exists || text === '' || at < 0) return { removed: false, backupFile: null };
    const next = original.text.slice(0, at) + original.text.slice(at + text.length);
    const backupFile = await commit(configFile, original, next);
    return { removed: true, backupFile };
  });
}
