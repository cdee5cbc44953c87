import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../support/processes';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { KEYDOCK_BIN, keygen, scratch, startServe, type ServeProcess } from './serve-process';

// Keys with lifetimes longer than setTimeout can wait (2^31-1 ms, about 24.8 days) cost an idle
// agent nothing: no TimeoutOverflowWarning, no timer firing every millisecond.
// The issue asks for a 60 s watch; KEYDOCK_IDLE_WATCH_SECONDS sets it (default 6 s keeps the
// suite cheap; a spinning 1 ms timer shows within the first second anyway).

const WATCH_SECONDS = Number(process.env.KEYDOCK_IDLE_WATCH_SECONDS ?? 6);
/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on every Linux Node runs on). */
const CLK_TCK = 100;

let home: TmpHome;
let sc: Awaited<ReturnType<typeof scratch>>;
let serve: ServeProcess;
let keys: string[];

beforeAll(async () => {
  home = await makeTmpHome('kd-lifetime-');
  sc = await scratch();
  keys = await Promise.all([keygen(sc.dir, 'month', 'ed25519'), keygen(sc.dir, 'weeks', 'ecdsa', 256)]);
  serve = await startServe([], home.env);
}, 120_000);

afterAll(async () => {
  await serve?.stop();
  await sc?.cleanup();
  await home?.cleanup();
});

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

describe.skipIf(process.platform !== 'linux')('a 30-day key in an idle keydock serve', () => {
  it(`ssh-add -t 30d and keydock add --lifetime 4w: no warning, and under 1% CPU over ${WATCH_SECONDS} s`, async () => {
    const add = await serve.sshAdd(['-t', '30d', keys[0] as string]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain('Lifetime set to 2592000 seconds');
    const kd = await run(process.execPath, [KEYDOCK_BIN, 'add', '--lifetime', '4w', keys[1] as string], { env: { ...home.env, SSH_AUTH_SOCK: serve.socket }, timeoutMs: 120_000 });
    expect(kd.code, kd.stderr + kd.stdout).toBe(0);
    const listed = (await serve.sshAdd(['-l'])).stdout;
    expect(listed).toContain('month@keydock-test');
    expect(listed).toContain('weeks@keydock-test');

    // Let the adds' own work (JIT, GC) settle, then watch an idle agent.
    await new Promise((r) => setTimeout(r, 1000));
    const cpu0 = cpuSeconds(serve.pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, WATCH_SECONDS * 1000));
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(serve.pid) - cpu0;

    expect(serve.stderr()).not.toMatch(/TimeoutOverflowWarning|Warning/);
    expect(cpu / wall, `${cpu}s CPU in ${wall.toFixed(1)}s`).toBeLessThan(0.01);
    // And the keys are still there: nothing expired early.
    expect((await serve.sshAdd(['-l'])).stdout).toContain('month@keydock-test');
  }, 180_000);
});
