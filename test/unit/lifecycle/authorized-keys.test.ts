import { existsSync } from 'node:fs';
import { chmod, lstat, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADD_COMMAND, REMOVE_COMMAND, addInput, parseAddOutput, parseRemoveOutput, removeInput, type KeyRef } from '../../../main/lifecycle/authorized-keys';
import { run as runProcess, type RunResult } from '../../support/processes';

// The two remote commands run here through real shells, exactly as sshd hands them to the
// account's login shell (`SHELL -c COMMAND`), on real files.

const OLD: KeyRef = { type: 'ssh-ed25519', blob: 'AAAAC3NzaC1lZDI1NTE5AAAAIOldOldOldOldOldOldOldOldOldOldOldOldOld0' };
const NEW: KeyRef = { type: 'ssh-ed25519', blob: 'AAAAC3NzaC1lZDI1NTE5AAAAINewNewNewNewNewNewNewNewNewNewNewNewNew0' };
const OTHER = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDother other@host';

const SHELLS = ['sh', 'bash', 'dash', 'zsh', 'ksh', 'tcsh', 'csh', 'fish'].filter((s) => ['/bin', '/usr/bin'].some((d) => existsSync(join(d, s))));

function run(shell: string, command: string, input: string): Promise<RunResult> {
  return runProcess(shell, ['-c', command], { env: { PATH: process.env.PATH, HOME: home }, input });
}

