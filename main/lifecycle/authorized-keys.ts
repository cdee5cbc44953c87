/**
 * The two fixed commands KeyDock runs on a server to change an account's authorized_keys, and
 * how to read what they answer. Each is ONE idempotent command: `exec sh -c '<script>'`, with
 * everything that varies (the file, the key types, blobs and the line to add) passed on
 * standard input, one value per line, and read with `read -r` — never put into the command.
 *
 * - add:    appends a key line unless the key is already there (matched by its type and blob,
 *           not by text). A new key takes the options of the old key's line (`from=…`,
 *           `command=…`, `no-agent-forwarding`…) so a rotation never widens what a key may do.
 *           Every other line stays as it was. It prints the old key's lines with their line
 *           numbers. A rollback uses it to put a removed line back by its exact text, at its
 *           old line number (through a temp file, as below).
 * - remove: removes the lines that hold exactly one key (its type followed by its blob as
 *           whole words), except `cert-authority` lines (a CA is not a login key), by writing
 *           the other lines, byte for byte, to a temp file beside it (same mode and owner) and
 *           renaming it over the file; a symlinked file is written through its link. The
 *           removed lines are printed with their numbers so a rollback can put them back.
 *
 * The script text is a single line without `'`, `!` or `\\`, so it reaches `sh` unchanged
 * through any login shell (sh, bash, zsh, csh, tcsh, fish), as ssh-copy-id's does.
 */

/** awk: the options before key T B on LINE, or SOH when LINE does not hold that key. */
const KEYOPTS = [
  'function rt(s) { while (length(s) > 0 && (substr(s, length(s), 1) == " " || substr(s, length(s), 1) == "\\t")) s = substr(s, 1, length(s) - 1); return s }',
  'function lt(s) { while (length(s) > 0 && (substr(s, 1, 1) == " " || substr(s, 1, 1) == "\\t")) s = substr(s, 2); return s }',
  // Options end where the key starts: outside double quotes (a key's text inside `command="…"` is not the key).
  'function closed(s,   i, c, q) { q = 0; for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); if (c == sprintf("%c", 92)) i++; else if (c == sprintf("%c", 34)) q++ } return q % 2 == 0 }',
  'function keyopts(line, t, b,   s, off, j, st, before, after, pre, opt, c) {',
  '  if (substr(lt(line), 1, 1) == "#") return "\\001";',
  '  s = line; off = 0;',
  '  while ((j = index(s, b)) > 0) {',
  '    st = off + j; before = substr(line, 1, st - 1); after = substr(line, st + length(b), 1);',
  '    if ((after == "" || after == " " || after == "\\t" || after == "\\r") && length(before) > length(rt(before))) {',
  '      pre = rt(before);',
  '      if (length(pre) >= length(t) && substr(pre, length(pre) - length(t) + 1) == t) {',
  '        opt = substr(pre, 1, length(pre) - length(t)); c = substr(opt, length(opt), 1);',
  '        if ((opt == "" || c == " " || c == "\\t") && closed(opt)) return lt(rt(opt));',
  '      }',
  '    }',
  '    s = substr(s, j + 1); off = off + j;',
  '  }',
  '  return "\\001";',
  '}',
].join(' ');

/** Is this line a login line of key T B (not a comment, not a cert-authority line)? */
const IS_KEY_LINE = 'o = keyopts($0, ENVIRON["T"], ENVIRON["B"]); k = 1; if (o == "\\001") k = 0; if (tolower(o) ~ /cert-authority/) k = 0;';

const AWK = {
  /** exit 0 when the file holds key T B. */
  has: `${KEYOPTS} { ${IS_KEY_LINE} if (k == 1) x = 1 } END { exit 1 - x }`,
  /** The options of the first line of key T B (empty when it has none). */
  opts: `${KEYOPTS} { ${IS_KEY_LINE} if (k == 1) { print o; exit 0 } }`,
  /** The lines of key T B, each as LINENUMBER:LINE. */
  matches: `${KEYOPTS} { ${IS_KEY_LINE} if (k == 1) print NR ":" $0 }`,
  /** Every other line. */
  keep: `${KEYOPTS} { ${IS_KEY_LINE} if (k == 0) print $0 }`,
  /** The file with line L inserted before line N. */
  insert: 'NR == ENVIRON["N"] + 0 { print ENVIRON["L"] } { print $0 }',
  count: 'END { print NR }',
};

