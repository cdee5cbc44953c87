import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AskpassConfirmer, askpassPromptText } from '../../../main/agent/server/askpass';
import { UiConfirmer, confirmWithTimeout, type ConfirmPrompt } from '../../../main/agent/server/confirm';

const prompt: ConfirmPrompt = { fingerprint: 'SHA256:abc', comment: 'me@laptop', keyType: 'ssh-ed25519', client: 'ssh (pid 1)', destination: 'example.org' };

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function askpassScript(body: string): Promise<{ path: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kd-askpass-'));
  dirs.push(dir);
  const path = join(dir, 'askpass');
  await writeFile(path, `#!/bin/sh\nprintf '%s\\n' "$SSH_ASKPASS_PROMPT" > "${dir}/hint"\nprintf '%s' "$1" > "${dir}/prompt"\n${body}\n`);
  await chmod(path, 0o755);
  return { path, dir };
}

describe('askpass confirmation (OpenSSH rules)', () => {
  it('allows on exit 0 with empty output or "yes", denies otherwise', async () => {
    const cases: Array<[string, boolean]> = [
      ['exit 0', true],
      ['echo yes; exit 0', true],
      ['echo YES', true],
      ['echo no; exit 0', false],
      ['exit 1', false],
    ];
    for (const [body, expected] of cases) {
      const s = await askpassScript(body);
      const c = new AskpassConfirmer({ PATH: process.env.PATH, SSH_ASKPASS: s.path, DISPLAY: ':0' });
      expect(await confirmWithTimeout(c, prompt, 10_000), body).toBe(expected);
      expect((await readFile(join(s.dir, 'hint'), 'utf8')).trim()).toBe('confirm');
      expect(await readFile(join(s.dir, 'prompt'), 'utf8')).toBe(askpassPromptText(prompt));
    }
  });

  it('needs a display unless SSH_ASKPASS_REQUIRE=force, and never asks with =never', async () => {
    const s = await askpassScript('exit 0');
    expect(new AskpassConfirmer({ SSH_ASKPASS: s.path }).unavailableReason()).toMatch(/DISPLAY/);
    expect(await confirmWithTimeout(new AskpassConfirmer({ SSH_ASKPASS: s.path }), prompt)).toBe(false);
    expect(await confirmWithTimeout(new AskpassConfirmer({ SSH_ASKPASS: s.path, SSH_ASKPASS_REQUIRE: 'force' }), prompt)).toBe(true);
    expect(await confirmWithTimeout(new AskpassConfirmer({ SSH_ASKPASS: s.path, DISPLAY: ':0', SSH_ASKPASS_REQUIRE: 'never' }), prompt)).toBe(false);
    expect(await confirmWithTimeout(new AskpassConfirmer({ SSH_ASKPASS: '/nonexistent/askpass', DISPLAY: ':0' }), prompt)).toBe(false);
  });

  it('denies and kills a prompt nobody answers in time', async () => {
    const s = await askpassScript(`echo $$ > "$(dirname "$0")/pid"; exec sleep 30`);
    const c = new AskpassConfirmer({ PATH: process.env.PATH, SSH_ASKPASS: s.path, DISPLAY: ':0' });
    const answer = confirmWithTimeout(c, prompt, 2000);
    // The prompt must have started before its time runs out, or there is nothing to kill (a loaded machine starts sh slowly).
    const pidText = () => readFile(join(s.dir, 'pid'), 'utf8').catch(() => '');
    await expect.poll(pidText, { timeout: 10_000 }).toMatch(/^\d+\n$/);
    const pid = Number(await pidText());
    expect(await answer).toBe(false);
    await expect.poll(() => {
      try {
        process.kill(pid, 0);
        return 'alive';
      } catch {
        return 'gone';
      }
    }).toBe('gone');
  });
});

describe('UI confirmation', () => {
  it('announces the question and resolves with the answer', async () => {
    const closed: Array<[string, boolean]> = [];
    let asked: string | null = null;
    const ui = new UiConfirmer({ onRequest: (p) => (asked = p.requestId), onClosed: (id, a) => closed.push([id, a]) });
    const answer = confirmWithTimeout(ui, prompt, 10_000);
    expect(asked).not.toBeNull();
    expect(ui.list()[0]?.prompt.destination).toBe('example.org');
    expect(ui.answer(asked as unknown as string, true)).toBe(true);
    expect(await answer).toBe(true);
    expect(ui.answer(asked as unknown as string, false)).toBe(false);
    expect(closed).toEqual([[asked, true]]);
  });

  it('times out to deny and closes the question', async () => {
    const closed: boolean[] = [];
    const ui = new UiConfirmer({ onRequest: () => {}, onClosed: (_id, a) => closed.push(a) });
    expect(await confirmWithTimeout(ui, prompt, 50)).toBe(false);
    expect(ui.list()).toEqual([]);
    expect(closed).toEqual([false]);
  });
});
