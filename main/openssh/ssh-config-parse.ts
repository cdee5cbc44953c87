/**
 * Line-level reading of OpenSSH client config files (ssh_config(5)), shared by the resolver,
 * the doctor (duplicate Host blocks) and the editor (setup-host, add IdentitiesOnly).
 * Splitting follows OpenSSH's readconf.c/misc.c: `keyword value` or `keyword=value`,
 * double or single quotes group words, a backslash escapes a quote, a backslash or a space,
 * and an unquoted `#` at the start of a word ends the line.
 */
import { KeyDockError } from '../util/errors';

export interface ConfigLine {
  /** 1-based line number in its file. */
  line: number;
  /** Lowercased keyword (`host`, `identityfile`, ...). */
  keyword: string;
  /** The keyword as written (for messages and edits). */
  rawKeyword: string;
  args: string[];
}

export interface ConfigBlock {
  kind: 'global' | 'host' | 'match';
  /** Host patterns, or the Match criteria words. */
  patterns: string[];
  /** Line of the Host/Match keyword (0 for the implicit block before the first one). */
  line: number;
  entries: ConfigLine[];
}

/** Splits one config line into keyword and arguments; null for blank and comment lines. */
export function splitConfigLine(text: string, where = ''): { keyword: string; rawKeyword: string; args: string[] } | null {
  const trimmed = text.replace(/[\s]+$/, '').replace(/^[\s]+/, '');
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const m = /^([^\s=]+)(?:\s*=\s*|\s+|$)/.exec(trimmed);
  if (!m) throw invalid(`cannot read this line`, where);
  const rawKeyword = (m[1] as string).replace(/^"(.*)"$/, '$1');
  const rest = trimmed.slice(m[0].length);
  return { keyword: rawKeyword.toLowerCase(), rawKeyword, args: splitArgs(rest, where) };
}

/** OpenSSH's argv_split with comment termination: words, quotes and backslash escapes. */
export function splitArgs(s: string, where = ''): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
    if (i >= s.length) break;
    if (s[i] === '#') break;
    let arg = '';
    let quote: string | null = null;
    for (; i < s.length; i++) {
      const c = s[i] as string;
      if (c === '\\') {
        const n = s[i + 1];
        if (n === "'" || n === '"' || n === '\\' || (quote === null && n === ' ')) {
          arg += n;
          i++;
        } else {
          arg += c;
        }
      } else if (quote === null && /\s/.test(c)) {
        break;
      } else if (quote === null && (c === '"' || c === "'")) {
        quote = c;
      } else if (quote !== null && c === quote) {
        quote = null;
      } else {
        arg += c;
      }
    }
    if (quote !== null) throw invalid('a quote is not closed', where);
    out.push(arg);
  }
  return out;
}

function invalid(what: string, where: string): KeyDockError {
  return new KeyDockError(
    'ssh-config-invalid',
    `Your SSH config could not be read${where ? ` (${where})` : ''}: ${what}.`,
    'Fix that line in the file (ssh itself would refuse it too), then try again.',
    { exitCode: 2 },
  );
}

/** Reads a config file's text into lines with their keywords; blank and comment lines are skipped. */
export function parseConfigLines(text: string, fileName = ''): ConfigLine[] {
  const lines: ConfigLine[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    const parsed = splitConfigLine(raw, `${fileName}${fileName ? ':' : 'line '}${idx + 1}`);
    if (parsed) lines.push({ line: idx + 1, ...parsed });
  });
  return lines;
}

/** Groups a file's lines by Host/Match block, as the doctor and the editor see them. */
export function parseConfigBlocks(text: string, fileName = ''): ConfigBlock[] {
  const blocks: ConfigBlock[] = [{ kind: 'global', patterns: [], line: 0, entries: [] }];
  for (const l of parseConfigLines(text, fileName)) {
    if (l.keyword === 'host' || l.keyword === 'match') {
      blocks.push({ kind: l.keyword, patterns: l.args, line: l.line, entries: [] });
    } else {
      (blocks[blocks.length - 1] as ConfigBlock).entries.push(l);
    }
  }
  return blocks;
}

/**
 * OpenSSH's match_pattern: `*` any run of characters, `?` one character, case-sensitive
 * (callers lowercase host names first, as ssh does).
 */
export function matchPattern(text: string, pattern: string): boolean {
  let re = '^';
  for (const c of pattern) {
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else re += c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's').test(text);
}

/**
 * OpenSSH's match_pattern_list: comma-separated patterns, a matching `!pattern` vetoes.
 * Returns 1 (match), 0 (no match) or -1 (negated match).
 */
export function matchPatternList(text: string, list: string, caseInsensitive: boolean): -1 | 0 | 1 {
  const subject = caseInsensitive ? text.toLowerCase() : text;
  let got: 0 | 1 = 0;
  for (let p of list.split(',')) {
    const negated = p.startsWith('!');
    if (negated) p = p.slice(1);
    if (caseInsensitive) p = p.toLowerCase();
    if (matchPattern(subject, p)) {
      if (negated) return -1;
      got = 1;
    }
  }
  return got;
}

/** Host line semantics: any pattern matches and no negated pattern does. */
export function hostPatternsMatch(host: string, patterns: string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    if (matchPattern(host, negated ? p.slice(1) : p)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Quotes a value for writing into a config file only when it needs it. */
export function quoteConfigValue(value: string): string {
  if (value !== '' && !/[\s"'#\\]/.test(value)) return value;
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}
