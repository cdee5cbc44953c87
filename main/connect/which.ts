/**
 * `keydock which [user@]HOST[:PORT]`: what `ssh HOST` would do, without connecting to HOST.
 * The settings come from the resolver that agrees with `ssh -G` (openssh/ssh-config.ts); the
 * rest is looked up locally: which identity files exist and which the agent holds, the agent
 * ssh would use and whether it runs or is locked, whether the host key is in known_hosts, and
 * the keys in the order ssh would offer them (connect/identities.ts), with a warning when a
 * server's usual MaxAuthTries (6) would end the login before the host's own key is tried.
 * Field names follow `ssh -G`'s keywords in lowercase; KeyDock's additions are lowercase too.
 */
import type { Runtime } from '../config/runtime';
import { KeyDockError } from '../util/errors';
import type { ListedIdentity } from '../agent/codec';
import { isKeyDockAgentPath } from '../agent/discovery';
import { AgentLockRecord, probeAgent } from '../agent/probe';
import { blobType, fingerprintSha256 } from '../keys/format';
import { inspectIdentityFile, type IdentityFileInfo } from '../keys/identity-file';
import { knownHostsName, knownKeyTypes } from '../openssh/known-hosts';
import { resolveSshConfig } from '../openssh/ssh-config';
import { OPENSSH_AGENT_PIPE } from '../platform/windows/pipe-names';
import { orderOffers } from './identities';

/** sshd's default MaxAuthTries: after this many failed keys the server disconnects. */
export const SERVER_MAX_AUTH_TRIES = 6;

export interface WhichOptions {
  /** Like `ssh -F FILE`. */
  configFile?: string;
  /** Time limit for reaching the agent (ms). */
  agentTimeoutMs?: number;
}

export interface WhichIdentityFile {
  path: string;
  exists: boolean;
  /** Protected by a passphrase (ssh would ask unless the agent holds it). */
  encrypted: boolean;
  fingerprint: string | null;
  type: string | null;
  /** The agent ssh would use holds this key. */
  loaded: boolean;
  /** Named by an IdentityFile line (false: one of ssh's default file names). */
  configured: boolean;
}

export interface WhichAgent {
  /** The socket or pipe; null when none is set. */
  path: string | null;
  /** Where it came from: IdentityAgent, SSH_AUTH_SOCK, the Windows default pipe, or disabled. */
  source: 'config' | 'env' | 'windows-default' | 'none';
  state: 'running' | 'not-running' | 'disabled' | 'unset' | 'unreadable';
  /** True/false when known; null when nothing can tell (see agent/probe.ts). */
  locked: boolean | null;
  keycount: number | null;
  keydock: boolean;
  /** Why it could not be used (errno-like code and words), when state is not running. */
  reason: string | null;
}

export interface WhichOffer {
  position: number;
  fingerprint: string;
  type: string;
  comment: string;
  source: 'agent' | 'file';
  path: string | null;
}

export interface WhichReport {
  /** The destination as typed (without user and port). */
  host: string;
  hostname: string;
  port: number;
  user: string;
  identityfile: string[];
  identityfiles: WhichIdentityFile[];
  certificatefile: string[];
  identitiesonly: boolean;
  /** What ssh uses as its agent: a path, `none`, or null (nothing set). */
  identityagent: string | null;
  agent: WhichAgent;
  userknownhostsfile: string[];
  globalknownhostsfile: string[];
  hostkeyalias: string | null;
  /** The name ssh looks up in known_hosts (`host` or `[host]:port`, or HostKeyAlias). */
  knownhostsname: string;
  /** Host key types known_hosts holds for that name (empty: ssh would ask to trust a new key). */
  knownhostkeytypes: string[];
  hostkeyknown: boolean;
  stricthostkeychecking: string;
  proxyjump: string | null;
  proxycommand: string | null;
  /** Keys in the order ssh would offer them. */
  offers: WhichOffer[];
  maxauthtries: number;
  warnings: string[];
  /** Config files read, in order. */
  configfiles: string[];
  /** What the resolver could not evaluate like ssh (Match exec, ...). */
  unsupported: string[];
}

/** Reads `[user@]HOST[:PORT]` (also `[v6]:port`); no presets and no URLs: this is what `ssh HOST` sees. */
export function parseDestination(input: string): { host: string; user?: string; port?: number } {
  const text = input.trim();
  const bad = (why: string) =>
    new KeyDockError('invalid-target', `"${input}" is not a destination: ${why}.`, 'Use HOST, user@HOST, HOST:PORT or user@HOST:PORT, e.g. git@github.com.', { exitCode: 2 });
  if (!text) throw bad('it is empty');
  let rest = text;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!user) throw bad('the user name before "@" is empty');
  }
  let host = rest;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (v6) {
    host = v6[1] as string;
    portText = v6[2];
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    [host, portText] = rest.split(':') as [string, string];
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad(`"${portText}" is not a port number`);
    port = Number(portText);
  }
  if (!host) throw bad('there is no host name');
  return { host, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) };
}

