import { writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFastPath } from '../../../main/cli/fast';
import { buildProgram, runCli } from '../../../main/cli/program';
import { ROOT, cliChunks } from '../../../scripts/cli-bundle.mjs';
import { memoryIo, runCliInMemory } from '../../support/memory-io';
import { run } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// `list`, `agents`, `which` and `fingerprint` start without commander (main/cli/fast.ts). Their
// answers must be what commander's tree gives for the same words, and everything the fast path
// does not read plainly must go to commander.

describe('the fast path reads only plain command lines', () => {
  it('takes the read-only commands with their own options', () => {
    expect(parseFastPath(['list'])).toEqual({ name: 'list', json: false, args: [], opts: {} });
    expect(parseFastPath(['--json', 'list', '--agent', '/tmp/a.sock'])).toEqual({ name: 'list', json: true, args: [], opts: { agent: '/tmp/a.sock' } });
    expect(parseFastPath(['which', 'git@example.com:2222', '-F', '/dev/null', '--json'])).toEqual({ name: 'which', json: true, args: ['git@example.com:2222'], opts: { config: '/dev/null' } });
    expect(parseFastPath(['fingerprint', 'k', '--md5', '--passphrase-stdin'])).toEqual({ name: 'fingerprint', json: false, args: ['k'], opts: { md5: true, passphraseStdin: true } });
    expect(parseFastPath(['agents', '--json'])).toEqual({ name: 'agents', json: true, args: [], opts: {} });
  });

  it('leaves everything else to commander', () => {
    for (const argv of [
      [],
      ['--help'],
      ['list', '--help'],
      ['list', '-h'],
      ['-V'],
      ['add', 'k'],
      ['list', '--agent'],
      ['list', '--agent=/tmp/a.sock'],
      ['list', '--agent', '-x'],
      ['list', '--agent', 'a', '--agent', 'b'],
      ['list', 'extra'],
      ['list', '--bogus'],
      ['which'],
      ['which', 'a', 'b'],
      ['which', '--', 'host'],
      ['which', '-Fconfig', 'host'],
      ['which', '-'],
      ['fingerprint', '--md5', 'k', '--md5'],
      ['--json', '--json', 'list'],
      ['toString'],
      ['__proto__'],
    ]) {
      expect(parseFastPath(argv), argv.join(' ')).toBeNull();
    }
  });
});

