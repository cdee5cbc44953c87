import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, runCli } from '../../../main/cli/program';
import type { CliIo } from '../../../main/cli/io';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// The README's rule for every command: exit 0 ok, 1 the operation failed, 2 usage or environment;
// with --json every outcome, the argument parser's own included, is one JSON object on stdout.
// And every hint that names a keydock command names one that exists, with options it has.

function captureIo(env: NodeJS.ProcessEnv): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  return { io: { stdin, stdout, stderr, env }, out: () => out, err: () => err };
}

const program = buildProgram(captureIo({}).io, { exitCode: 0 });
const commands = new Map(program.commands.map((c) => [c.name(), new Set(c.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]))]));

describe('one rule for exits and --json', () => {
  let home: TmpHome;
  beforeAll(async () => {
    home = await makeTmpHome('keydock-json-');
  });
  afterAll(async () => {
    await home.cleanup();
  });

  const json = async (argv: string[]) => {
    // No agent, an empty HOME: every command meets the environment a new user has.
    const c = captureIo({ ...home.env, SSH_AUTH_SOCK: '', PATH: process.env.PATH });
    const code = await runCli(argv, c.io);
    const text = c.out();
    type Outcome = { ok?: boolean; error?: { code?: string } };
    let parsed: Outcome | null;
    try {
      parsed = JSON.parse(text) as Outcome;
    } catch {
      parsed = null;
    }
    return { code, text, parsed, stderr: c.err() };
  };

  it.each([...commands.keys()].filter((c) => c !== 'help'))('keydock %s with a bad flag: exit 2 and one JSON usage error', async (cmd) => {
    const r = await json([cmd, '--no-such-flag', '--json']);
    expect(r.code, r.text).toBe(2);
    expect(r.parsed, r.text).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(r.stderr).toBe('');
  });

  // serve and ui would run until stopped: their bad-flag case above is what is checked here.
  it.each([...commands.keys()].filter((c) => !['help', 'serve', 'ui'].includes(c)))('keydock %s --json without arguments: one JSON object, exit 0/1/2 matching ok', async (cmd) => {
    const r = await json([cmd, '--json']);
    expect(r.parsed, r.text).not.toBeNull();
    expect([0, 1, 2]).toContain(r.code);
    expect(r.parsed!.ok, r.text).toBe(r.code === 0);
  }, 60_000);

  it('treats help and version as outcomes too', async () => {
    expect((await json(['--help', '--json'])).parsed).toMatchObject({ ok: true, help: expect.stringContaining('Usage: keydock') });
    expect((await json(['--version', '--json'])).parsed).toMatchObject({ ok: true, version: expect.any(String) });
    expect((await json(['no-such-command', '--json'])).parsed).toMatchObject({ ok: false, error: { code: 'usage' } });
  });
});

describe('hints name commands that exist', () => {
  // "keydock" followed by a word in prose ("…let keydock create it…") is not a command line.
  const PROSE = new Set(['command', 'create']);
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|tsx)$/.test(e.name) ? [join(dir, e.name)] : []));

  it('every `keydock WORD --flag` in main/, shared/ and renderer/ is a real command with real options', () => {
    const bad: string[] = [];
    for (const file of [...sources('main'), ...sources('shared'), ...sources('renderer')]) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bkeydock ([a-z][a-z0-9-]*)((?: +(?:-{1,2}[a-z][a-z0-9-]*|[A-Z~./][^\s`'"]*))*)/g)) {
        const [, cmd, rest] = m;
        if (PROSE.has(cmd!)) continue;
        const options = commands.get(cmd!);
        if (!options) {
          bad.push(`${file}: keydock ${cmd} (no such command)`);
          continue;
        }
        for (const flag of rest!.match(/(?<=\s)-{1,2}[a-z][a-z0-9-]*/g) ?? []) {
          if (!options.has(flag) && !['--json', '--help', '-h'].includes(flag)) bad.push(`${file}: keydock ${cmd} ${flag} (no such option)`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('catches a hint that names a command that does not exist', () => {
    expect(commands.has('keys')).toBe(false);
    expect(commands.has('list')).toBe(true);
  });
});
