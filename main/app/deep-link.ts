/**
 * Turns `keydock://test/github.com` into the renderer route `fill/test/github.com`: the tester opens
 * with the host filled in and runs only when the user presses Test (a link from any web page must
 * never start a login attempt by itself). `keydock://setup` opens the walkthrough. Anything else,
 * a malformed escape included, is null.
 */
export function parseDeepLink(url: string): string | null {
  let u: URL;
  let parts: string[];
  try {
    u = new URL(url);
    parts = [u.host, ...u.pathname.split('/')].filter(Boolean).map((p) => decodeURIComponent(p));
  } catch {
    return null;
  }
  if (u.protocol !== 'keydock:') return null;
  if (parts[0] === 'test' && parts[1] && /^[A-Za-z0-9.@:_-]{1,253}$/.test(parts[1])) return `fill/test/${parts[1]}`;
  if (parts[0] === 'setup') return 'setup';
  return null;
}

/** The route of the first keydock:// argument, or undefined; a malformed link is logged and ignored. */
export function routeFromArgv(argv: string[], log: (line: string) => void = (l) => console.warn(l)): string | undefined {
  const link = argv.find((a) => a.startsWith('keydock://'));
  if (!link) return undefined;
  const route = parseDeepLink(link);
  if (route === null) log(`keydock: ignored a malformed link (${JSON.stringify(link.slice(0, 200))})`);
  return route ?? undefined;
}
