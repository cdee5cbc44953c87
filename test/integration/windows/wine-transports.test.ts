// Issue #6 under Wine: KeyDock's agent serves the OpenSSH pipe, the Pageant pipe and the
// Pageant window from one Windows node.exe process, and a second Windows process (KeyDock's
// clients plus plain net.connect) lists and signs through each, checks the size limits and
// the refusals. What Wine cannot show is listed in test/wine/README.md.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageantPipeSuffix, pageantSecretBlock } from '../../../main/agent/transports/windows/pageant-names';
import { REPO_ROOT, bundleForWine, setupWine, startWineNode, stopWineServer, wineUnavailableReason, type WineNodeProcess, type WineSetup, tagged } from '../../support/wine-node';

const reason = wineUnavailableReason();
const title = reason ? `Windows transports under Wine (skipped: ${reason})` : 'Windows transports under Wine';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

describe.skipIf(reason !== null)(title, () => {
  let setup: WineSetup;
  let server: WineNodeProcess | null = null;
  let ready: { endpoints: Record<string, string>; sids: { user: string } };
  let checks: Check[] = [];
  let clientOut = '';
  let serverOut = '';
  const bundles: string[] = [];

  beforeAll(async () => {
    setup = await setupWine();
    const serveJs = await bundleForWine(join(REPO_ROOT, 'test/wine/serve-main.ts'), 'serve-main');
    const clientJs = await bundleForWine(join(REPO_ROOT, 'test/wine/client-main.ts'), 'client-main');
    bundles.push(serveJs, clientJs);
    server = await startWineNode(setup, serveJs);
    const m = await server.waitForLine(/^READY (.*)$/, 90_000);
    ready = JSON.parse(m[1] as string);
    const client = await startWineNode(setup, clientJs);
    try {
      await client.waitForLine(/^DONE$/, 120_000);
      clientOut = await client.stdout();
    } finally {
      await client.stop();
    }
    checks = tagged(clientOut, 'CHECK') as Check[];
    serverOut = await server.stdout();
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    if (setup) await stopWineServer(setup);
    for (const b of bundles) rmSync(b, { force: true });
  }, 60_000);

  const expectCheck = (name: string): Check => {
    const c = checks.find((x) => x.name === name);
    expect(c, `check "${name}" missing; client output:\n${clientOut}`).toBeDefined();
    expect(c?.ok, `${name}: ${c?.detail}`).toBe(true);
    return c as Check;
  };

  it('serves all three transports with the real names', () => {
    expect(ready.endpoints.opensshPipe).toBe('\\\\.\\pipe\\openssh-ssh-agent');
    expect(ready.endpoints.pageantWindow).toBe('Pageant');
    expect(ready.endpoints.pageantPipe).toMatch(/^\\\\\.\\pipe\\pageant\.[^.]+\.[0-9a-f]{64}$/);
  });

  it('derives the Pageant pipe name like PuTTY (Wine: CryptProtectMemory leaves the block as is)', () => {
    // Wine's CryptProtectMemory does not change the data, so the suffix is the known
    // plain-block vector SHA-256(00000010 ‖ "Pageant\0…"), computed independently in the unit test.
    expect(ready.endpoints.pageantPipe?.endsWith('.' + pageantPipeSuffix(pageantSecretBlock()))).toBe(true);
    expect(ready.endpoints.pageantPipe?.endsWith('.2e9e7389b30cd8240bf15518e9a228d6537dc38d64b2070a189ca2fe5452d492')).toBe(true);
  });

  it('adds a key and lists + signs through the OpenSSH pipe (net.connect and KeyDock client)', () => {
    expectCheck('add key via OpenSSH pipe (plain net.connect, as Windows OpenSSH connects)');
    expect(expectCheck('openssh-pipe list+sign (net.connect)').detail).toContain('signature verified');
    expect(expectCheck('openssh-pipe list+sign (KeyDock client, owner checked)').detail).toContain('signature verified');
  });

  it('lists + signs through the Pageant pipe and the Pageant window', () => {
    expect(expectCheck('pageant-pipe list+sign (KeyDock client, owner checked)').detail).toContain('signature verified');
    expect(expectCheck('pageant-window list+sign (WM_COPYDATA)').detail).toContain('signature verified');
    expect(expectCheck('pageant auto: pipe first like PuTTY').detail).toContain('signature verified');
  });

  it('enforces the message-size limits of the window', () => {
    expectCheck('pageant-window works with an old 8192-byte client mapping');
    expectCheck('pageant-window: request longer than the mapping gets FAILURE');
    expectCheck('pageant-window: request over 256 KiB gets FAILURE even in a big mapping');
    const limits = tagged(serverOut, 'EVENT').filter((e) => (e as { kind: string }).kind === 'limit');
    expect(limits.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses peers of another user (injected expected SID) and says why', () => {
    expectCheck('pipe server refuses a client whose user SID differs (injected expected SID)');
    expectCheck('pageant-window refuses a mapping not owned by the expected user');
    const refused = tagged(serverOut, 'EVENT').filter((e) => (e as { kind: string }).kind === 'refused') as Array<{ transport: string; detail: string }>;
    expect(refused.find((e) => e.transport === 'openssh-pipe')?.detail).toMatch(/runs as S-1-5-21-[\d-]+, not as S-1-5-21-1111111111/);
    expect(refused.find((e) => e.transport === 'pageant-window')?.detail).toMatch(/owned by S-1-5-21-[\d-]+, not by S-1-5-21-1111111111/);
  });

  it('client side refuses a pipe whose owner is not trusted, and creates pipes owned by the user', () => {
    expect(expectCheck('client refuses a pipe not owned by an accepted SID (impostor check)').detail).toContain('agent-impostor');
    expect(expectCheck('pipe owner is the user (security descriptor applied)').detail).toBe(ready.sids.user);
  });

  it('never silently fails to listen: a second KeyDock reports the busy endpoints with choices', () => {
    const openssh = expectCheck('second KeyDock: OpenSSH pipe busy is reported with both choices');
    expect(openssh.detail).toContain('openssh-pipe-busy');
    expect(openssh.detail).toContain('1) Use the agent');
    expect(openssh.detail).toContain('2) Quit that program');
    expect(expectCheck('second KeyDock: running Pageant pipe is reported').detail).toContain('pageant-running');
    expect(expectCheck('second KeyDock: running Pageant window is reported').detail).toContain('pageant-running');
  });
});
