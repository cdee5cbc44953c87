/**
 * PPK v3 decrypt benchmark: KeyDock's reader (Argon2 in WebAssembly via hash-wasm, then
 * AES-256-CBC, HMAC-SHA-256 and the key consistency check) against PuTTY's own `puttygen`
 * opening the same file. puttygen is a separate process, so its start-up cost is measured on
 * an unencrypted file of the same key type and reported too; the headline ratio compares
 * KeyDock's in-process decrypt with puttygen's decrypt time (total minus that start-up).
 * Runs alternate between the two to spread machine noise; medians are reported.
 * Run: `npx tsx bench/ppk.ts` (or through `npm run bench`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { decryptKeyFile } from '../main/keys/load';
import { median } from './stats';

export interface PpkBenchRow {
  label: string;
  kdf: string;
  keydockMs: number;
  puttygenMs: number;
  puttygenStartupMs: number;
  /** KeyDock / (puttygen − start-up): below 1 means KeyDock decrypts faster. */
  ratio: number;
  /** KeyDock / puttygen total (what a user waits for with each tool). */
  ratioTotal: number;
}

export interface PpkBenchResult {
  rows: PpkBenchRow[];
  table: string;
}

const PASS = 'bench passphrase';


function timePuttygen(file: string, passFile: string | null, out: string): number {
  const t = performance.now();
  execFileSync('puttygen', [file, '-O', 'private-openssh', '-o', out, '--old-passphrase', passFile ?? '/dev/null', '--new-passphrase', '/dev/null'], { stdio: 'ignore' });
  return performance.now() - t;
}

/** Runs the benchmark; `runs` per configuration (default 15). */
export async function runPpkBench(options: { runs?: number; log?: (line: string) => void } = {}): Promise<PpkBenchResult> {
  const runs = options.runs ?? 15;
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'keydock-bench-ppk-'));
  try {
    const passFile = join(dir, 'pass');
    writeFileSync(passFile, PASS);
    const configs = [
      { label: 'ed25519, PuTTYgen defaults', type: ['-t', 'ed25519'], params: [] as string[] },
      { label: 'ed25519, Argon2id 8192 KiB × 16 passes', type: ['-t', 'ed25519'], params: ['--ppk-param', 'kdf=argon2id,memory=8192,passes=16'] },
      { label: 'ecdsa-p256, Argon2i 65536 KiB × 4 passes', type: ['-t', 'ecdsa', '-b', '256'], params: ['--ppk-param', 'kdf=argon2i,memory=65536,passes=4'] },
      { label: 'rsa-3072, Argon2d 8192 KiB × 8 passes', type: ['-t', 'rsa', '-b', '3072'], params: ['--ppk-param', 'kdf=argon2d,memory=8192,passes=8'] },
    ];
    const rows: PpkBenchRow[] = [];
    for (const c of configs) {
      log(`generating: ${c.label}`);
      const enc = join(dir, 'enc.ppk');
      const plain = join(dir, 'plain.ppk');
      execFileSync('puttygen', [...c.type, '-q', '-o', enc, '--new-passphrase', passFile, ...c.params], { stdio: 'ignore' });
      execFileSync('puttygen', [enc, '-P', '-o', plain, '--old-passphrase', passFile, '--new-passphrase', '/dev/null'], { stdio: 'ignore' });
      const data = readFileSync(enc);
      const kdfLine = data.toString().match(/Key-Derivation: (\S+)[\s\S]*?Argon2-Memory: (\d+)\s+Argon2-Passes: (\d+)/);
      const kdf = kdfLine ? `${kdfLine[1]} ${kdfLine[2]} KiB × ${kdfLine[3]}` : '?';
      // Warm-up: loads the WebAssembly module and JIT-compiles the reader once.
      await decryptKeyFile(data, null, async () => PASS);
      const kd: number[] = [];
      const pg: number[] = [];
      const pgBase: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await decryptKeyFile(data, null, async () => PASS);
        kd.push(performance.now() - t);
        pg.push(timePuttygen(enc, passFile, join(dir, 'out')));
        pgBase.push(timePuttygen(plain, null, join(dir, 'out2')));
      }
      const keydockMs = median(kd);
      const puttygenMs = median(pg);
      const puttygenStartupMs = median(pgBase);
      const decryptOnly = Math.max(puttygenMs - puttygenStartupMs, 0.001);
      rows.push({ label: c.label, kdf, keydockMs, puttygenMs, puttygenStartupMs, ratio: keydockMs / decryptOnly, ratioTotal: keydockMs / puttygenMs });
      log(`${c.label}: KeyDock ${keydockMs.toFixed(1)} ms, puttygen ${puttygenMs.toFixed(1)} ms (start-up ${puttygenStartupMs.toFixed(1)} ms)`);
    }
    const header = '| key / KDF | KeyDock decrypt (ms) | puttygen total (ms) | puttygen start-up (ms) | ratio KeyDock / puttygen decrypt | ratio KeyDock / puttygen total |';
    const sep = '|---|---:|---:|---:|---:|---:|';
    const lines = rows.map((r) => `| ${r.label} (${r.kdf}) | ${r.keydockMs.toFixed(1)} | ${r.puttygenMs.toFixed(1)} | ${r.puttygenStartupMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.ratioTotal.toFixed(2)} |`);
    const table = [header, sep, ...lines, '', `Medians of ${runs} runs each, alternating tools; PuTTY ${execFileSync('puttygen', ['--version']).toString().split('\n')[0]}.`].join('\n');
    return { rows, table };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runPpkBench({ log: (l) => process.stderr.write(`${l}\n`) }).then(
    (r) => process.stdout.write(`${r.table}\n`),
    (e: unknown) => {
      process.stderr.write(`ppk bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
