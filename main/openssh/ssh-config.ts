/**
 * Resolves a destination through the user's SSH config the way OpenSSH's `ssh` does
 * (readconf.c): `~/.ssh/config` then the system file (or only the `configFile` given, like
 * `ssh -F`), `Include` with globs, `Host` and `Match` blocks, first value wins except for
 * keywords that accumulate (`IdentityFile`, `CertificateFile`, ...), a second "final" pass
 * when a `Match final` asks for it, then ssh's defaults and %-token expansion.
 * The tests compare the result with `ssh -G` over a corpus of configs.
 *
 * Like ssh, it refuses what ssh refuses, as a usage error (exit 2) naming file:line: unknown
 * keywords (unless IgnoreUnknown lists them), bad ports, flag values and argument counts, an
 * unset `${VAR}` in IdentityAgent, and destinations or `-l` users with shell metacharacters.
 * `Match exec` is never run (running commands from a config file is not KeyDock's call): the
 * criterion counts as false, so `exec` blocks do not apply and `!exec` ones do, and
 * `unsupported` says so. `Match localnetwork` is treated the same way.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { hostname as osHostname, userInfo } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { KeyDockError } from '../util/errors';
import { readUserFile, readUserFileIfExists } from '../util/read-file';
import { hostPatternsMatch, matchPatternList, parseConfigLines, type ConfigLine } from './ssh-config-parse';

export interface ResolveOptions {
  /** The user's home (from ctx.paths.home); `~` and `%d` expand to it. */
  home: string;
  /** Environment for `IdentityAgent SSH_AUTH_SOCK`/`$VAR` and `${VAR}` expansion. */
  env: NodeJS.ProcessEnv;
  /** Like `ssh -F FILE`: read only this file (the system file is skipped unless given too). */
  configFile?: string;
  /** System-wide file; default /etc/ssh/ssh_config (Windows: %ProgramData%\ssh\ssh_config); null = none. */
  systemConfigFile?: string | null;
  /** Like `ssh -l USER` or `user@host`: wins over the config. */
  user?: string;
  /** Like `ssh -p PORT`: wins over the config. */
  port?: number;
  /** Local login name (default: the OS user). */
  localUser?: string;
  platform?: NodeJS.Platform;
}

export interface ConfigSource {
  file: string;
  line: number;
}

export interface ResolvedHost {
  /** The destination as typed. */
  alias: string;
  hostname: string;
  user: string;
  port: number;
  /** Identity files, `~` and %-tokens expanded, in order; ssh's defaults when none configured. */
  identityFiles: string[];
  /** False when `identityFiles` are only ssh's built-in defaults. */
  identityFilesExplicit: boolean;
  certificateFiles: string[];
  identitiesOnly: boolean;
  /**
   * The agent socket/pipe ssh would use: `IdentityAgent` expanded, else `SSH_AUTH_SOCK`;
   * 'none' when disabled; null when nothing is set.
   */
  identityAgent: string | null;
  /** Where identityAgent came from. */
  identityAgentSource: 'config' | 'env' | 'none';
  proxyJump: string | null;
  proxyCommand: string | null;
  hostKeyAlias: string | null;
  /** ControlPath with `~`, %-tokens and `${VAR}` expanded; null when unset or `none`. */
  controlPath?: string | null;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: string;
  hashKnownHosts: boolean;
  batchMode: boolean;
  connectTimeout: number | null;
  addKeysToAgent: string;
  /** Every keyword that was set: lowercased keyword → arguments (accumulated ones concatenated). */
  options: Record<string, string[]>;
  /** Where each first-wins keyword was set (for messages such as "IdentitiesOnly set at config:12"). */
  sources: Record<string, ConfigSource>;
  /** Config files read, in order. */
  filesRead: string[];
  /** Things this resolver did not evaluate the way ssh would (e.g. `Match exec`), in plain words. */
  unsupported: string[];
}

