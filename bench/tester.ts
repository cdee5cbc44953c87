/**
 * Connection tester benchmark: total time of `keydock test` against `ssh -T` to the same
 * local sshd (GitHub greeting, one ed25519 key in an OpenSSH agent, host key known), as a
 * ratio. Three columns: `ssh -T` as a process; `keydock test` as a process (includes Node
 * start-up and loading the CLI bundle, what a user typing the command waits for; the bundle
 * is rebuilt first so the sources' tsx fallback is not what gets measured); and the tester called
 * in-process (what the app's Test button waits for). Runs alternate to spread noise;
 * medians over N runs after one warm-up. Run: `npx tsx bench/tester.ts`.
 */
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext } from '../main/context';
import { runConnectionTest } from '../main/connect/tester';
import { run } from '../test/support/processes';
import { startOpenSshAgent } from '../test/support/ssh-agent';
import { startSshd } from '../test/support/sshd';
import { makeTmpHome } from '../test/support/tmp-home';
import { median } from './stats';

export interface TesterBenchResult {
  runs: number;
  sshMedianMs: number;
  keydockProcessMedianMs: number;
  keydockInProcessMedianMs: number;
  /** keydock test (process) / ssh -T. */
  processRatio: number;
  /** tester in-process / ssh -T. */
  inProcessRatio: number;
  table: string;
}

const BIN = fileURLToPath(new URL('../bin/keydock.cjs', import.meta.url));


async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Measures `keydock test` vs `ssh -T` against one local sshd (see the file comment). */
export async function runTesterBench(options: { runs?: number; log?: (line: string) => void } = {}): Promise<TesterBenchResult> {
  const runs = options.runs ?? 10;
  const log = options.log ?? (() => undefined);
  await run(process.execPath, [fileURLToPath(new URL('../scripts/build-cli.mjs', import.meta.url))]);
  const sshd = await startSshd({ greeting: 'github' });
  const home = await makeTmpHome('keydock-bench-tester-');
  const agent = await startOpenSshAgent();
  try {
    const key = join(home.dir, 'bench_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    await sshd.addKey(`${key}.pub`, 'bench');
    await agent.sshAdd([key]);
    const config = join(home.sshDir, 'config');
    await writeFile(config, `Host github.com\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${sshd.user}\n`);
    await copyFile(sshd.knownHostsFile, join(home.sshDir, 'known_hosts'));
    const env = { ...home.env, SSH_AUTH_SOCK: agent.socket, KEYDOCK_TESTER_GIT_USER: sshd.user };
    const ctx = createContext({ env, transport: 'cli' });

    const ssh = async () => {
      const r = await run('ssh', ['-F', config, '-o', `UserKnownHostsFile=${join(home.sshDir, 'known_hosts')}`, '-o', 'BatchMode=yes', '-T', 'github.com'], { env });
      if (!r.stderr.includes('Hi bench!')) throw new Error(`ssh -T did not authenticate: ${r.stderr}`);
    };
    const cliProcess = async () => {
      const r = await run(process.execPath, [BIN, '--json', 'test', 'github.com'], { env });
      if (r.code !== 0) throw new Error(`keydock test failed: ${r.stdout}${r.stderr}`);
    };
    const inProcess = async () => {
      const r = await runConnectionTest(ctx, 'github.com');
      if (!r.ok) throw new Error(`tester failed: ${r.diagnosis?.message}`);
    };

    await ssh();
    await cliProcess();
    await inProcess();
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < runs; i++) {
      a.push(await timed(ssh));
      b.push(await timed(cliProcess));
      c.push(await timed(inProcess));
      log(`run ${i + 1}/${runs}: ssh ${a[i]?.toFixed(0)} ms, keydock ${b[i]?.toFixed(0)} ms, in-process ${c[i]?.toFixed(0)} ms`);
    }
    const sshMedianMs = median(a);
    const keydockProcessMedianMs = median(b);
    const keydockInProcessMedianMs = median(c);
    const processRatio = keydockProcessMedianMs / sshMedianMs;
    const inProcessRatio = keydockInProcessMedianMs / sshMedianMs;
    const table = [
      `| measurement (median of ${runs}) | ms | ratio to ssh -T |`,
      '|---|---|---|',
      `| ssh -T (process) | ${sshMedianMs.toFixed(0)} | 1.00 |`,
      `| keydock test (process, incl. Node start) | ${keydockProcessMedianMs.toFixed(0)} | ${processRatio.toFixed(2)} |`,
      `| tester in-process (app's Test button) | ${keydockInProcessMedianMs.toFixed(0)} | ${inProcessRatio.toFixed(2)} |`,
    ].join('\n');
    return { runs, sshMedianMs, keydockProcessMedianMs, keydockInProcessMedianMs, processRatio, inProcessRatio, table };
  } finally {
    await agent.stop();
    await sshd.stop();
    await home.cleanup();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runTesterBench({ log: (l) => process.stderr.write(l + '\n') }).then(
    (r) => process.stdout.write(r.table + '\n'),
    (e: unknown) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
