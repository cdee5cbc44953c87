/**
 * The pages the window may open in the user's browser (docs/architecture.md §7.4): the
 * providers' key, sign-in, token and help pages, taken from the publish endpoint table
 * (main/publish/endpoints.ts) for the public services and for every GitHub Enterprise /
 * self-managed GitLab server the user configured. No Electron here, so it can be unit-tested;
 * main/app/security.ts applies it.
 */
import { PROVIDER_IDS, isProviderId, pageUrls, type ConfiguredServer } from '../publish/endpoints';

/** host[:port] of an https page, or null for anything else (http, a user name, not a URL). */
function httpsHost(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' || u.username || u.password) return null;
    return u.host.toLowerCase();
  } catch {
    return null;
  }
}

/** The hosts (host[:port]) whose https pages may be opened: the providers' own, plus the configured servers'. */
export function externalHosts(configured: readonly ConfiguredServer[] = []): Set<string> {
  const hosts = new Set<string>();
  const add = (urls: string[]) => {
    for (const url of urls) {
      const h = httpsHost(url);
      if (h) hosts.add(h);
    }
  };
  for (const p of PROVIDER_IDS) add(pageUrls(p));
  for (const s of configured) {
    if (!isProviderId(s.provider)) continue;
    try {
      add(pageUrls(s.provider, s.api));
    } catch {
      // An address the endpoint table refuses (not https, a user name in it): nothing to allow.
    }
  }
  return hosts;
}

/** The URL to hand to the browser when it is an https page on HOSTS, else null. */
export function allowedExternalUrl(url: string, hosts: ReadonlySet<string>): string | null {
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' && !u.username && !u.password && hosts.has(u.host.toLowerCase())) return u.toString();
  } catch {
    // not a URL
  }
  return null;
}
