/** Turns `keydock://test/github.com` into the renderer route `test/github.com`; anything else is ignored. */
export function parseDeepLink(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'keydock:') return null;
  const parts = [u.host, ...u.pathname.split('/')].filter(Boolean).map((p) => decodeURIComponent(p));
  if (parts[0] === 'test' && parts[1] && /^[A-Za-z0-9.@:_-]{1,253}$/.test(parts[1])) return `test/${parts[1]}`;
  if (parts[0] === 'setup') return 'setup';
  return null;
}
