/**
 * CLI start-up benchmark: `keydock --help`, `list` (against a real OpenSSH ssh-agent holding one
 * key), `agents`, `which ALIAS` (a Host alias with an IdentityFile in a temporary ~/.ssh/config)
 * and `fingerprint FILE` of an OpenSSH, a PEM and a PuTTY (.ppk) private key, each against
 * `node -e 0` (what any Node program pays to start on this machine). The target is 2× `node -e 0`
 * at most (issue #16); the machine's load average is printed beside the table, since a busy
 * machine slows a new process more than a running one. The bundle is built first
 * (scripts/build-cli.mjs); the commands run it directly (out/cli/keydock.cjs), because in a
 * checkout others are editing, bin/keydock.cjs would fall back to tsx whenever a source is newer;
 * `node bin/keydock.cjs --help` and `list` are measured too, with the launcher's freshness check,
 * as a user's `keydock list` runs. Runs alternate between the commands to spread machine noise;
 * medians of 10 runs each are reported, with the ratio to `node -e 0`.
 * Run: `npx tsx bench/cli.ts` (or through `npm run bench cli`).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { median } from './stats';

export interface CliBenchRow {
  label: string;
  ms: number;
  /** This command / `node -e 0`. */
  ratio: number;
  /** Median CPU time (user + system) and its ratio to `node -e 0`'s, when known (Linux). */
  cpuMs: number | null;
  cpuRatio: number | null;
}

export interface CliBenchResult {
  rows: CliBenchRow[];
  table: string;
  /** The 1-minute load average before and after the runs. */
  load: [number, number];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));


function availableCores(): number {
  return os.availableParallelism();
}

/** CPU time (user + system, ms) of this process's finished children, from /proc (Linux); null elsewhere. */
function childCpuMs(): number | null {
  try {
    // Fields after the command name: cutime and cstime are the 14th and 15th (clock ticks of 10 ms).
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return null;
  }
}

/** One run: wall time, and CPU time when the system tells it (less disturbed by a busy machine). */
function timeRun(args: string[], env: NodeJS.ProcessEnv): { ms: number; cpu: number | null } {
  const cpu0 = childCpuMs();
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  const cpu1 = childCpuMs();
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${String(r.stderr)}`);
  return { ms, cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
}

export async function runCliBench(opts: { runs?: number; log?: (line: string) => void } = {}): Promise<CliBenchResult> {
  const runs = opts.runs ?? 10;
  const log = opts.log ?? (() => {});
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'kd-bench-cli-'));
  const socket = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
    const key = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bench', '-f', key]);
    execFileSync('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
    const pem = join(dir, 'id_rsa_pem');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-C', 'bench-pem', '-f', pem]);
    const ppk = join(dir, 'id_ed25519.ppk');
    execFileSync('puttygen', [key, '-O', 'private', '-o', ppk], { stdio: 'ignore' });
    const home = join(dir, 'home');
    // `which` resolves a Host alias of the user's config, with its own IdentityFile, as ssh -G would.
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'config'), `Host bench-alias\n  HostName 127.0.0.1\n  Port 2222\n  User git\n  IdentityFile ${key}\n  IdentitiesOnly yes\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), SSH_AUTH_SOCK: socket, LANG: 'C.UTF-8' };
    const bin = join(ROOT, 'out/cli/keydock.cjs');
    const cases: { label: string; args: string[] }[] = [
      { label: '`node -e 0`', args: ['-e', '0'] },
      { label: '`node bin/keydock.cjs --help`', args: [join(ROOT, 'bin/keydock.cjs'), '--help'] },
      { label: '`node bin/keydock.cjs list`', args: [join(ROOT, 'bin/keydock.cjs'), 'list'] },
      { label: '`keydock --help`', args: [bin, '--help'] },
      { label: '`keydock list` (ssh-agent, 1 key)', args: [bin, 'list'] },
      { label: '`keydock agents`', args: [bin, 'agents'] },
      { label: '`keydock which ALIAS` (Host alias, IdentityFile)', args: [bin, 'which', 'bench-alias'] },
      { label: '`keydock fingerprint FILE` (OpenSSH)', args: [bin, 'fingerprint', key] },
      { label: '`keydock fingerprint FILE` (PEM)', args: [bin, 'fingerprint', pem] },
      { label: '`keydock fingerprint FILE` (PPK)', args: [bin, 'fingerprint', ppk] },
    ];
    const loadBefore = loadavg()[0]!;
    const times = cases.map(() => [] as number[]);
    const cpus = cases.map(() => [] as number[]);
    for (const c of cases) timeRun(c.args, env); // warm the file cache
    for (let i = 0; i < runs; i++) {
      cases.forEach((c, k) => {
        const r = timeRun(c.args, env);
        times[k]!.push(r.ms);
        if (r.cpu !== null) cpus[k]!.push(r.cpu);
      });
    }
    const load: [number, number] = [loadBefore, loadavg()[0]!];
    const base = median(times[0]!);
    const cpuBase = cpus[0]!.length ? median(cpus[0]!) : null;
    const rows = cases.map((c, k) => {
      const cpuMs = cpus[k]!.length ? median(cpus[k]!) : null;
      return { label: c.label, ms: median(times[k]!), ratio: median(times[k]!) / base, cpuMs, cpuRatio: cpuMs !== null && cpuBase ? cpuMs / cpuBase : null };
    });
    for (const r of rows) log(`${r.label}: ${r.ms.toFixed(0)} ms (${r.ratio.toFixed(2)}×)${r.cpuMs === null ? '' : `, CPU ${r.cpuMs.toFixed(0)} ms (${r.cpuRatio?.toFixed(2)}×)`}`);
    const table = [
      `| command | median of ${runs} (ms) | ratio to \`node -e 0\` | CPU time (ms) | CPU ratio |`,
      '|---|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.label} | ${r.ms.toFixed(0)} | ${r.ratio.toFixed(2)}× | ${r.cpuMs === null ? '-' : r.cpuMs.toFixed(0)} | ${r.cpuRatio === null ? '-' : `${r.cpuRatio.toFixed(2)}×`} |`),
      '',
      `Load average (1 min) before / after: ${load[0].toFixed(2)} / ${load[1].toFixed(2)} on ${availableCores()} cores.`,
    ].join('\n');
    return { rows, table, load };
  } finally {
    agent.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void runCliBench({ log: (l) => process.stderr.write(`  ${l}\n`) }).then((r) => process.stdout.write(`${r.table}\n`));
}