const ACCUMULATE = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv', 'setenv']);
const DEDUPE = new Set(['identityfile', 'certificatefile']);
const DEFAULT_IDENTITY_FILES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'];
const MAX_INCLUDE_DEPTH = 16;
/**
 * Every keyword OpenSSH 9.2's ssh accepts (current, deprecated and unsupported ones, which it
 * only warns about). Any other keyword is an error there ("Bad configuration option"), even in
 * a block that does not match, unless `IgnoreUnknown` lists it.
 */
const KNOWN_KEYWORDS = new Set(
  (
    'addkeystoagent addressfamily afstokenpassing batchmode bindaddress bindinterface canonicaldomains canonicalizefallbacklocal ' +
    'canonicalizehostname canonicalizemaxdots canonicalizepermittedcnames casignaturealgorithms certificatefile ' +
    'challengeresponseauthentication checkhostip cipher ciphers clearallforwardings compression compressionlevel connectionattempts ' +
    'connecttimeout controlmaster controlpath controlpersist dsaauthentication dynamicforward enableescapecommandline enablesshkeysign ' +
    'escapechar exitonforwardfailure fallbacktorsh fingerprinthash forkafterauthentication forwardagent forwardx11 forwardx11timeout ' +
    'forwardx11trusted gatewayports globalknownhostsfile globalknownhostsfile2 gssapiauthentication gssapiclientidentity ' +
    'gssapidelegatecredentials gssapikexalgorithms gssapikeyexchange gssapirenewalforcesrekey gssapiserveridentity gssapitrustdns ' +
    'hashknownhosts host hostbasedacceptedalgorithms hostbasedauthentication hostbasedkeytypes hostkeyalgorithms hostkeyalias hostname ' +
    'identitiesonly identityagent identityfile identityfile2 ignoreunknown include ipqos kbdinteractiveauthentication kbdinteractivedevices ' +
    'kerberosauthentication kerberostgtpassing kexalgorithms knownhostscommand localcommand localforward loglevel logverbose macs match ' +
    'nohostauthenticationforlocalhost numberofpasswordprompts passwordauthentication permitlocalcommand permitremoteopen pkcs11provider ' +
    'port preferredauthentications protocol protocolkeepalives proxycommand proxyjump proxyusefdpass pubkeyacceptedalgorithms ' +
    'pubkeyacceptedkeytypes pubkeyauthentication rekeylimit remotecommand remoteforward requesttty requiredrsasize revokedhostkeys ' +
    'rhostsrsaauthentication rsaauthentication securitykeyprovider sendenv serveralivecountmax serveraliveinterval sessiontype setenv ' +
    'setuptimeout skeyauthentication smartcarddevice stdinnull streamlocalbindmask streamlocalbindunlink stricthostkeychecking ' +
    'syslogfacility tcpkeepalive tisauthentication tunnel tunneldevice updatehostkeys useblacklistedkeys useprivilegedport user ' +
    'userknownhostsfile userknownhostsfile2 useroaming usersh verifyhostkeydns visualhostkey xauthlocation'
  ).split(' '),
);
/** Keywords that take exactly one argument (ssh: "no argument after keyword" / "extra arguments at end of line"). */
const ONE_ARG = new Set([
  'hostname', 'user', 'port', 'identityagent', 'identityfile', 'certificatefile', 'hostkeyalias', 'controlpath', 'identitiesonly',
  'stricthostkeychecking', 'batchmode', 'connecttimeout', 'hashknownhosts', 'canonicalizehostname', 'addkeystoagent',
]);
/** Allowed values (case-insensitive) of the flags KeyDock reads, as ssh's multistate tables have them. */
const FLAG_VALUES: Record<string, string[]> = {
  identitiesonly: ['yes', 'no', 'true', 'false'],
  batchmode: ['yes', 'no', 'true', 'false'],
  hashknownhosts: ['yes', 'no', 'true', 'false'],
  stricthostkeychecking: ['yes', 'no', 'true', 'false', 'ask', 'accept-new', 'off'],
  canonicalizehostname: ['yes', 'no', 'true', 'false', 'always'],
};
/** Characters ssh refuses in a destination given on its command line ("hostname contains invalid characters"). */
const INVALID_HOST_CHARS = /['`"$\\;&<>|(){},\s\p{Cc}]/u;
/** Far beyond any real ssh_config; what one config or Include file may hold. */
const MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024;

interface State {
  opts: ResolveOptions;
  hostArg: string;
  /** What `Host` lines match against: the host as typed, or the resolved HostName in the final pass. */
  matchHost: string;
  localUser: string;
  finalPass: boolean;
  wantFinalPass: boolean;
  values: Map<string, string[]>;
  sources: Map<string, ConfigSource>;
  filesRead: string[];
  unsupported: Set<string>;
}

/** Resolves HOST through the SSH config like `ssh -G HOST`, so the tester connects where ssh would. */
export async function resolveSshConfig(host: string, opts: ResolveOptions): Promise<ResolvedHost> {
  if (!host || INVALID_HOST_CHARS.test(host) || host.startsWith('-')) {
    // ssh -G refuses these too ("hostname contains invalid characters"); `Host a,b` in a config
    // is a literal pattern, never a list, so "a,b" is no destination ssh accepts.
    throw new KeyDockError(
      'invalid-host',
      `"${host}" is not a host name (ssh refuses a destination that starts with "-" or contains spaces or any of ' \` " $ \\ ; & < > | ( ) { } ,).`,
      'Give a host such as github.com or git@github.com, or a Host alias without those characters.',
      { exitCode: 2 },
    );
  }
  if (opts.user !== undefined && !validRemoteUser(opts.user)) {
    // ssh refuses these in a user name given on its command line ("remote username contains invalid characters").
    throw new KeyDockError(
      'invalid-user',
      `"${opts.user}" is not a user name ssh accepts (it starts with "-", ends with "\\", has "-" after a space, or contains any of ' \` " ; & < > | ( ) { }).`,
      'Give the login name only, e.g. git.',
      { exitCode: 2 },
    );
  }
  const platform = opts.platform ?? process.platform;
  // ssh matches `Host` lines against the name as typed (case-sensitive) and lowercases
  // only the final HostName.
  const hostArg = host;
  const state: State = {
    opts,
    hostArg,
    matchHost: hostArg,
    localUser: opts.localUser ?? safeLocalUser(),
    finalPass: false,
    wantFinalPass: false,
    values: new Map(),
    sources: new Map(),
    filesRead: [],
    unsupported: new Set(),
  };
  if (opts.user !== undefined) setValue(state, 'user', [opts.user], { file: '(command line)', line: 0 });
  if (opts.port !== undefined) setValue(state, 'port', [String(opts.port)], { file: '(command line)', line: 0 });

  const userFile = opts.configFile ?? join(opts.home, '.ssh', 'config');
  const systemFile =
    opts.systemConfigFile !== undefined
      ? opts.systemConfigFile
      : opts.configFile !== undefined
        ? null
        : platform === 'win32'
          ? join(opts.env.ProgramData ?? opts.env.PROGRAMDATA ?? 'C:\\ProgramData', 'ssh', 'ssh_config')
          : '/etc/ssh/ssh_config';

  const readAll = async () => {
    await readConfigFile(state, userFile, 'user', true, 0, opts.configFile !== undefined);
    if (systemFile) await readConfigFile(state, systemFile, 'system', true, 0, false);
  };
  await readAll();
  // CanonicalizeHostname yes/always makes ssh re-read the config with the (canonical) HostName,
  // and `Match canonical` is true in that pass. `ssh -G` does no DNS lookups; neither do we.
  const canon = state.values.get('canonicalizehostname')?.[0]?.toLowerCase();
  if (canon !== undefined && canon !== 'no' && canon !== 'false') state.wantFinalPass = true;
  if (state.wantFinalPass) {
    // ssh re-reads everything with the resolved HostName as the name `Host` lines see.
    const hostname = expandHostname(state);
    state.values.set('hostname', [hostname]);
    state.matchHost = hostname;
    state.finalPass = true;
    await readAll();
  }
  return finish(state, platform);
}

/** ssh's valid_ruser: the checks ssh makes on `-l USER` / `USER@host`. */
function validRemoteUser(user: string): boolean {
  if (user === '' || user.startsWith('-') || user.endsWith('\\')) return false;
  if (/['`";&<>|(){}]/.test(user)) return false;
  return !/\s-/.test(user);
}

function safeLocalUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'user';
  }
}

function setValue(state: State, keyword: string, args: string[], source: ConfigSource): void {
  if (ACCUMULATE.has(keyword)) {
    const prev = state.values.get(keyword) ?? [];
    const add = DEDUPE.has(keyword) ? args.filter((a) => !prev.includes(a)) : args;
    state.values.set(keyword, [...prev, ...add]);
    if (!state.sources.has(keyword)) state.sources.set(keyword, source);
    return;
  }
  if (state.values.has(keyword)) return;
  // ProxyCommand and ProxyJump are one setting in ssh: whichever comes first wins, and a later
  // one of the other kind is ignored (a `ProxyJump none` does not block a later ProxyCommand).
  if (keyword === 'proxyjump' && state.values.has('proxycommand')) return;
  if (keyword === 'proxycommand' && state.values.has('proxyjump') && state.values.get('proxyjump')?.[0]?.toLowerCase() !== 'none') return;
  state.values.set(keyword, args);
  state.sources.set(keyword, source);
}

async function readConfigFile(state: State, file: string, kind: 'user' | 'system', active: boolean, depth: number, mustExist: boolean): Promise<boolean> {
  // A missing file reads as empty (as in ssh) unless -F named it; a FIFO, device or folder is an
  // error up front, never a read that blocks or does not end. /dev/null reads as empty.
  const read = mustExist ? readUserFile : readUserFileIfExists;
  const bytes = await read(file, {
    maxBytes: MAX_CONFIG_FILE_BYTES,
    what: 'SSH config file',
    codes: { notFound: 'ssh-config-unreadable', notRegular: 'ssh-config-unreadable', tooLarge: 'ssh-config-unreadable', unreadable: 'ssh-config-unreadable' },
    hints: { notFound: 'Check that the file exists.', unreadable: 'Make the file readable by you (chmod 600).' },
  });
  if (bytes === null) return active;
  const text = bytes.toString('utf8');
  if (!state.filesRead.includes(file)) state.filesRead.push(file);
  let activep = active;
  const neverMatch = !active;
  for (const line of parseConfigLines(text, file)) {
    activep = await processLine(state, line, file, kind, activep, neverMatch, depth);
  }
  return activep;
}

async function processLine(
  state: State,
  l: ConfigLine,
  file: string,
  kind: 'user' | 'system',
  activep: boolean,
  neverMatch: boolean,
  depth: number,
): Promise<boolean> {
  const where = { file, line: l.line };
  switch (l.keyword) {
    case 'host': {
      if (l.args.length === 0) throw badLine(where, 'Host needs at least one pattern');
      return !neverMatch && hostPatternsMatch(state.matchHost, l.args);
    }
    case 'match': {
      const m = await evaluateMatch(state, l.args, where);
      return !neverMatch && m;
    }
    case 'include': {
      if (depth >= MAX_INCLUDE_DEPTH) throw badLine(where, 'Include nested too deeply');
      if (l.args.length === 0) throw badLine(where, 'Include needs a file name');
      for (const pattern of l.args) {
        let path = expandTilde(pattern, state.opts.home);
        if (!isAbsolute(path)) path = kind === 'user' ? join(state.opts.home, '.ssh', path) : join(dirname(file) || '/etc/ssh', path);
        for (const f of await expandGlob(path)) {
          // An Include inside a non-matching block is read with nothing able to match.
          await readConfigFile(state, f, kind, activep, depth + 1, false);
        }
      }
      return activep;
    }
    default:
      if (!KNOWN_KEYWORDS.has(l.keyword)) {
        const ignore = state.values.get('ignoreunknown')?.[0];
        if (ignore !== undefined && matchPatternList(l.keyword, ignore, true) === 1) return activep;
        throw badLine(where, `"${l.rawKeyword}" is not an ssh_config keyword ("Bad configuration option")`);
      }
      await checkLine(state, l, where);
      if (activep) setValue(state, l.keyword, l.keyword === 'port' ? [String(await parsePort(l.args[0] as string, where))] : l.args, where);
      return activep;
  }
}

/** The checks ssh makes on every line as it reads it, whether or not its block matches. */
async function checkLine(state: State, l: ConfigLine, where: ConfigSource): Promise<void> {
  const kw = l.keyword;
  if (ONE_ARG.has(kw) || kw === 'proxyjump' || kw === 'proxycommand') {
    if (l.args.length === 0 || l.args[0] === '') throw badLine(where, `no argument after keyword "${l.rawKeyword}"`);
  }
  if (ONE_ARG.has(kw) && l.args.length > 1) throw badLine(where, `${l.rawKeyword} takes one value ("extra arguments at end of line")`);
  const value = l.args[0] as string;
  const allowed = FLAG_VALUES[kw];
  if (allowed && !allowed.includes(value.toLowerCase())) throw badLine(where, `${l.rawKeyword} cannot be "${value}" (use ${allowed.join(', ')})`);
  if (kw === 'port') await parsePort(value, where);
  if (kw === 'connecttimeout' && value.toLowerCase() !== 'none' && !/^(\d+[smhdw]?)+$/i.test(value)) throw badLine(where, `ConnectTimeout "${value}" is not a time`);
  if (kw === 'identityagent') {
    // ssh checks the environment references of IdentityAgent as it reads the line.
    if (value.startsWith('$') && !value.startsWith('${') && !/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw badLine(where, `IdentityAgent ${value} is not a valid environment variable name`);
    for (const m of value.matchAll(/\$\{([^}]*)\}?/g)) {
      if (!m[0].endsWith('}') || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(m[1] as string) || state.opts.env[m[1] as string] === undefined) {
        throw badLine(where, `IdentityAgent uses ${m[0]}, which is not set in the environment ("Invalid environment expansion")`);
      }
    }
  }
}

/** ssh's a2port: 1-65535, or a TCP service name from /etc/services (getservbyname). */
async function parsePort(value: string, where: ConfigSource): Promise<number> {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n >= 1 && n <= 65535) return n;
    throw badLine(where, `Port "${value}" is not a port number (1-65535)`);
  }
  const service = await lookupService(value);
  if (service === null) throw badLine(where, `Port "${value}" is neither a port number nor a TCP service name in /etc/services`);
  return service;
}