describe('fast path and commander answer alike', () => {
  let home: TmpHome;
  let agent: RealAgent;
  let env: NodeJS.ProcessEnv;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    home = await makeTmpHome('keydock-fast-');
    agent = await startOpenSshAgent();
    env = { ...home.env, SSH_AUTH_SOCK: agent.socket };
    files.openssh = join(home.sshDir, 'id_ed25519');
    files.pem = join(home.dir, 'id_rsa_pem');
    files.ppk = join(home.dir, 'id_ed25519.ppk');
    files.encrypted = join(home.dir, 'id_enc');
    expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fast@test', '-f', files.openssh])).code).toBe(0);
    expect((await run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-C', 'pem', '-f', files.pem])).code).toBe(0);
    expect((await run('puttygen', [files.openssh, '-O', 'private', '-o', files.ppk])).code).toBe(0);
    expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret words', '-C', 'enc@test', '-f', files.encrypted])).code).toBe(0);
    files.pub = `${files.openssh}.pub`;
    expect((await agent.sshAdd([files.openssh])).code).toBe(0);
    await writeFile(join(home.sshDir, 'config'), `Host alias\n  HostName 127.0.0.1\n  Port 2222\n  User git\n  IdentityFile ${files.openssh}\n  IdentitiesOnly yes\n`, { mode: 0o600 });
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    await home?.cleanup();
  });

  async function viaCommander(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const m = memoryIo(env);
    const state = { exitCode: 0 };
    await buildProgram(m.io, state).parseAsync(argv, { from: 'user' });
    return { code: state.exitCode, stdout: m.stdout(), stderr: m.stderr() };
  }

  async function viaFastPath(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    expect(parseFastPath(argv), argv.join(' ')).not.toBeNull();
    return runCliInMemory(argv, env);
  }

  const cases = (): string[][] => [
    ['list'],
    ['list', '--json'],
    ['list', '--agent', join(home.dir, 'no-agent-here')],
    ['--json', 'agents'],
    ['which', 'alias'],
    ['which', 'alias', '--json'],
    ['which', 'bad host name'],
    ['which', 'alias', '-F', join(home.dir, 'missing-config'), '--json'],
    ['fingerprint', files.openssh!],
    ['fingerprint', files.pub!, '--md5'],
    ['fingerprint', files.pem!, '--json'],
    ['fingerprint', files.ppk!],
    ['fingerprint', files.encrypted!, '--json'],
    ['fingerprint', join(home.dir, 'missing'), '--json'],
  ];

  it('prints the same and exits the same for each read-only command', async () => {
    const seen: string[] = [];
    for (const argv of cases()) {
      const fast = await viaFastPath(argv);
      const slow = await viaCommander(argv);
      expect(fast, argv.join(' ')).toEqual(slow);
      seen.push(`${argv[0] === '--json' ? argv[1] : argv[0]}:${fast.code}`);
    }
    // The cases cover success and failure of each command, so the comparison is not vacuous.
    expect(seen).toEqual(expect.arrayContaining(['list:0', 'list:2', 'agents:0', 'which:0', 'which:2', 'fingerprint:0', 'fingerprint:2']));
  }, 120_000);

  it('fingerprints a PEM, a PPK and an OpenSSH key as ssh-keygen does', async () => {
    for (const file of [files.openssh!, files.pem!, files.ppk!]) {
      const m = memoryIo(env);
      expect(await runCli(['fingerprint', file, '--json'], m.io)).toBe(0);
      const ours = (JSON.parse(m.stdout()) as { fingerprint: string }).fingerprint;
      const pub = file === files.ppk ? `${files.openssh}.pub` : `${file}.pub`;
      expect((await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', pub])).stdout.split(' ')[1]).toBe(ours);
    }
  });
});

describe('what the bundle loads before a read-only command runs', () => {
  type Chunk = Awaited<ReturnType<typeof cliChunks>>[number];
  let chunks: Chunk[];
  beforeAll(async () => {
    chunks = await cliChunks();
  }, 120_000);

  const rel = (id: string) => relative(ROOT, id).split(sep).join('/');
  /** The chunk that holds SOURCE (a path in the repository). */
  const chunkOf = (source: string) => chunks.find((c) => c.moduleIds.includes(join(ROOT, source)))!;
  /** The chunks that load with CHUNK (it and every chunk it requires at its top), by file name. */
  function loadedWith(chunk: Chunk): Chunk[] {
    const seen = new Map<string, Chunk>();
    const stack = [chunk];
    while (stack.length) {
      const c = stack.pop()!;
      if (seen.has(c.fileName)) continue;
      seen.set(c.fileName, c);
      for (const f of c.imports) {
        const next = chunks.find((o) => o.fileName === f);
        if (next) stack.push(next);
      }
    }
    return [...seen.values()];
  }
  /** The source files that load with CHUNK, relative to the repository. */
  const staticInputs = (chunk: Chunk) => loadedWith(chunk).flatMap((c) => c.moduleIds.map(rel));
  const bundled = (inputs: string[], what: RegExp) => inputs.filter((i) => what.test(i));

  it('the entry holds neither commander, zod, the command tree nor a service', () => {
    const entry = staticInputs(chunkOf('main/cli/index.ts'));
    expect(entry).toContain('main/cli/fast.ts');
    expect(bundled(entry, /node_modules\/(commander|zod)\//)).toEqual([]);
    expect(bundled(entry, /main\/(cli\/program|cli\/commands\/|context|agent\/|keys\/|openssh\/)/)).toEqual([]);
  });

  it('the read-only commands load no commander, zod, settings schema or keychain', () => {
    const readOnly = staticInputs(chunkOf('main/cli/commands/read-only.ts'));
    expect(readOnly).toContain('main/cli/commands/read-only.ts');
    expect(bundled(readOnly, /node_modules\/(commander|zod)\/|shared\/contract\/|main\/(context|secrets\/|cli\/program)/)).toEqual([]);
  });

  it('the read-only commands and the services they use are one chunk', () => {
    // One file to find and compile instead of ~25 (docs/architecture.md §4.1).
    const home = chunkOf('main/cli/commands/read-only.ts');
    for (const source of ['main/agent/manager.ts', 'main/agent/discovery.ts', 'main/agent/client.ts', 'main/connect/which.ts', 'main/openssh/ssh-config.ts', 'main/keys/load.ts', 'main/keys/identity-file.ts']) {
      expect(chunkOf(source).fileName, source).toBe(home.fileName);
    }
    // What only a key without a public half needs (the KDFs, ciphers) stays out of it.
    expect(chunkOf('main/keys/inspect.ts').fileName).not.toBe(home.fileName);
    const loaded = new Set([...loadedWith(chunkOf('main/cli/index.ts')), ...loadedWith(home)].map((c) => c.fileName));
    expect(loaded.size).toBeLessThanOrEqual(6);
  });

  it('no chunk requires the entry, whose code runs the CLI', () => {
    const entry = chunkOf('main/cli/index.ts');
    expect(entry.moduleIds.map(rel)).toEqual(['main/cli/index.ts']);
    for (const c of chunks) expect(c.imports, c.fileName).not.toContain(entry.fileName);
  });

  it('zod comes with English messages only', () => {
    const all = chunks.flatMap((c) => c.moduleIds.map(rel));
    expect(bundled(all, /zod\/v4\/locales\/en\.js$/).length).toBe(1);
    expect(bundled(all, /zod\/v4\/locales\/(de|fr|ja)\.js$/)).toEqual([]);
  });
});
