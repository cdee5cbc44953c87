// Which provider libraries KeyDock's agent may load, by ssh-agent's `-P` allow-list: FIDO
// middleware named in an add request's `sk-provider@openssh.com` constraint and PKCS#11 modules
// alike (docs/agent-protocol.md §1.5, docs/hardware-keys.md). ssh-agent canonicalises the path
// with realpath(3) and matches it against the list with match_pattern_list(); so does KeyDock.
import { realpathSync } from 'node:fs';
import { matchPattern } from './pattern';

/** ssh-agent's built-in allow-list (ssh-agent.c DEFAULT_ALLOWED_PROVIDERS). */
export const DEFAULT_PROVIDER_ALLOWLIST = '/usr/lib*/*,/usr/local/lib*/*';

/**
 * OpenSSH's match_pattern_list(): comma-separated patterns, `!pattern` negates; a negated match
 * refuses at once, otherwise any positive match allows. Case-sensitive, as ssh-agent calls it.
 */
export function matchPatternList(text: string, list: string): boolean {
  let positive = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (!matchPattern(text, pattern)) continue;
    if (negated) return false;
    positive = true;
  }
  return positive;
}

/** Why a provider may not be loaded, or its canonical path. */
export type ProviderCheck = { ok: true; path: string } | { ok: false; reason: string };

/**
 * The canonical path of a provider library when the allow-list permits it, as ssh-agent decides:
 * realpath first (a missing file is refused), then the pattern list on the result.
 */
export function checkProvider(path: string, allowlist: string = DEFAULT_PROVIDER_ALLOWLIST): ProviderCheck {
  let canonical: string;
  try {
    canonical = realpathSync(path);
  } catch (e) {
    return { ok: false, reason: `provider ${path.slice(0, 200)} not found (${(e as NodeJS.ErrnoException).code ?? 'realpath failed'})` };
  }
  if (!matchPatternList(canonical, allowlist)) return { ok: false, reason: `provider ${canonical.slice(0, 200)} not allowed by the -P list` };
  return { ok: true, path: canonical };
}
