/**
 * Turns what a user types or pastes into a destination: `host`, `user@host`, `host:port`,
 * `[v6addr]:port`, `ssh://user@host:port/path`, a Git remote `git@host:owner/repo.git`, or a
 * preset id (`github`, `gitlab`, `bitbucket`).
 */
import { KeyDockError } from '../util/errors';
import { GIT_HOST_PRESETS, type GitHostPreset } from './git-hosts';

export interface ParsedTarget {
  /** Host or ssh_config alias to resolve. */
  host: string;
  user?: string;
  port?: number;
  /** `owner/repo` when a Git remote URL was given. */
  repo?: string;
  /** Set when the target named a preset id directly. */
  preset?: GitHostPreset;
}

function bad(target: string, why: string): KeyDockError {
  return new KeyDockError(
    'invalid-target',
    `"${target}" is not something KeyDock can test: ${why}.`,
    'Use a host such as github.com, git@github.com, host:2222, ssh://user@host:2222 or a remote URL like git@github.com:owner/repo.git.',
    { exitCode: 2 },
  );
}

function parsePort(text: string, target: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw bad(target, `"${text}" is not a port number`);
  return Number(text);
}

function repoFromPath(path: string): string | undefined {
  const clean = path.replace(/^\/+/, '').replace(/\.git\/?$/, '').replace(/\/+$/, '');
  return /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(clean) ? clean : undefined;
}

/** Parses a test target; throws `invalid-target` with an example of what works. */
export function parseTarget(input: string): ParsedTarget {
  const target = input.trim();
  if (!target) throw bad(input, 'it is empty');
  if (/\s/.test(target)) throw bad(target, 'it contains spaces');
  if (target.startsWith('-')) throw bad(target, 'it starts with "-"');

  const preset = GIT_HOST_PRESETS.find((p) => p.id === target.toLowerCase());
  if (preset) return { host: preset.host, user: preset.user, preset };

  if (/^ssh:\/\//i.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw bad(target, 'the ssh:// URL cannot be read');
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!host) throw bad(target, 'the URL has no host');
    const repo = repoFromPath(decodeURIComponent(url.pathname));
    return {
      host,
      ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
      ...(url.port ? { port: parsePort(url.port, target) } : {}),
      ...(repo ? { repo } : {}),
    };
  }

  let rest = target;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!user) throw bad(target, 'the user name before "@" is empty');
  }
  let host = rest;
  let port: number | undefined;
  let repo: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (v6) {
    host = v6[1] as string;
    if (v6[2] !== undefined) port = parsePort(v6[2], target);
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      host = rest.slice(0, colon);
      const after = rest.slice(colon + 1);
      // host:2222 is a port; host:owner/repo.git is scp-style Git syntax (port 22).
      if (/^\d+$/.test(after)) port = parsePort(after, target);
      else {
        repo = repoFromPath(after);
        if (!repo) throw bad(target, `"${after}" after ":" is neither a port nor owner/repo`);
      }
    }
  }
  if (!host) throw bad(target, 'there is no host name');
  if (!/^[A-Za-z0-9_.:%-]+$/.test(host)) throw bad(target, `"${host}" is not a valid host name`);
  return { host, ...(user ? { user } : {}), ...(port ? { port } : {}), ...(repo ? { repo } : {}) };
}

/** The preset for a resolved host name or alias (github.com, ssh.github.com, ...), if any. */
export function presetForHost(...names: string[]): GitHostPreset | undefined {
  const lower = names.map((n) => n.toLowerCase());
  return GIT_HOST_PRESETS.find((p) => lower.includes(p.host) || p.alternates.some((a) => lower.includes(a.host)));
}

/** Is NAME the provider's own host (where its published host keys apply)? */
export function isProviderEndpoint(preset: GitHostPreset, hostname: string, port: number): boolean {
  const h = hostname.toLowerCase();
  if (h === preset.host && port === preset.port) return true;
  return preset.alternates.some((a) => a.sameHostKeys && a.host === h && a.port === port);
}
