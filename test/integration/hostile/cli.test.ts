import { execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCli } from '../../../scripts/cli-bundle.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { hugeDsaKeyFile } from './hostile-files';

// Hostile input to the keydock CLI as users run it, bundled like scripts/build-cli.mjs does (so
// the inspection worker runs from its built entry, and start-up is not tsx compiling on a busy
// machine): key files whose numbers would take minutes to check, stdin that never ends, and
// paths that are FIFOs, devices or folders. Each must fail at once with a clear error. The CLI's
// own start-up is measured with a harmless input and subtracted.

const posix = process.platform !== 'win32';
/** Work beyond starting the CLI; the real figure is a few milliseconds. */
const EXTRA_MS = 3000;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs keydock with stdin from a file (or empty), killing it after 60 s so a hang fails instead of blocking. */
function keydock(args: string[], env: NodeJS.ProcessEnv, stdinFile?: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const fd = stdinFile ? openSync(stdinFile, 'r') : 'ignore';
    const start = performance.now();
    const child = spawn('node', [join(bundle, 'keydock.cjs'), ...args], { env, stdio: [fd, 'pipe', 'pipe'] });
    if (typeof fd === 'number') closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - start });
    });
  });
}

/** The bundle under out/ (so its external packages resolve from node_modules), one per run. */
const bundle = join(process.cwd(), 'out', `hostile-cli-${process.pid}`);


const errorOf = (o: Outcome) => (JSON.parse(o.stdout) as { ok: boolean; error: { code: string; message: string } }).error;

describe.runIf(posix)('keydock refuses hostile input at once', () => {
  let home: TmpHome;
  let agent: RealAgent;
  let env: NodeJS.ProcessEnv;
  let fifo: string;
  let goodKey: string;
  let encKey: string;
  /** How long `keydock inspect` of a normal key takes here: start-up plus a worker. */
  let baselineMs = 0;
  const timings: string[] = [];

  beforeAll(async () => {
    await buildCli(bundle);
    expect(existsSync(join(bundle, 'inspect-worker.cjs'))).toBe(true);
    home = await makeTmpHome('keydock-hostile-');
    agent = await startOpenSshAgent();
    env = { ...home.env, SSH_AUTH_SOCK: agent.socket };
    fifo = join(home.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(home.dir, 'folder'));
    goodKey = join(home.sshDir, 'id_good');
    copyFileSync(join(__dirname, '../../fixtures/keys/files/openssh-ed25519'), goodKey);
    encKey = join(home.sshDir, 'id_enc');
    copyFileSync(join(__dirname, '../../fixtures/keys/files/openssh-ed25519-enc'), encKey);
    for (const kib of [25, 100]) writeFileSync(join(home.dir, `dsa-${kib}k`), hugeDsaKeyFile(kib * 1024), { mode: 0o600 });
    // Warm up (the disk cache), then take the better of two runs as the baseline.
    await keydock(['inspect', goodKey, '--json'], env);
    const runs = [await keydock(['inspect', goodKey, '--json'], env), await keydock(['fingerprint', goodKey, '--json'], env)];
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    baselineMs = Math.min(...runs.map((r) => r.ms));
  }, 180_000);

  afterAll(async () => {
    // The numbers behind the README/report figures: run with --reporter=verbose to see them.
    console.log(`baseline ${baselineMs.toFixed(0)} ms\n${timings.join('\n')}`);
    await agent?.stop();
    await home?.cleanup();
    rmSync(bundle, { recursive: true, force: true });
  });

  for (const kib of [25, 100]) {
    for (const command of ['inspect', 'fingerprint']) {
      it(`keydock ${command} of a ${kib} KiB DSA key with huge numbers fails with the number named, in no time`, async () => {
        const r = await keydock([command, join(home.dir, `dsa-${kib}k`), '--json'], env);
        timings.push(`${command} dsa-${kib}k: ${r.ms.toFixed(0)} ms`);
        expect(r.code).toBe(1);
        expect(errorOf(r)).toMatchObject({ code: 'key-unsupported', message: expect.stringMatching(/DSA key's prime p is \d+ bits; KeyDock reads DSA keys of at most 10000 bits/) });
        expect(r.ms - baselineMs).toBeLessThan(EXTRA_MS);
      }, 90_000);
    }
  }

  for (const args of [['lock', '--passphrase-stdin'], ['add', '--passphrase-stdin', 'ENC']]) {
    it(`keydock ${args[0]} --passphrase-stdin < /dev/zero stops at 1 KiB with passphrase-too-long, exit 2`, async () => {
      const r = await keydock([...args.map((a) => (a === 'ENC' ? encKey : a)), '--json'], env, '/dev/zero');
      timings.push(`${args[0]} < /dev/zero: ${r.ms.toFixed(0)} ms`);
      expect(r.code).toBe(2);
      expect(errorOf(r)).toMatchObject({ code: 'passphrase-too-long', message: expect.stringMatching(/longer than 1024 bytes/) });
      expect(r.ms - baselineMs).toBeLessThan(EXTRA_MS);
    }, 90_000);
  }

  it('a passphrase line over 1 KiB is refused; one within it still works', async () => {
    const long = join(home.dir, 'long-line');
    writeFileSync(long, `${'x'.repeat(1025)}\n`);
    const r = await keydock(['lock', '--passphrase-stdin', '--json'], env, long);
    expect(r.code).toBe(2);
    expect(errorOf(r).code).toBe('passphrase-too-long');
    const ok = join(home.dir, 'ok-line');
    writeFileSync(ok, `${'y'.repeat(1024)}\n`);
    expect((await keydock(['lock', '--passphrase-stdin', '--json'], env, ok)).code).toBe(0);
    expect((await keydock(['unlock', '--passphrase-stdin', '--json'], env, ok)).code).toBe(0);
  }, 90_000);

  const paths: Array<[string, () => string, RegExp]> = [
    ['a FIFO', () => fifo, /is a FIFO \(named pipe\), not an? [\w ]+\./],
    ['a folder', () => join(home.dir, 'folder'), /is a folder, not an? [\w ]+\./],
    ['/dev/zero', () => '/dev/zero', /is a character device.*, not an? [\w ]+\./],
  ];
  for (const [what, path, message] of paths) {
    it(`remove, test -F, inspect and fingerprint of ${what} fail at once, saying what it is`, async () => {
      for (const args of [['remove', path()], ['test', '-F', path(), 'example.invalid'], ['inspect', path()], ['fingerprint', path()]]) {
        const r = await keydock([...args, '--json'], env);
        timings.push(`${args[0]} ${what}: ${r.ms.toFixed(0)} ms`);
        expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
        expect(errorOf(r).message).toMatch(message);
        expect(r.ms - baselineMs).toBeLessThan(EXTRA_MS);
      }
    }, 180_000);
  }
});