let servicesCache: Map<string, number> | null = null;

/** getservbyname(name, "tcp") from /etc/services (names and aliases; missing file = no names). */
export async function lookupService(name: string, file = '/etc/services'): Promise<number | null> {
  if (servicesCache === null || file !== '/etc/services') {
    const map = new Map<string, number>();
    let text = '';
    try {
      text = ((await readUserFileIfExists(file, { maxBytes: 4 * 1024 * 1024, what: 'services file' })) ?? Buffer.alloc(0)).toString('utf8');
    } catch {
      text = '';
    }
    for (const raw of text.split('\n')) {
      const words = (raw.split('#')[0] as string).trim().split(/\s+/);
      const m = /^(\d+)\/tcp$/.exec(words[1] ?? '');
      if (!m || !words[0]) continue;
      for (const n of [words[0], ...words.slice(2)]) if (!map.has(n)) map.set(n, Number(m[1]));
    }
    if (file !== '/etc/services') return map.get(name) ?? null;
    servicesCache = map;
  }
  const port = servicesCache.get(name);
  return port === undefined || port < 1 || port > 65535 ? null : port;
}

function badLine(where: ConfigSource, what: string): KeyDockError {
  return new KeyDockError('ssh-config-invalid', `Your SSH config has a line ssh would refuse (${where.file}:${where.line}): ${what}.`, 'Fix that line, then try again.', { exitCode: 2 });
}

