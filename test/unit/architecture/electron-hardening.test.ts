import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../main/bridge/static-files';

// A static review of the Electron glue in the spirit of Electronegativity: every window is
// made by createWindow() with hardened webPreferences, and the session refuses the rest.

/** Every TypeScript source under dir, .ts and .tsx alike (the renderer's components are .tsx). */
async function sources(dir: string): Promise<Map<string, ts.SourceFile>> {
  const out = new Map<string, ts.SourceFile>();
  for (const entry of await readdir(dir, { recursive: true })) {
    const kind = entry.endsWith('.tsx') ? ts.ScriptKind.TSX : entry.endsWith('.ts') ? ts.ScriptKind.TS : null;
    if (kind === null) continue;
    const file = join(dir, entry);
    out.set(file, ts.createSourceFile(file, await readFile(file, 'utf8'), ts.ScriptTarget.Latest, true, kind));
  }
  return out;
}

const WEAK_SETTING =
  /(nodeIntegration|allowRunningInsecureContent|experimentalFeatures|webviewTag)\s*:\s*true|(contextIsolation|sandbox|webSecurity)\s*:\s*false|enableRemoteModule|disable-web-security|ignore-certificate-errors/;

/** The files that switch off a web-security setting anywhere in their text. */
function weakSecurityOffenders(files: Map<string, ts.SourceFile>): string[] {
  return [...files].filter(([, sf]) => WEAK_SETTING.test(sf.text)).map(([f]) => f);
}

function find<T extends ts.Node>(node: ts.Node, test: (n: ts.Node) => n is T, acc: T[] = []): T[] {
  if (test(node)) acc.push(node);
  node.forEachChild((c) => void find(c, test, acc));
  return acc;
}

const isNewBrowserWindow = (n: ts.Node): n is ts.NewExpression => ts.isNewExpression(n) && n.expression.getText() === 'BrowserWindow';

describe('Electron hardening', async () => {
  // No fallback for a missing folder: a scan over nothing would pass for the wrong reason.
  const all = new Map([...(await sources('main')), ...(await sources('renderer'))]);

  it('scans the renderer components (.tsx) as well as the .ts sources', () => {
    expect(all.has(join('renderer', 'App.tsx'))).toBe(true);
    expect([...all.keys()].filter((f) => f.startsWith('renderer') && f.endsWith('.tsx')).length).toBeGreaterThan(5);
    expect(all.has(join('main', 'app', 'window.ts'))).toBe(true);
  });

  it('creates BrowserWindows only in main/app/window.ts', () => {
    const places = [...all].filter(([, sf]) => find(sf, isNewBrowserWindow).length > 0).map(([f]) => f);
    expect(places).toEqual([join('main', 'app', 'window.ts')]);
  });

  it('turns on isolation and sandbox and keeps Node out of the page', () => {
    const sf = all.get(join('main', 'app', 'window.ts'))!;
    const [call] = find(sf, isNewBrowserWindow);
    const prefs = find(call!, (n): n is ts.PropertyAssignment => ts.isPropertyAssignment(n) && n.name.getText() === 'webPreferences')[0]!;
    const values = Object.fromEntries(
      find(prefs.initializer, (n): n is ts.PropertyAssignment => ts.isPropertyAssignment(n)).map((p) => [p.name.getText(), p.initializer.getText()]),
    );
    expect(values).toMatchObject({
      contextIsolation: 'true',
      sandbox: 'true',
      nodeIntegration: 'false',
      nodeIntegrationInWorker: 'false',
      nodeIntegrationInSubFrames: 'false',
      webviewTag: 'false',
      webSecurity: 'true',
      allowRunningInsecureContent: 'false',
      experimentalFeatures: 'false',
    });
  });

  it('never weakens web security anywhere in the code', () => {
    expect(weakSecurityOffenders(all)).toEqual([]);
  });

  it('would catch a .tsx component that turns Node on', async () => {
    // The same reader and scan as above, over a throwaway tree with one bad component and one good one.
    const dir = await mkdtemp(join(tmpdir(), 'keydock-hardening-'));
    try {
      await mkdir(join(dir, 'features'), { recursive: true });
      await writeFile(
        join(dir, 'features', 'Bad.tsx'),
        "export const Bad = () => <webview webpreferences={String({ nodeIntegration: true })} src=\"x\" />;\n",
      );
      await writeFile(join(dir, 'Good.tsx'), 'export const Good = () => <p>{String({ nodeIntegration: false })}</p>;\n');
      const scanned = await sources(dir);
      expect([...scanned.keys()].sort()).toEqual([join(dir, 'Good.tsx'), join(dir, 'features', 'Bad.tsx')].sort());
      expect(weakSecurityOffenders(scanned)).toEqual([join(dir, 'features', 'Bad.tsx')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('blocks navigation, new windows, webviews and permission requests', () => {
    const security = all.get(join('main', 'app', 'security.ts'))!.text;
    expect(security).toMatch(/on\('will-navigate'/);
    expect(security).toMatch(/setWindowOpenHandler\([^]*action: 'deny'/);
    expect(security).toMatch(/on\('will-attach-webview'/);
    expect(security).toMatch(/setPermissionRequestHandler\(\(_wc, _permission, callback\) => callback\(false\)\)/);
    expect(security).toMatch(/openExternal/);
    expect(security).toMatch(/allowedExternalUrl\(url, externalHosts\(/);
    expect(all.get(join('main', 'app', 'external-pages.ts'))!.text).toMatch(/u\.protocol === 'https:' && [^\n]*hosts\.has/);
  });

  it('uses a CSP with no inline code and no remote origins', () => {
    const directives = CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim());
    expect(directives).toContain("default-src 'none'");
    expect(directives).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|https?:|\*|blob:/);
  });

  it('lets only the preload touch ipcRenderer', () => {
    const users = [...all].filter(([, sf]) => /\bipcRenderer\b/.test(sf.text)).map(([f]) => f);
    expect(users).toEqual([join('main', 'app', 'preload.ts')]);
  });
});
