import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../../main/cli/program';
import { run } from '../../support/processes';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { memoryIo } from '../../support/memory-io';

// setup-host: aliases HOST-OWNER-REPO / HOST-LABEL, whole blocks (a block's comment stays with
// it), no deploy key reused for a second repository, and a passphrase for every new key unless
// --no-passphrase says otherwise.

function io(env: NodeJS.ProcessEnv, input: string | string[] | null, tty = false): ReturnType<typeof memoryIo> {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (tty) stdin.isTTY = true;
  if (typeof input === 'string') stdin.end(input);
  else if (input !== null) {
    // A terminal gives one line per prompt: each line is typed a moment after the last.
    input.forEach((line, i) => setTimeout(() => stdin.write(`${line}\n`), 150 * (i + 1)));
  }
  return memoryIo(env, stdin);
}

describe('keydock setup-host', () => {
  let home: TmpHome;
  let config: string;
  const cli = async (argv: string[], input: string | string[] | null = '', tty = false) => {
    const m = io({ ...home.env, SSH_AUTH_SOCK: '' }, input, tty);
    const code = await runCli(argv, m.io);
    return { code, stdout: m.stdout(), stderr: m.stderr() };
  };
  const keygen = async (name: string) => {
    const path = join(home.sshDir, name);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
    return path;
  };

  beforeEach(async () => {
    home = await makeTmpHome('keydock-setup-');
    config = join(home.sshDir, 'config');
  });
  afterEach(async () => {
    await home.cleanup();
  });

  it('--repo me/repo then --repo other/repo: two aliases, two keys, no collision', async () => {
    const a = await cli(['--json', 'setup-host', 'github', '--repo', 'me/repo', '--no-passphrase']);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    const b = await cli(['--json', 'setup-host', 'github', '--repo', 'other/repo', '--no-passphrase']);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    const ja = JSON.parse(a.stdout);
    const jb = JSON.parse(b.stdout);
    expect(ja).toMatchObject({ alias: 'github.com-me-repo', remoteUrl: 'git@github.com-me-repo:me/repo.git', keyPath: join(home.sshDir, 'id_ed25519_github.com-me-repo') });
    expect(jb).toMatchObject({ alias: 'github.com-other-repo', remoteUrl: 'git@github.com-other-repo:other/repo.git' });
    expect(ja.fingerprint).not.toBe(jb.fingerprint);
    for (const [alias, key] of [[ja.alias, ja.keyPath], [jb.alias, jb.keyPath]]) {
      const g = await run('ssh', ['-G', '-F', config, alias]);
      expect(g.stdout).toMatch(/^hostname github\.com$/m);
      expect(g.stdout).toContain(`identityfile ${key}`);
    }
    const acc = await cli(['--json', 'setup-host', 'gitlab', '--account', 'work', '--no-passphrase']);
    expect(JSON.parse(acc.stdout)).toMatchObject({ alias: 'gitlab.com-work' });
  });

  it('inserts each block whole: a second block never lands between the first block\'s comment and its Host line', async () => {
    await writeFile(config, 'ServerAliveInterval 30\n\n# my servers\n# (keep)\nHost box\n  HostName box.example.org\n\nHost *\n  User me\n', { mode: 0o600 });
    expect((await cli(['setup-host', 'github', '--repo', 'me/one', '--no-passphrase'])).code).toBe(0);
    expect((await cli(['setup-host', 'github', '--repo', 'me/two', '--no-passphrase'])).code).toBe(0);
    const text = await readFile(config, 'utf8');
    // Each KeyDock comment is directly followed by its own Host line.
    const lines = text.split('\n');
    lines.forEach((l, i) => {
      if (l.startsWith('# Added by KeyDock')) expect(lines[i + 1]).toMatch(/^Host github\.com-me-(one|two)$/);
    });
    expect(text).toContain('# my servers\n# (keep)\nHost box\n');
    expect(text.startsWith('ServerAliveInterval 30\n')).toBe(true);
    // Both take effect before Host * (ssh: first value wins).
    const g = await run('ssh', ['-G', '-F', config, 'github.com-me-two']);
    expect(g.stdout).toMatch(/^user git$/m);
  });

  it('never reuses a deploy key for a second repository', async () => {
    const key = await keygen('id_shared');
    expect((await cli(['setup-host', 'github', '--repo', 'me/one', '--key', key])).code).toBe(0);
    const r = await cli(['--json', 'setup-host', 'github', '--repo', 'me/two', '--key', key]);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.stdout);
    expect(j.error.code).toBe('deploy-key-reused');
    expect(j.error.hint).not.toContain(key);
    // An existing generated key file is never offered for reuse with --key.
    expect((await cli(['setup-host', 'github', '--repo', 'me/three', '--no-passphrase'])).code).toBe(0);
    await writeFile(config, '', { mode: 0o600 });
    const again = await cli(['--json', 'setup-host', 'github', '--repo', 'me/three', '--no-passphrase']);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout).error).toMatchObject({ code: 'file-exists' });
    expect(JSON.parse(again.stdout).error.hint).not.toMatch(/--key/);
  });

  it('a new key gets a passphrase: --passphrase-stdin, twice at a terminal, or --no-passphrase with a warning; else exit 2', async () => {
    const none = await cli(['setup-host', 'github', '--repo', 'me/a']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/passphrase/);
    expect(none.stderr).toMatch(/--passphrase-stdin|--no-passphrase/);
    await expect(readFile(config, 'utf8')).rejects.toThrow();

    const piped = await cli(['--json', 'setup-host', 'github', '--repo', 'me/b', '--passphrase-stdin'], 'correct horse\n');
    expect(piped.code, piped.stderr).toBe(0);
    const key = JSON.parse(piped.stdout).keyPath as string;
    expect(JSON.parse(piped.stdout).passphrase).toBe('set');
    expect((await run('ssh-keygen', ['-y', '-P', '', '-f', key])).code).not.toBe(0);
    expect((await run('ssh-keygen', ['-y', '-P', 'correct horse', '-f', key])).code).toBe(0);

    const tty = await cli(['setup-host', 'github', '--repo', 'me/c'], ['pw one', 'pw one'], true);
    expect(tty.code, tty.stderr).toBe(0);
    expect((await run('ssh-keygen', ['-y', '-P', 'pw one', '-f', join(home.sshDir, 'id_ed25519_github.com-me-c')])).code).toBe(0);

    const mismatch = await cli(['setup-host', 'github', '--repo', 'me/d'], ['pw one', 'pw two'], true);
    expect(mismatch.code).toBe(2);

    const bare = await cli(['setup-host', 'github', '--repo', 'me/e', '--no-passphrase']);
    expect(bare.code).toBe(0);
    expect(bare.stderr + bare.stdout).toMatch(/no passphrase/);
  });
});
