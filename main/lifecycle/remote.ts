/**
 * Logging in to a server with one chosen key through the system `ssh`. Nothing of the user's
 * ssh_config reaches ssh directly (`-F none`): KeyDock resolves the host the way ssh would
 * (main/openssh/ssh-config.ts, with the right HOME) and passes what it found explicitly —
 * host name, port, user, known_hosts files, host key alias, ProxyJump / ProxyCommand (a jump
 * host is then reached without the user's config) — together with
 * `IdentitiesOnly=yes`, one `-i` key, the agent holding that key, `BatchMode=yes` and
 * `StrictHostKeyChecking=yes`. So exactly one key is ever offered: a login that works proves
 * that key works, and no other key (the old one in the user's agent) can stand in for it.
 */
import { existsSync } from 'node:fs';
import type { Runtime } from '../config/runtime';
import { resolveSshConfig, type ResolvedHost } from '../openssh/ssh-config';
import { quoteConfigValue } from '../openssh/ssh-config-parse';
import { execTool, lastLine, type ExecResult } from './exec';

export interface RemoteHost {
  /** What the user knows it as: a config alias or `user@host[:port]`. */
  label: string;
  alias: string;
  hostname: string;
  port: number;
  user: string;
  knownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  hostKeyAlias: string | null;
  proxyJump: string | null;
  proxyCommand: string | null;
}

/** The key to log in with: its file (or .pub) for `-i`, and the agent that holds it (null: the file itself). */
export interface LoginKey {
  file: string;
  agent: string | null;
}

export function remoteFromResolved(label: string, r: ResolvedHost): RemoteHost {
  return {
    label,
    alias: r.alias,
    hostname: r.hostname,
    port: r.port,
    user: r.user,
    knownHostsFiles: r.userKnownHostsFiles,
    globalKnownHostsFiles: r.globalKnownHostsFiles,
    hostKeyAlias: r.hostKeyAlias,
    proxyJump: r.proxyJump,
    proxyCommand: r.proxyCommand,
  };
}

/** Resolves ALIAS (with an explicit user/port, as typed) through the user's ssh config. */
export async function resolveRemote(rt: Runtime, label: string, spec: { host: string; user?: string; port?: number }, configFile?: string): Promise<RemoteHost> {
  const r = await resolveSshConfig(spec.host, {
    home: rt.paths.home,
    env: rt.env,
    platform: rt.platform,
    ...(configFile ? { configFile } : {}),
    ...(spec.user ? { user: spec.user } : {}),
    ...(spec.port ? { port: spec.port } : {}),
  });
  return remoteFromResolved(label, r);
}

function fileList(files: string[]): string {
  const present = files.filter(Boolean);
  return present.length ? present.map(quoteConfigValue).join(' ') : '/dev/null';
}

/** The whole ssh command line (without the program name). */
export function sshArgs(host: RemoteHost, key: LoginKey, command: string, timeoutSeconds = 20): string[] {
  const o = (k: string, v: string) => ['-o', `${k}=${v}`];
  return [
    '-F',
    'none',
    '-T',
    ...o('HostName', host.hostname),
    '-p',
    String(host.port),
    '-l',
    host.user,
    ...o('UserKnownHostsFile', fileList(host.knownHostsFiles)),
    ...o('GlobalKnownHostsFile', fileList(host.globalKnownHostsFiles)),
    ...(host.hostKeyAlias ? o('HostKeyAlias', host.hostKeyAlias) : []),
    ...(host.proxyJump ? o('ProxyJump', host.proxyJump) : []),
    ...(host.proxyCommand ? o('ProxyCommand', host.proxyCommand) : []),
    ...o('StrictHostKeyChecking', 'yes'),
    ...o('UpdateHostKeys', 'no'),
    ...o('BatchMode', 'yes'),
    ...o('IdentitiesOnly', 'yes'),
    ...o('IdentityAgent', key.agent ? quoteConfigValue(key.agent) : 'none'),
    '-i',
    key.file,
    ...o('PreferredAuthentications', 'publickey'),
    ...o('PasswordAuthentication', 'no'),
    ...o('KbdInteractiveAuthentication', 'no'),
    ...o('ControlMaster', 'no'),
    ...o('ControlPath', 'none'),
    ...o('ClearAllForwardings', 'yes'),
    ...o('ForwardAgent', 'no'),
    ...o('RequestTTY', 'no'),
    ...o('ConnectTimeout', String(timeoutSeconds)),
    ...o('LogLevel', 'ERROR'),
    '--',
    host.alias,
    command,
  ];
}

/** Runs COMMAND on HOST as KEY, with INPUT on its standard input. */
export function runRemote(rt: Runtime, host: RemoteHost, key: LoginKey, command: string, input = ''): Promise<ExecResult> {
  return execTool('ssh', sshArgs(host, key, command), { env: rt.env, input, timeoutMs: 90_000, noTerminal: true });
}

/** ssh's own failures (exit 255): connection, host key, authentication. */
export function isSshFailure(r: ExecResult): boolean {
  return r.code === 255 || r.code === null;
}

/** Why a login failed, in words. */
export function describeFailure(host: RemoteHost, r: ExecResult): string {
  const said = lastLine(r.stderr);
  if (r.timedOut) return `${host.label} did not answer in time`;
  if (/Permission denied/i.test(r.stderr)) return `${host.label} refused the key (${said})`;
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(r.stderr)) {
    return `the host key of ${host.label} is not in your known_hosts (${said}); check it with keydock test ${host.alias} --fix`;
  }
  return said || `ssh exited with ${r.code}`;
}

/** The file ssh's -i gets: the .pub when the key sits in an agent (ssh matches it there), else the key file. */
export function identityFileFor(privatePath: string, publicPath: string | null, inAgent: boolean): string {
  if (inAgent && publicPath && existsSync(publicPath)) return publicPath;
  return existsSync(privatePath) ? privatePath : (publicPath ?? privatePath);
}