/** Puts an awk program inside a double-quoted sh word. */
function dq(program: string): string {
  return `"${program.replace(/["$`]/g, (c) => `\\${c}`)}"`;
}

/** $f relative to the account's home; $t the end of its symlink chain (written through, the link stays). */
const TARGET = ['case "$f" in /*) ;; *) f="$HOME/$f" ;; esac'];
const REAL_TARGET = ['t=$(readlink -f -- "$f" 2>/dev/null) || t=', '[ -n "$t" ] || t="$f"'];
/** Replaces $t by the output of awk program $1 run on it, through a temp file with $t's mode and owner. */
const REWRITE = (program: string, env: string) => [
  'n="$t.keydock-tmp.$$"',
  'cp -p -- "$t" "$n" || { rm -f -- "$n"; exit 4; }',
  `${env} awk ${dq(program)} "$t" > "$n" || { rm -f -- "$n"; exit 4; }`,
  'mv -f -- "$n" "$t" || { rm -f -- "$n"; exit 4; }',
];

const ADD_SCRIPT = [
  'umask 077',
  'IFS= read -r f && IFS= read -r nt && IFS= read -r nb && IFS= read -r ot && IFS= read -r ob && IFS= read -r k && IFS= read -r at || { echo keydock-bad-input >&2; exit 3; }',
  ...TARGET,
  'd=$(dirname -- "$f")',
  '[ -d "$d" ] || mkdir -p -m 700 -- "$d" || exit 4',
  '[ -e "$f" ] || : >> "$f" || exit 4',
  ...REAL_TARGET,
  'm=',
  'o=',
  `if [ -n "$ot" ]; then m=$(T="$ot" B="$ob" awk ${dq(AWK.matches)} "$t") || exit 4; o=$(T="$ot" B="$ob" awk ${dq(AWK.opts)} "$t") || exit 4; fi`,
  'p=',
  `if [ -n "$nt" ]; then T="$nt" B="$nb" awk ${dq(AWK.has)} "$t" && p=1; else grep -qxF -e "$k" -- "$t" && p=1; fi`,
  'if [ -n "$p" ]; then echo keydock-present; echo; fi',
  'if [ -n "$o" ]; then l="$o $k"; else l="$k"; fi',
  'c=0',
  `if [ -z "$p" ] && [ -n "$at" ]; then c=$(awk ${dq(AWK.count)} "$t") || exit 4; fi`,
  'w=',
  'if [ -z "$p" ] && [ -n "$at" ] && [ "$at" -ge 1 ] 2>/dev/null && [ "$at" -le "$c" ] 2>/dev/null; then w=1; fi',
  `if [ -n "$w" ]; then ${REWRITE(AWK.insert, 'N="$at" L="$l"').join('; ')}; fi`,
  'if [ -z "$p" ] && [ -z "$w" ] && [ -s "$t" ] && [ -n "$(tail -c 1 -- "$t")" ]; then echo >> "$t" || exit 4; fi',
  'if [ -z "$p" ] && [ -z "$w" ]; then printf "%s\\n" "$l" >> "$t" || exit 4; fi',
  'if [ -z "$p" ]; then echo keydock-added; printf "%s\\n" "$l"; fi',
  'echo keydock-old',
  '[ -z "$m" ] || printf "%s\\n" "$m"',
].join('; ');

const REMOVE_SCRIPT = [
  'umask 077',
  'IFS= read -r f && IFS= read -r ot && IFS= read -r ob || { echo keydock-bad-input >&2; exit 3; }',
  ...TARGET,
  '[ -e "$f" ] || { echo keydock-absent; exit 0; }',
  ...REAL_TARGET,
  `m=$(T="$ot" B="$ob" awk ${dq(AWK.matches)} "$t") || exit 4`,
  '[ -n "$m" ] || { echo keydock-absent; exit 0; }',
  ...REWRITE(AWK.keep, 'T="$ot" B="$ob"'),
  'echo keydock-removed',
  'printf "%s\\n" "$m"',
].join('; ');

