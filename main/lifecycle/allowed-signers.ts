// The allowed-signers file Git hands to `ssh-keygen -Y verify` (gpg.ssh.allowedSignersFile):
// one line per trusted key, `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]` (ssh-keygen(1),
// ALLOWED SIGNERS). KeyDock only ever adds whole lines or removes a line it added; every other
// line stays byte for byte. Written through safe-write under the file's lock.
import { KeyDockError } from '../util/errors';
import { withFileLock } from '../util/file-lock';
import { readUserFileIfExists } from '../util/read-file';
import { safeWriteFile } from '../util/safe-write';
import type { KeyRef } from './authorized-keys';

const MAX_BYTES = 4 * 1024 * 1024;

/** An e-mail that can stand as a principal: no spaces, commas, quotes or patterns. */
export function checkPrincipal(email: string): string {
  const e = email.trim();
  if (!/^[^\s,"'*?!#]+@[^\s,"'*?!#]+$/.test(e) || e.length > 320) {
    throw new KeyDockError('invalid-email', `"${email}" cannot be used as the signer's e-mail.`, 'Give a plain address such as you@example.com (--email), or set git config user.email.', { exitCode: 2 });
  }
  return e;
}

/** `EMAIL namespaces="git" TYPE BASE64`: the entry that lets Git verify signatures by KEY for EMAIL. */
export function signerLine(email: string, key: KeyRef): string {
  return `${checkPrincipal(email)} namespaces="git" ${key.type} ${key.blob}`;
}

function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Splits a line into words, keeping double-quoted parts (options) together. */
function words(line: string): string[] {
  return line.trim().match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
}

/** Whether LINE is an entry (not a comment) for KEY; returns its words. */
export function entryFor(line: string, key: KeyRef): string[] | null {
  const t = line.trim();
  if (!t || t.startsWith('#')) return null;
  const w = words(t);
  const at = w.findIndex((x, i) => x === key.blob && w[i - 1] === key.type);
  return at > 0 ? w : null;
}

/** The entries of FILE that name KEY (the lines as written, without line ends). */
export async function signerEntries(file: string, key: KeyRef): Promise<string[]> {
  const text = await readText(file);
  return linesOf(text ?? '')
    .map((l) => l.replace(/\r?\n$/, ''))
    .filter((l) => entryFor(l, key) !== null);
}

/** Whether FILE lists KEY for EMAIL (with the git namespace or no namespace restriction). */
export async function listsSigner(file: string, key: KeyRef, email: string): Promise<boolean> {
  const text = await readText(file);
  for (const l of linesOf(text ?? '')) {
    const w = entryFor(l, key);
    if (!w) continue;
    const principals = (w[0] as string).replace(/^"|"$/g, '').split(',');
    const nsOpt = w.slice(1).find((x) => /^namespaces=/i.test(x));
    const namespaces = nsOpt ? nsOpt.replace(/^namespaces=/i, '').replace(/^"|"$/g, '').split(',') : null;
    if (principals.includes(email) && (!namespaces || namespaces.includes('git') || namespaces.includes('*'))) return true;
  }
  return false;
}

async function readText(file: string): Promise<string | null> {
  const bytes = await readUserFileIfExists(file, { maxBytes: MAX_BYTES, what: 'allowed signers file' });
  return bytes === null ? null : bytes.toString('utf8');
}

/**
 * Appends LINE to FILE unless an identical line is there; creates the file (0600, folders
 * 0700) when missing; keeps the previous file as FILE.keydock-backup. Returns whether it was added.
 */
export async function addSignerLine(file: string, line: string): Promise<{ added: boolean; backup: string | null }> {
  return withFileLock(
    file,
    async () => {
      const text = (await readText(file)) ?? '';
      if (linesOf(text).some((l) => l.replace(/\r?\n$/, '') === line)) return { added: false, backup: null };
      const eol = text.includes('\r\n') ? '\r\n' : '\n';
      const next = `${text}${text && !text.endsWith('\n') ? eol : ''}${line}${eol}`;
      const r = await safeWriteFile(file, next, { createParents: true, ...(text ? { backup: `${file}.keydock-backup` } : {}) });
      return { added: true, backup: r.backup };
    },
    { createParents: true },
  );
}

/** Removes the lines of FILE exactly equal to LINE (a line KeyDock added); returns how many. */
export async function removeSignerLine(file: string, line: string): Promise<number> {
  return withFileLock(file, async () => {
    const text = await readText(file);
    if (text === null) return 0;
    const all = linesOf(text);
    const kept = all.filter((l) => l.replace(/\r?\n$/, '') !== line);
    if (kept.length === all.length) return 0;
    await safeWriteFile(file, kept.join(''), { backup: `${file}.keydock-backup` });
    return all.length - kept.length;
  });
}

/**
 * The entry for NEWKEY that mirrors an existing entry for OLDKEY: same principals, options and
 * comment, only the key changed.
 */
export function successorEntry(line: string, oldKey: KeyRef, newKey: KeyRef): string | null {
  const w = entryFor(line, oldKey);
  if (!w) return null;
  const at = w.findIndex((x, i) => x === oldKey.blob && w[i - 1] === oldKey.type);
  const out = [...w];
  out[at - 1] = newKey.type;
  out[at] = newKey.blob;
  return out.join(' ');
}