let home = '';
let file = '';

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'keydock-ak-'));
  file = join(home, 'authorized_keys');
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('remote authorized_keys commands', () => {
  it('are one line with no single quote, "!" or double backslash (so any login shell passes them to sh unchanged)', () => {
    for (const c of [ADD_COMMAND, REMOVE_COMMAND]) {
      expect(c.startsWith("exec sh -c '")).toBe(true);
      const body = c.slice("exec sh -c '".length, -1);
      expect(body).not.toMatch(/['!\n]/);
      expect(body).not.toContain('\\\\');
    }
  });

  it.each(SHELLS)('through %s: the new key gets the old line options, other lines stay byte for byte, the old line goes', async (shell) => {
    const before = [
      OTHER,
      `from="127.0.0.1",no-agent-forwarding ${OLD.type} ${OLD.blob} old@laptop`,
      `# ${OLD.type} ${OLD.blob} a comment naming the old key`,
      `cert-authority ${OLD.type} ${OLD.blob} the old key as a CA stays`,
      `command="echo ${OLD.type} ${OLD.blob} x" ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDquoted quoted`,
      `ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDcrlf crlf\r`,
      '',
    ].join('\n');
    await writeFile(file, before, { mode: 0o640 });
    await chmod(file, 0o640);
    const hostile = `${NEW.type} ${NEW.blob} new $(touch ${home}/pwned) \`touch ${home}/pwned2\` "q' ; rm -rf ~`;
    const add = await run(shell, ADD_COMMAND, addInput('authorized_keys', NEW, hostile, OLD));
    expect(add.code, add.stderr).toBe(0);
    const a = parseAddOutput(add.stdout);
    expect(a).toMatchObject({ kind: 'added', line: `from="127.0.0.1",no-agent-forwarding ${hostile}` });
    expect(a?.oldLines).toEqual([{ n: 2, line: `from="127.0.0.1",no-agent-forwarding ${OLD.type} ${OLD.blob} old@laptop` }]);
    expect(existsSync(join(home, 'pwned')) || existsSync(join(home, 'pwned2'))).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(`${before}from="127.0.0.1",no-agent-forwarding ${hostile}\n`);

    // Idempotent: a second run finds the key and changes nothing.
    const again = await run(shell, ADD_COMMAND, addInput('authorized_keys', NEW, hostile, OLD));
    expect(parseAddOutput(again.stdout)?.kind).toBe('present');
    expect(await readFile(file, 'utf8')).toBe(`${before}from="127.0.0.1",no-agent-forwarding ${hostile}\n`);

    const rem = await run(shell, REMOVE_COMMAND, removeInput(file, OLD));
    expect(rem.code, rem.stderr).toBe(0);
    expect(parseRemoveOutput(rem.stdout)).toEqual({ kind: 'removed', lines: [{ n: 2, line: `from="127.0.0.1",no-agent-forwarding ${OLD.type} ${OLD.blob} old@laptop` }] });
    const lines = before.split('\n');
    lines.splice(1, 1);
    expect(await readFile(file, 'utf8')).toBe(`${lines.join('\n')}from="127.0.0.1",no-agent-forwarding ${hostile}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(parseRemoveOutput((await run(shell, REMOVE_COMMAND, removeInput(file, OLD))).stdout)).toEqual({ kind: 'absent' });
  });

  it('puts removed lines back at their old line numbers, so add + remove + rollback gives the file back byte for byte', async () => {
    const before = `${OTHER}\n${OLD.type} ${OLD.blob} one\nssh-ed25519 AAAAmiddle m\nrestrict ${OLD.type} ${OLD.blob} two\n${OTHER}2\n`;
    await writeFile(file, before);
    await run('sh', ADD_COMMAND, addInput(file, NEW, `${NEW.type} ${NEW.blob} new`, OLD));
    const removed = parseRemoveOutput((await run('sh', REMOVE_COMMAND, removeInput(file, OLD))).stdout);
    expect(removed?.kind).toBe('removed');
    for (const l of removed?.kind === 'removed' ? removed.lines : []) {
      const r = await run('sh', ADD_COMMAND, addInput(file, null, l.line, null, l.n));
      expect(parseAddOutput(r.stdout)?.kind).toBe('added');
    }
    // Putting a line back twice does nothing the second time.
    const twice = await run('sh', ADD_COMMAND, addInput(file, null, `${OLD.type} ${OLD.blob} one`, null, 2));
    expect(parseAddOutput(twice.stdout)?.kind).toBe('present');
    await run('sh', REMOVE_COMMAND, removeInput(file, NEW));
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('writes through a symlinked authorized_keys (the link stays) and creates a missing one 0600 in a 0700 folder', async () => {
    const real = join(home, 'real_keys');
    await writeFile(real, `${OLD.type} ${OLD.blob} old\n`);
    await symlink('real_keys', file);
    await run('sh', ADD_COMMAND, addInput(file, NEW, `${NEW.type} ${NEW.blob} new`, OLD));
    await run('sh', REMOVE_COMMAND, removeInput(file, OLD));
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    expect(await readlink(file)).toBe('real_keys');
    expect(await readFile(real, 'utf8')).toBe(`${NEW.type} ${NEW.blob} new\n`);

    const fresh = await run('sh', ADD_COMMAND, addInput('.ssh/authorized_keys', NEW, `${NEW.type} ${NEW.blob} new`, OLD));
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(await readFile(join(home, '.ssh', 'authorized_keys'), 'utf8')).toBe(`${NEW.type} ${NEW.blob} new\n`);
    expect((await stat(join(home, '.ssh'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(home, '.ssh', 'authorized_keys'))).mode & 0o777).toBe(0o600);
  });

  it('adds a line end before appending to a file whose last line has none', async () => {
    await writeFile(file, OTHER);
    await run('sh', ADD_COMMAND, addInput(file, NEW, `${NEW.type} ${NEW.blob} new`, null));
    expect(await readFile(file, 'utf8')).toBe(`${OTHER}\n${NEW.type} ${NEW.blob} new\n`);
  });

  it('refuses input that is not the expected lines', async () => {
    const r = await run('sh', ADD_COMMAND, 'only-one-line\n');
    expect(r.code).toBe(3);
    expect(parseAddOutput(r.stdout)).toBeNull();
    expect(() => addInput(file, NEW, 'two\nlines', null)).toThrow();
  });
});
