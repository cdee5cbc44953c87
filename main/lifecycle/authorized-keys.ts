/**
 * The two fixed commands KeyDock runs on a server to change an account's authorized_keys, and
 * how to read what they answer. Each is ONE idempotent command: `exec sh -c '<script>'`, with
 * everything that varies (the file, the key types, blobs and the line to add) passed on
 * standard input, one value per line, and read with `read -r` — never put into the command.
 *
 * - add:    appends a key line unless the key is already there (matched by its type and blob,
 *           not by text). A new key takes the options of the old key's line (`from=…`,
 *           `command=…`, `no-agent-forwarding`…) so a rotation never widens what a key may do.
 *           Every other line stays as it was; the file only grows.
 * - remove: removes the lines that hold exactly one key (its type followed by its blob as
 *           whole words), except `cert-authority` lines (a CA is not a login key), by writing
 *           the other lines, byte for byte, to a temp file beside it (same mode and owner) and
 *           renaming it over the file; a symlinked file is written through its link. The
 *           removed lines are printed so a rollback can put them back exactly.
 *
 * The script text is a single line without `'`, `!` or `\\`, so it reaches `sh` unchanged
 * through any login shell (sh, bash, zsh, csh, tcsh, fish), as ssh-copy-id's does.
 */

/** awk: the options before key T B on LINE, or SOH when LINE does not hold that key. */
const KEYOPTS = [
  'function rt(s) { while (length(s) > 0 && (substr(s, length(s), 1) == " " || substr(s, length(s), 1) == "\\t")) s = substr(s, 1, length(s) - 1); return s }',
  'function lt(s) { while (length(s) > 0 && (substr(s, 1, 1) == " " || substr(s, 1, 1) == "\\t")) s = substr(s, 2); return s }',
  'function keyopts(line, t, b,   s, off, j, st, before, after, pre, opt, c) {',
  '  if (substr(lt(line), 1, 1) == "#") return "\\001";',
  '  s = line; off = 0;',
  '  while ((j = index(s, b)) > 0) {',
  '    st = off + j; before = substr(line, 1, st - 1); after = substr(line, st + length(b), 1);',
  '    if ((after == "" || after == " " || after == "\\t" || after == "\\r") && length(before) > length(rt(before))) {',
  '      pre = rt(before);',
  '      if (length(pre) >= length(t) && substr(pre, length(pre) - length(t) + 1) == t) {',
  '        opt = substr(pre, 1, length(pre) - length(t)); c = substr(opt, length(opt), 1);',
  '        if (opt == "" || c == " " || c == "\\t") return lt(rt(opt));',
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
  /** The lines of key T B. */
  matches: `${KEYOPTS} { ${IS_KEY_LINE} if (k == 1) print $0 }`,
  /** Every other line. */
  keep: `${KEYOPTS} { ${IS_KEY_LINE} if (k == 0) print $0 }`,
};

/** Puts an awk program inside a double-quoted sh word. */
function dq(program: string): string {
  return `"${program.replace(/["$`]/g, (c) => `\\${c}`)}"`;
}

const READ_FILE = [
  'case "$f" in /*) ;; *) f="$HOME/$f" ;; esac',
];