function remoteCommand(script: string): string {
  if (/['!\n]|\\\\/.test(script)) throw new Error('internal: a remote script must not hold a quote, "!", "\\\\" or a newline');
  return `exec sh -c '${script}'`;
}

/** The command string for `ssh … -- HOST <command>` that adds a key line. */
export const ADD_COMMAND = remoteCommand(ADD_SCRIPT);
/** The command string that removes a key's lines. */
export const REMOVE_COMMAND = remoteCommand(REMOVE_SCRIPT);

/** A public key as authorized_keys names it. */
export interface KeyRef {
  type: string;
  /** base64 of the key blob. */
  blob: string;
}

function field(name: string, value: string): string {
  if (value.includes('\n')) throw new Error(`internal: ${name} must be one line`);
  return value;
}

/**
 * Standard input for ADD_COMMAND: add LINE (`TYPE BASE64 [comment]`) unless KEY is already
 * there; when INHERIT names the old key, the new line takes that key's options. With KEY
 * null, LINE is a whole line put back as it was (by exact text), before line AT when given.
 */
export function addInput(file: string, key: KeyRef | null, line: string, inherit: KeyRef | null, at: number | null = null): string {
  const values = [file, key?.type ?? '', key?.blob ?? '', inherit?.type ?? '', inherit?.blob ?? '', line, at === null ? '' : String(at)];
  return `${values.map((v, i) => field(`value ${i + 1}`, v)).join('\n')}\n`;
}

/** Standard input for REMOVE_COMMAND. */
export function removeInput(file: string, key: KeyRef): string {
  return `${[field('file', file), field('type', key.type), field('blob', key.blob)].join('\n')}\n`;
}

/** A line of authorized_keys with its 1-based number. */
export interface NumberedLine {
  n: number;
  line: string;
}

/** What ADD_COMMAND did, and the lines of the old key it saw (to put them back exactly). */
export type AddOutcome = ({ kind: 'added'; line: string } | { kind: 'present' }) & { oldLines: NumberedLine[] };
export type RemoveOutcome = { kind: 'removed'; lines: NumberedLine[] } | { kind: 'absent' };

function numbered(lines: string[]): NumberedLine[] {
  const out: NumberedLine[] = [];
  for (const l of lines) {
    const m = /^(\d+):(.*)$/s.exec(l);
    if (m) out.push({ n: Number(m[1]), line: m[2] as string });
  }
  return out;
}

function tail(lines: string[], from: number): string[] {
  const rest = lines.slice(from);
  while (rest.length > 0 && rest[rest.length - 1] === '') rest.pop();
  return rest;
}

/** Reads what ADD_COMMAND printed; null when it did not finish (see the exit status). */
export function parseAddOutput(stdout: string): AddOutcome | null {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l === 'keydock-added' || l === 'keydock-present');
  const old = lines.indexOf('keydock-old', at + 1);
  if (at < 0 || old < 0) return null;
  const oldLines = numbered(tail(lines, old + 1));
  if (lines[at] === 'keydock-present') return { kind: 'present', oldLines };
  const line = lines[at + 1];
  return line === undefined || line === '' ? null : { kind: 'added', line, oldLines };
}

/** Reads what REMOVE_COMMAND printed; null when it did not finish. */
export function parseRemoveOutput(stdout: string): RemoveOutcome | null {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l === 'keydock-removed' || l === 'keydock-absent');
  if (at < 0) return null;
  if (lines[at] === 'keydock-absent') return { kind: 'absent' };
  return { kind: 'removed', lines: numbered(tail(lines, at + 1)) };
}

/** `TYPE BASE64` of a public key line, for matching. */
export function keyRefOf(publicLine: string): KeyRef {
  const [type = '', blob = ''] = publicLine.trim().split(/\s+/);
  return { type, blob };
}
