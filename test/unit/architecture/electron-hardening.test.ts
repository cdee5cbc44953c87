import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../main/bridge/static-files';

// A static review of the Electron glue in the spirit of Electronegativity: every window is
// made by createWindow() with hardened webPreferences, and the session refuses the rest.

async function sources(dir: string): Promise<Map<string, ts.SourceFile>> {
  const out = new Map<string, ts.SourceFile>();
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith('.ts')) continue;
    const file = join(dir, entry);
    out.set(file, ts.createSourceFile(file, await readFile(file, 'utf8'), ts.ScriptTarget.Latest, true));
  }
  return out;
}

function find<T extends ts.Node>(node: ts.Node, test: (n: ts.Node) => n is T, acc: T[] = []): T[] {
  if (test(node)) acc.push(node);
  node.forEachChild((c) => void find(c, test, acc));
  return acc;
}

const isNewBrowserWindow = (n: ts.Node): n is ts.NewExpression => ts.isNewExpression(n) && n.expression.getText() === 'BrowserWindow';

describe('Electron hardening', async () => {
  const all = new Map([...(await sources('main')), ...(await sources('renderer').catch(() => new Map<string, ts.SourceFile>()))]);

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
    const weak = /(nodeIntegration|allowRunningInsecureContent|experimentalFeatures|webviewTag)\s*:\s*true|(contextIsolation|sandbox|webSecurity)\s*:\s*false|enableRemoteModule|disable-web-security|ignore-certificate-errors/;
    const offenders = [...all].filter(([, sf]) => weak.test(sf.text)).map(([f]) => f);
    expect(offenders).toEqual([]);
  });

  it('blocks navigation, new windows, webviews and permission requests', () => {
    const security = all.get(join('main', 'app', 'security.ts'))!.text;
    expect(security).toMatch(/on\('will-navigate'/);
    expect(security).toMatch(/setWindowOpenHandler\([^]*action: 'deny'/);
    expect(security).toMatch(/on\('will-attach-webview'/);
    expect(security).toMatch(/setPermissionRequestHandler\(\(_wc, _permission, callback\) => callback\(false\)\)/);
    expect(security).toMatch(/openExternal/);
    expect(security).toMatch(/u\.protocol === 'https:' && EXTERNAL_HOSTS\.has/);
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
