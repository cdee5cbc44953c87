import { shell, type Session, type WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../bridge/static-files';
import type { ConfiguredServer } from '../publish/endpoints';
import { allowedExternalUrl, externalHosts } from './external-pages';

/** The only origin our window may load; everything else is refused. */
export const APP_ORIGIN = 'app://keydock';

/** The GitHub Enterprise / self-managed GitLab servers the user configured (their pages may open too). */
export type ConfiguredServers = () => Promise<readonly ConfiguredServer[]>;

/** True when a frame URL is our bundled page: the Electron side of the router's sender check. */
export function isTrustedFrameUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'app:' && u.host === 'keydock';
  } catch {
    return false;
  }
}

/**
 * Opens https links to the providers' pages in the system browser; never inside the app. The
 * allow-list comes from the publish endpoint table plus the configured servers
 * (main/app/external-pages.ts): key pages, device-flow and token pages (id.atlassian.com,
 * Bitbucket app passwords), help pages.
 */
export async function openExternalSafely(url: string, configured: ConfiguredServers = async () => []): Promise<void> {
  const servers = await configured().catch(() => []);
  const allowed = allowedExternalUrl(url, externalHosts(servers));
  if (allowed) await shell.openExternal(allowed);
}

/** Session-wide rules: no permissions, no remote requests, CSP on every response. */
export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = details.url.startsWith(`${APP_ORIGIN}/`) || details.url.startsWith('devtools://');
    callback({ cancel: !allowed });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
}

/** Per-window rules: no navigation away, no new windows, no webviews. */
export function hardenContents(contents: WebContents, configured?: ConfiguredServers): void {
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedFrameUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    void openExternalSafely(url, configured).catch(() => undefined);
    return { action: 'deny' };
  });
}