async function lookAtAgent(rt: Runtime, identityAgent: string | null, source: 'config' | 'env' | 'none', timeoutMs: number): Promise<{ agent: WhichAgent; keys: ListedIdentity[] }> {
  if (identityAgent === 'none') {
    return { agent: { path: null, source: 'none', state: 'disabled', locked: null, keycount: null, keydock: false, reason: 'IdentityAgent none' }, keys: [] };
  }
  let path = identityAgent;
  let src: WhichAgent['source'] = source === 'none' ? 'env' : source;
  if (path === null && rt.platform === 'win32') {
    path = OPENSSH_AGENT_PIPE;
    src = 'windows-default';
  }
  if (path === null) {
    return { agent: { path: null, source: src, state: 'unset', locked: null, keycount: null, keydock: false, reason: 'SSH_AUTH_SOCK is not set and no IdentityAgent is configured' }, keys: [] };
  }
  const keydock = isKeyDockAgentPath(rt, path);
  const probe = await probeAgent(path, timeoutMs, timeoutMs, { lock: { record: new AgentLockRecord(rt.paths.configDir), keydock } });
  if (!probe.reachable) return { agent: { path, source: src, state: 'not-running', locked: null, keycount: null, keydock, reason: `${probe.code}: ${probe.reason}` }, keys: [] };
  if (!probe.listed) return { agent: { path, source: src, state: 'unreadable', locked: null, keycount: null, keydock, reason: `${probe.code}: ${probe.reason}` }, keys: [] };
  const locked = probe.locked ?? null;
  return { agent: { path, source: src, state: 'running', locked, keycount: locked ? null : probe.keyCount, keydock, reason: null }, keys: probe.keys };
}

