/**
 * Reads what a Git host says after `ssh -T git@host` (docs/agent-protocol.md §5): who the key
 * belongs to, or which repository a deployment key opens.
 */
import type { GitHostPreset } from './git-hosts';

export interface GreetingInfo {
  /** Account name, or "deployment key for OWNER/REPO" for a deploy key; null when not shown. */
  account: string | null;
  deployKeyRepo: string | null;
  /** Did the text look like this provider's success greeting? */
  recognised: boolean;
}

/** Parses a provider greeting into the account (or deploy key) it names. */
export function parseGreeting(preset: GitHostPreset | undefined, text: string): GreetingInfo {
  const none: GreetingInfo = { account: null, deployKeyRepo: null, recognised: false };
  if (!preset) return none;
  switch (preset.id) {
    case 'github': {
      const m = /Hi ([^\s!]+)! You've successfully authenticated/.exec(text);
      if (!m) return none;
      const name = m[1] as string;
      return name.includes('/')
        ? { account: `deployment key for ${name}`, deployKeyRepo: name, recognised: true }
        : { account: name, deployKeyRepo: null, recognised: true };
    }
    case 'gitlab': {
      const m = /Welcome to GitLab, @([^\s!]+)!/.exec(text);
      if (m) return { account: m[1] as string, deployKeyRepo: null, recognised: true };
      if (/Welcome to GitLab, Anonymous!/.test(text)) return { account: 'deployment key', deployKeyRepo: null, recognised: true };
      return none;
    }
    case 'bitbucket': {
      const old = /logged in as ([^\s.]+)\./.exec(text);
      if (old) return { account: old[1] as string, deployKeyRepo: null, recognised: true };
      return { account: null, deployKeyRepo: null, recognised: /authenticated via ssh key\.|You can use git to connect to Bitbucket/.test(text) };
    }
  }
}
