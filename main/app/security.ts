import { shell, type Session, type WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../bridge/static-files';

/** The only origin our window may load; everything else is refused. */
export const APP_ORIGIN = 'app://keydock';

/** Provider pages the UI may open in the user's browser (add-key pages, docs). */
const EXTERNAL_HOSTS = new Set(['github.com', 'docs.github.com', 'gitlab.com', 'docs.gitlab.com', 'bitbucket.org', 'support.atlassian.com']);

/** True when a frame URL is our bundled page: the Electron side of the router's sender check. */
export function isTrustedFrameUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'app:' && u.host === 'keydock';
  } catch {
    return false;
  }
}

/** Opens https links to known provider pages in the system browser; never inside the app. */
export function openExternalSafely(url: string): void {
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' && EXTERNAL_HOSTS.has(u.hostname)) void shell.openExternal(u.toString());
  } catch {
    // not a URL: ignore
  }
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
export function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedFrameUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(url);
    return { action: 'deny' };
  });
}