async function evaluateMatch(state: State, args: string[], where: ConfigSource): Promise<boolean> {
  if (args.length === 0) throw badLine(where, 'Match needs criteria');
  let result = true;
  const ruser = state.values.get('user')?.[0] ?? state.localUser;
  const host = state.finalPass ? state.matchHost : expandHostname(state);
  for (let i = 0; i < args.length; i++) {
    let attrib = (args[i] as string).toLowerCase();
    const negate = attrib.startsWith('!');
    if (negate) attrib = attrib.slice(1);
    if (attrib === 'all') {
      if (args.length > 1 && !args.every((a) => ['all', 'canonical', 'final', '!all', '!canonical', '!final'].includes(a.toLowerCase()))) {
        throw badLine(where, "'all' cannot be combined with other Match criteria");
      }
      if (negate) result = false;
      continue;
    }
    if (attrib === 'canonical' || attrib === 'final') {
      if (attrib === 'final') state.wantFinalPass = true;
      let r = state.finalPass;
      if (negate) r = !r;
      if (!r) result = false;
      continue;
    }
    const arg = args[i + 1];
    if (arg === undefined || arg === '' || arg.startsWith('#')) throw badLine(where, `Match ${attrib} needs an argument`);
    i++;
    let r: boolean;
    switch (attrib) {
      case 'host':
        r = matchPatternList(host, arg, true) === 1;
        break;
      case 'originalhost':
        r = matchPatternList(state.hostArg, arg, true) === 1;
        break;
      case 'user':
        r = matchPatternList(ruser, arg, false) === 1;
        break;
      case 'localuser':
        r = matchPatternList(state.localUser, arg, false) === 1;
        break;
      case 'tagged':
        r = matchPatternList(state.values.get('tag')?.[0] ?? '', arg, false) === 1;
        break;
      case 'exec':
        // Running commands from a config file to test a connection is not KeyDock's call.
        state.unsupported.add(`"Match exec ${arg}" (${where.file}:${where.line}) was not run; that block was treated as not matching.`);
        r = false;
        break;
      case 'localnetwork':
        state.unsupported.add(`"Match localnetwork" (${where.file}:${where.line}) is not evaluated; that block was treated as not matching.`);
        r = false;
        break;
      default:
        state.unsupported.add(`"Match ${attrib}" (${where.file}:${where.line}) is not known to KeyDock; that block was treated as not matching.`);
        r = false;
    }
    if (negate) r = !r;
    if (!r) result = false;
  }
  return result;
}