const ADD_SCRIPT = [
  'umask 077',
  'IFS= read -r f && IFS= read -r nt && IFS= read -r nb && IFS= read -r ot && IFS= read -r ob && IFS= read -r k || { echo keydock-bad-input >&2; exit 3; }',
  ...READ_FILE,
  'd=$(dirname -- "$f")',
  '[ -d "$d" ] || mkdir -p -m 700 -- "$d" || exit 4',
  '[ -e "$f" ] || : >> "$f" || exit 4',
  'm=',
  'o=',
  `if [ -n "$ot" ]; then m=$(T="$ot" B="$ob" awk ${dq(AWK.matches)} "$f") || exit 4; o=$(T="$ot" B="$ob" awk ${dq(AWK.opts)} "$f") || exit 4; fi`,
  'p=',
  `if [ -n "$nt" ]; then T="$nt" B="$nb" awk ${dq(AWK.has)} "$f" && p=1; else grep -qxF -e "$k" -- "$f" && p=1; fi`,
  'if [ -n "$p" ]; then echo keydock-present; echo; fi',
  'if [ -n "$o" ]; then l="$o $k"; else l="$k"; fi',
  'if [ -z "$p" ] && [ -s "$f" ] && [ -n "$(tail -c 1 -- "$f")" ]; then echo >> "$f" || exit 4; fi',
  'if [ -z "$p" ]; then printf "%s\\n" "$l" >> "$f" || exit 4; echo keydock-added; printf "%s\\n" "$l"; fi',
  'echo keydock-old',
  '[ -z "$m" ] || printf "%s\\n" "$m"',
].join('; ');

const REMOVE_SCRIPT = [
  'umask 077',
  'IFS= read -r f && IFS= read -r ot && IFS= read -r ob || { echo keydock-bad-input >&2; exit 3; }',
  ...READ_FILE,
  '[ -e "$f" ] || { echo keydock-absent; exit 0; }',
  't=$(readlink -f -- "$f" 2>/dev/null) || t=',
  '[ -n "$t" ] || t="$f"',
  `m=$(T="$ot" B="$ob" awk ${dq(AWK.matches)} "$t") || exit 4`,
  '[ -n "$m" ] || { echo keydock-absent; exit 0; }',
  'n="$t.keydock-tmp.$$"',
  'cp -p -- "$t" "$n" || { rm -f -- "$n"; exit 4; }',
  `T="$ot" B="$ob" awk ${dq(AWK.keep)} "$t" > "$n" || { rm -f -- "$n"; exit 4; }`,
  'mv -f -- "$n" "$t" || { rm -f -- "$n"; exit 4; }',
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
  if (/[\r\n]/.test(value)) throw new Error(`internal: ${name} must be one line`);
  return value;
}

/**
 * Standard input for ADD_COMMAND: add LINE (`TYPE BASE64 [comment]`, or a whole line with
 * options when putting a removed line back) unless KEY is already there; when INHERIT names
 * the old key, the new line takes that key's options.
 */
export function addInput(file: string, key: KeyRef, line: string, inherit: KeyRef | null): string {
  return `${[field('file', file), field('type', key.type), field('blob', key.blob), field('type', inherit?.type ?? ''), field('blob', inherit?.blob ?? ''), field('line', line)].join('\n')}\n`;
}

/** Standard input for REMOVE_COMMAND. */
export function removeInput(file: string, key: KeyRef): string {
  return `${[field('file', file), field('type', key.type), field('blob', key.blob)].join('\n')}\n`;
}

/** What ADD_COMMAND did, and the lines of the old key it saw (for putting them back exactly). */
export type AddOutcome = ({ kind: 'added'; line: string } | { kind: 'present' }) & { oldLines: string[] };
export type RemoveOutcome = { kind: 'removed'; lines: string[] } | { kind: 'absent' };

/** Reads what ADD_COMMAND printed; null when it did not finish (see the exit status). */
export function parseAddOutput(stdout: string): AddOutcome | null {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l === 'keydock-added' || l === 'keydock-present');
  const old = lines.indexOf('keydock-old', at + 1);
  if (at < 0 || old < 0) return null;
  const oldLines = lines.slice(old + 1);
  while (oldLines.length > 0 && oldLines[oldLines.length - 1] === '') oldLines.pop();
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
  const rest = lines.slice(at + 1);
  while (rest.length > 0 && rest[rest.length - 1] === '') rest.pop();
  return { kind: 'removed', lines: rest };
}

/** `TYPE BASE64` of a public key line, for matching. */
export function keyRefOf(publicLine: string): KeyRef {
  const [type = '', blob = ''] = publicLine.trim().split(/\s+/);
  return { type, blob };
}