/** What `ssh DESTINATION` would do: settings, agent, known host key and key offer order. */
export async function whichHost(rt: Runtime, destination: string, opts: WhichOptions = {}): Promise<WhichReport> {
  const dest = parseDestination(destination);
  const resolved = await resolveSshConfig(dest.host, {
    home: rt.paths.home,
    env: rt.env,
    platform: rt.platform,
    ...(opts.configFile ? { configFile: opts.configFile } : {}),
    ...(dest.user !== undefined ? { user: dest.user } : {}),
    ...(dest.port !== undefined ? { port: dest.port } : {}),
  });
  const { agent, keys } = await lookAtAgent(rt, resolved.identityAgent, resolved.identityAgentSource, opts.agentTimeoutMs ?? 3000);

  const infos: IdentityFileInfo[] = [];
  for (const f of resolved.identityFiles) infos.push(await inspectIdentityFile(f));
  const identityfiles: WhichIdentityFile[] = infos.map((i) => ({
    path: i.path,
    exists: i.exists,
    encrypted: i.encrypted,
    fingerprint: i.blob ? fingerprintSha256(i.blob) : null,
    type: i.blob ? blobType(i.blob) : null,
    loaded: i.blob !== null && keys.some((k) => k.blob.equals(i.blob as Buffer)),
    configured: resolved.identityFilesExplicit,
  }));

  const offers: WhichOffer[] = orderOffers(keys, infos, resolved.identitiesOnly).map((o, idx) => ({
    position: idx + 1,
    fingerprint: o.fingerprint,
    type: o.type,
    comment: o.comment,
    source: o.source,
    path: o.path,
  }));

  const knownName = resolved.hostKeyAlias ?? knownHostsName(resolved.hostname, resolved.port);
  const knownFiles = [...resolved.userKnownHostsFiles, ...resolved.globalKnownHostsFiles];
  const knownTypes = await knownKeyTypes(knownFiles, [knownName]).catch(() => [] as string[]);

  const warnings: string[] = [];
  // The host's own key is known only when an IdentityFile line names it.
  if (resolved.identityFilesExplicit) {
    const first = offers.findIndex((o) => o.path !== null && resolved.identityFiles.includes(o.path));
    if (first >= SERVER_MAX_AUTH_TRIES) {
      warnings.push(
        `ssh would offer ${first} other key(s) before ${offers[first]?.path ?? 'the IdentityFile key'}; servers usually allow ${SERVER_MAX_AUTH_TRIES} tries (MaxAuthTries), so the login may fail with "Too many authentication failures" before that key is tried. ` +
          `Add "IdentitiesOnly yes" for this host (keydock test ${dest.host} --fix does it), or load fewer keys.`,
      );
    }
  }
  for (const f of identityfiles) {
    if (f.configured && !f.exists) {
      const src = resolved.sources.identityfile;
      warnings.push(`IdentityFile ${f.path} does not exist${src ? ` (this host's IdentityFile lines start at ${src.file}:${src.line})` : ''}; ssh skips it.`);
    }
  }
  if (resolved.identitiesOnly && offers.length === 0) warnings.push('IdentitiesOnly is set but no IdentityFile key can be read: ssh would offer no key.');
  if (agent.state === 'running' && agent.locked) warnings.push(`The agent at ${agent.path} is locked: ssh gets no keys from it until it is unlocked (keydock unlock).`);
  if (agent.state === 'not-running' && agent.source !== 'windows-default') warnings.push(`No agent answers at ${agent.path}; ssh would use only key files.`);
  for (const f of identityfiles) {
    if (f.exists && f.encrypted && !f.loaded && offers.some((o) => o.path === f.path && o.source === 'file')) {
      warnings.push(`${f.path} is protected by a passphrase and not in the agent: ssh would ask for the passphrase (keydock add ${f.path} loads it once).`);
    }
  }

  return {
    host: resolved.alias,
    hostname: resolved.hostname,
    port: resolved.port,
    user: resolved.user,
    identityfile: resolved.identityFiles,
    identityfiles,
    certificatefile: resolved.certificateFiles,
    identitiesonly: resolved.identitiesOnly,
    identityagent: resolved.identityAgent,
    agent,
    userknownhostsfile: resolved.userKnownHostsFiles,
    globalknownhostsfile: resolved.globalKnownHostsFiles,
    hostkeyalias: resolved.hostKeyAlias,
    knownhostsname: knownName,
    knownhostkeytypes: knownTypes,
    hostkeyknown: knownTypes.length > 0,
    stricthostkeychecking: resolved.strictHostKeyChecking,
    proxyjump: resolved.proxyJump,
    proxycommand: resolved.proxyCommand,
    offers,
    maxauthtries: SERVER_MAX_AUTH_TRIES,
    warnings,
    configfiles: resolved.filesRead,
    unsupported: resolved.unsupported.filter((u) => !/^Proxy(Jump|Command) /.test(u)),
  };
}

/** The report in plain words for a terminal. */
export function renderWhich(r: WhichReport): string {
  const lines: string[] = [];
  lines.push(`ssh ${r.host} → ${r.user}@${r.hostname} port ${r.port}`);
  if (r.proxyjump) lines.push(`  via ProxyJump ${r.proxyjump}`);
  if (r.proxycommand) lines.push(`  via ProxyCommand ${r.proxycommand}`);
  const a = r.agent;
  const agentState =
    a.state === 'running' ? (a.locked ? 'running, locked' : `running, ${a.keycount ?? '?'} key(s)${a.locked === null ? '' : ', unlocked'}`) : a.state === 'disabled' ? 'disabled (IdentityAgent none)' : a.state;
  lines.push(`Agent: ${a.path ?? '(none)'} [${a.source}] ${agentState}${a.keydock ? ' (KeyDock)' : ''}${a.reason && a.state !== 'running' && a.state !== 'disabled' ? ` — ${a.reason}` : ''}`);
  lines.push(`IdentitiesOnly: ${r.identitiesonly ? 'yes' : 'no'}`);
  lines.push(`Identity files${r.identityfiles.some((f) => f.configured) ? '' : ' (ssh defaults)'}:`);
  for (const f of r.identityfiles) {
    const state = !f.exists ? 'missing' : [f.type ?? 'unreadable', f.encrypted ? 'passphrase' : null, f.loaded ? 'in agent' : 'not in agent'].filter(Boolean).join(', ');
    lines.push(`  ${f.path}  (${state})`);
  }
  if (r.certificatefile.length) lines.push(`Certificate files: ${r.certificatefile.join(' ')}`);
  lines.push(`Host key (${r.knownhostsname}): ${r.hostkeyknown ? `known (${r.knownhostkeytypes.join(', ')})` : `not in known_hosts (StrictHostKeyChecking ${r.stricthostkeychecking})`}`);
  lines.push(`Known hosts files: ${[...r.userknownhostsfile, ...r.globalknownhostsfile].join(' ') || '(none)'}`);
  lines.push(`Keys ssh would offer, in order (servers usually allow ${r.maxauthtries}):`);
  if (r.offers.length === 0) lines.push('  (none)');
  for (const o of r.offers) lines.push(`  ${String(o.position).padStart(2)}. ${o.fingerprint}  ${o.type}  ${o.comment || '(no comment)'}  [${o.source}${o.path ? ` ${o.path}` : ''}]`);
  for (const w of r.warnings) lines.push(`Warning: ${w}`);
  for (const u of r.unsupported) lines.push(`Note: ${u}`);
  return lines.join('\n');
}