function expandHostname(state: State): string {
  const raw = state.values.get('hostname')?.[0];
  if (raw === undefined) return state.hostArg.toLowerCase();
  return percentExpand(raw, { h: state.hostArg }, 'HostName').toLowerCase();
}

/** Expands `~` and `~/` at the start of a path to the home directory. */
export function expandTilde(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith('~\\')) return join(home, path.slice(2));
  return path;
}

/** ssh's percent_expand: unknown tokens are an error (ssh refuses them too). */
function percentExpand(text: string, tokens: Record<string, string>, keyword: string): string {
  return text.replace(/%(.)/g, (_m, t: string) => {
    if (t === '%') return '%';
    const v = tokens[t];
    if (v === undefined) {
      throw new KeyDockError('ssh-config-invalid', `Your SSH config uses an unknown token %${t} in ${keyword}.`, 'Use one of the tokens listed in "man ssh_config" (TOKENS), or %% for a literal %.', { exitCode: 2 });
    }
    return v;
  });
}

/**
 * ssh's percent_dollar_expand, for the keywords ssh_config(5) lists under ENVIRONMENT VARIABLES
 * (CertificateFile, ControlPath, IdentityAgent, IdentityFile, UserKnownHostsFile, ...): one pass
 * over the text, `${VAR}` from the environment and %-tokens, so neither expansion is expanded
 * again. An unset variable or unknown token is an error (ssh stops there too).
 */
export function percentDollarExpand(text: string, tokens: Record<string, string>, env: NodeJS.ProcessEnv, keyword: string, source?: ConfigSource): string {
  const where = source && source.line > 0 ? ` (${source.file}:${source.line})` : '';
  return text.replace(/%(.)|\$\{([^}]*)\}/gs, (_m, t: string | undefined, name: string | undefined) => {
    if (t !== undefined) {
      if (t === '%') return '%';
      const v = tokens[t];
      if (v === undefined) {
        throw new KeyDockError('ssh-config-invalid', `Your SSH config uses an unknown token %${t} in ${keyword}${where}.`, 'Use one of the tokens listed in "man ssh_config" (TOKENS), or %% for a literal %.', { exitCode: 2 });
      }
      return v;
    }
    const v = name !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? env[name] : undefined;
    if (v === undefined) {
      throw new KeyDockError('ssh-config-invalid', `Your SSH config's ${keyword}${where} uses \${${name ?? ''}}, which is not set in the environment.`, `Set ${name ?? 'that variable'} in your environment or write the path out.`, { exitCode: 2 });
    }
    return v;
  });
}

/** Expands a glob (`*`, `?`, `[...]`) the way glob(3) does for Include: sorted, no dotfiles for `*`. */
export async function expandGlob(pattern: string): Promise<string[]> {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : (parts[0] as string)];
  for (let i = 1; i < parts.length; i++) {
    const seg = parts[i] as string;
    if (seg === '') continue;
    const next: string[] = [];
    if (!/[*?[]/.test(seg)) {
      for (const b of bases) next.push(join(b, seg));
    } else {
      const re = globSegmentRegExp(seg);
      for (const b of bases) {
        let names: string[];
        try {
          names = await readdir(b);
        } catch {
          continue;
        }
        for (const n of names.sort()) if (re.test(n) && (seg.startsWith('.') || !n.startsWith('.'))) next.push(join(b, n));
      }
    }
    bases = next;
  }
  return bases;
}

function globSegmentRegExp(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

function yes(v: string | undefined): boolean {
  return v !== undefined && ['yes', 'true'].includes(v.toLowerCase());
}

function finish(state: State, platform: NodeJS.Platform): ResolvedHost {
  const { opts } = state;
  const v = (k: string) => state.values.get(k)?.[0];
  const hostname = state.finalPass ? (v('hostname') as string) : expandHostname(state);
  const portRaw = v('port');
  let port = 22;
  if (portRaw !== undefined) {
    port = Number(portRaw);
    if (!/^\d+$/.test(portRaw) || port < 1 || port > 65535) {
      const src = state.sources.get('port');
      throw badLine(src ?? { file: '?', line: 0 }, `Port "${portRaw}" is not a port number`);
    }
  }
  const user = v('user') ?? state.localUser;
  const proxyJumpRaw = v('proxyjump');
  const proxyJump = proxyJumpRaw && proxyJumpRaw.toLowerCase() !== 'none' ? proxyJumpRaw : null;
  const hostKeyAlias = v('hostkeyalias') ?? null;
  const tokens: Record<string, string> = {
    d: opts.home,
    h: hostname,
    i: String(typeof process.getuid === 'function' ? process.getuid() : 0),
    j: proxyJump ?? '',
    k: hostKeyAlias ?? state.hostArg,
    L: shortHostname(),
    l: fullHostname(),
    n: state.hostArg,
    p: String(port),
    r: user,
    u: state.localUser,
  };
  tokens.C = createHash('sha1').update(`${tokens.l}${hostname}${port}${user}`).digest('hex');
  const expandPath = (raw: string, keyword: string) => percentDollarExpand(expandTilde(raw, opts.home), tokens, opts.env, keyword, state.sources.get(keyword.toLowerCase()));

  const configuredIds = state.values.get('identityfile') ?? [];
  const identityFilesExplicit = configuredIds.length > 0;
  const rawIds = identityFilesExplicit ? configuredIds : DEFAULT_IDENTITY_FILES.map((n) => `~/.ssh/${n}`);
  const identityFiles = rawIds.filter((f) => f.toLowerCase() !== 'none').map((f) => expandPath(f, 'IdentityFile'));
  const certificateFiles = (state.values.get('certificatefile') ?? []).map((f) => expandPath(f, 'CertificateFile'));

  let identityAgent: string | null;
  let identityAgentSource: ResolvedHost['identityAgentSource'];
  const agentRaw = v('identityagent');
  if (agentRaw === undefined || agentRaw === 'SSH_AUTH_SOCK') {
    identityAgent = opts.env.SSH_AUTH_SOCK || null;
    identityAgentSource = agentRaw === undefined ? 'env' : 'config';
  } else if (agentRaw.toLowerCase() === 'none') {
    identityAgent = 'none';
    identityAgentSource = 'none';
  } else if (agentRaw.startsWith('$') && !agentRaw.startsWith('${')) {
    // The legacy form: the whole value names an environment variable.
    identityAgent = opts.env[agentRaw.slice(1)] || null;
    identityAgentSource = 'config';
  } else {
    identityAgent = expandPath(agentRaw, 'IdentityAgent');
    identityAgentSource = 'config';
  }

  const knownRaw = state.values.get('userknownhostsfile') ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
  const userKnownHostsFiles = knownRaw.length === 1 && knownRaw[0]?.toLowerCase() === 'none' ? [] : knownRaw.map((f) => expandPath(f, 'UserKnownHostsFile'));
  const globalDefault =
    platform === 'win32'
      ? [join(opts.env.ProgramData ?? opts.env.PROGRAMDATA ?? 'C:\\ProgramData', 'ssh', 'ssh_known_hosts')]
      : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
  const globalRaw = state.values.get('globalknownhostsfile') ?? globalDefault;
  const globalKnownHostsFiles = globalRaw.length === 1 && globalRaw[0]?.toLowerCase() === 'none' ? [] : globalRaw.map((f) => expandTilde(f, opts.home));

  const controlRaw = v('controlpath');
  const controlPath = controlRaw === undefined || controlRaw.toLowerCase() === 'none' ? null : expandPath(controlRaw, 'ControlPath');
  const ct = v('connecttimeout');
  const proxyCommandRaw = state.values.get('proxycommand');
  const proxyCommand = proxyCommandRaw && proxyCommandRaw[0]?.toLowerCase() !== 'none' ? proxyCommandRaw.join(' ') : null;
  if (proxyJump) state.unsupported.add(`ProxyJump ${proxyJump} is set: the connection test goes straight to ${hostname} and does not use the jump host.`);
  if (proxyCommand) state.unsupported.add(`ProxyCommand is set: the connection test goes straight to ${hostname} and does not run it.`);

  return {
    alias: state.hostArg,
    hostname,
    user,
    port,
    identityFiles,
    identityFilesExplicit,
    certificateFiles,
    identitiesOnly: yes(v('identitiesonly')),
    identityAgent,
    identityAgentSource,
    proxyJump,
    proxyCommand,
    hostKeyAlias,
    controlPath,
    userKnownHostsFiles,
    globalKnownHostsFiles,
    strictHostKeyChecking: (v('stricthostkeychecking') ?? 'ask').toLowerCase(),
    hashKnownHosts: yes(v('hashknownhosts')),
    batchMode: yes(v('batchmode')),
    connectTimeout: ct !== undefined && /^\d+$/.test(ct) ? Number(ct) : null,
    addKeysToAgent: (v('addkeystoagent') ?? 'false').toLowerCase(),
    options: Object.fromEntries(state.values),
    sources: Object.fromEntries(state.sources),
    filesRead: state.filesRead,
    unsupported: [...state.unsupported],
  };
}

function fullHostname(): string {
  try {
    return osHostname();
  } catch {
    return 'localhost';
  }
}

function shortHostname(): string {
  return fullHostname().split('.')[0] ?? '';
}
