import { type ChildProcess } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../../scripts/cli-bundle.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyFiles } from '../../../main/keys/generate';
import { parsePublicKeyLine } from '../../../main/keys/format';
import { loadPrivateKeyFile } from '../../../main/keys/load';
import { parseConfigBlocks } from '../../../main/openssh/ssh-config-parse';
import { safeWriteFile } from '../../../main/util/safe-write';
import { startProcess } from '../../support/processes';
import { mulberry32 } from '../../support/prng';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';

// Real processes killed with SIGKILL, at random moments and exactly at each step of a write
// (KEYDOCK_TEST_KILL_AT, read only by main/util/safe-write.ts). After every kill the files must
// be the old or the new version, never half of one; a key pair must match or the private key
// be absent with the old pair kept as a backup; no backup may be empty; a temp file holding a
// private key must be 0600 and gone after the next write in that folder.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const KNOWN_HOSTS_CHILD = join(REPO, 'test', 'integration', 'files', 'children', 'known-hosts-add.ts');
/** The CLI and the known_hosts child, bundled in beforeAll (see there). */
let BIN = '';
let KNOWN_HOSTS_BUNDLE = '';
let bundleDir = '';
const SEED = Number(process.env.KEYDOCK_TEST_SEED ?? 0x5afe);
/** After this long, only the exact-step kills and one random kill per scenario still run. */
const RANDOM_BUDGET_MS = 40_000;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runChild(args: string[], env: NodeJS.ProcessEnv, killAfterMs?: number): Promise<ChildResult> {
  const started = Date.now();
  const child: ChildProcess = startProcess(process.execPath, args, { cwd: REPO, env });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * No regular file but a temp is empty; temps holding a private key are 0600; the next write in
 * the folder (any file) removes the temps a killed process left, so none holds key material.
 */
async function checkFolder(dir: string, why: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const st = await lstat(p);
    if (!st.isFile()) continue;
    const text = await readFile(p, 'latin1');
    if (name.endsWith('.keydock-tmp')) {
      if (text.includes('PRIVATE KEY')) expect(st.mode & 0o777, `${why}: ${name} holds a private key`).toBe(0o600);
    } else {
      expect(st.size, `${why}: ${name} is empty`).toBeGreaterThan(0);
    }
  }
  await safeWriteFile(join(dir, 'next-write'), 'x\n');
  await rm(join(dir, 'next-write'));
  const left = (await readdir(dir)).filter((n) => n.endsWith('.keydock-tmp'));
  expect(left, `${why}: temp files left after the next write`).toEqual([]);
}

/** The pair at PRIV: 'absent' (no private key), 'old' or 'new'; throws on a mismatch or a lost old key. */
async function checkPair(priv: string, old: { priv: string; pub: string } | null, why: string): Promise<'absent' | 'old' | 'new'> {
  const dir = join(priv, '..');
  const privText = await readOrNull(priv);
  const pubText = await readOrNull(`${priv}.pub`);
  const backups = (await readdir(dir)).filter((n) => n.startsWith(`${basename(priv)}.keydock-old-`));
  for (const b of backups) {
    const text = await readFile(join(dir, b), 'utf8');
    expect(text, `${why}: backup ${b}`).toBe(b.endsWith('.pub') ? old?.pub : old?.priv);
  }
  const oldKept = backups.some((b) => !b.endsWith('.pub'));
  if (privText === null) {
    if (old) expect(oldKept, `${why}: the old private key is gone without a backup`).toBe(true);
    return 'absent';
  }
  expect(privText, `${why}: private key file is not a whole key`).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+-----END OPENSSH PRIVATE KEY-----\n$/);
  expect(pubText, `${why}: private key without its .pub`).not.toBeNull();
  const key = await loadPrivateKeyFile(priv, async () => null);
  expect(parsePublicKeyLine(pubText as string).blob.equals(key.publicBlob), `${why}: .pub does not match the private key`).toBe(true);
  if (old && privText === old.priv) return 'old';
  if (old) expect(oldKept, `${why}: replaced without a backup`).toBe(true);
  return 'new';
}

interface Run {
  home: TmpHome;
  /** What the scenario needs to check the result. */
  state: Record<string, string>;
}

interface Scenario {
  name: string;
  steps: string[];
  randomRuns: number;
  setup(home: TmpHome, i: number): Promise<Record<string, string>>;
  args(run: Run): string[];
  check(run: Run, completed: boolean, why: string): Promise<void>;
}

const HOST_KEY = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', 'base64');

const scenarios: Scenario[] = [
  {
    name: 'keygen (new key)',
    steps: ['after-temp-write', 'after-pub-rename', 'after-rename'],
    randomRuns: 5,
    setup: async () => ({}),
    args: ({ home }) => [BIN, 'keygen', '--file', join(home.sshDir, 'id_kill'), '--type', 'ed25519', '--no-passphrase', '--json'],
    async check({ home }, completed, why) {
      const s = await checkPair(join(home.sshDir, 'id_kill'), null, why);
      if (completed) expect(s).toBe('new');
      await checkFolder(home.sshDir, why);
    },
  },
  {
    name: 'keygen --force over an existing pair',
    steps: ['after-temp-write', 'after-backup', 'after-old-key-removed', 'after-pub-rename', 'after-rename'],
    randomRuns: 5,
    async setup(home) {
      const path = join(home.sshDir, 'id_kill');
      await generateKeyFiles({ path, comment: 'old' });
      return { priv: await readFile(path, 'utf8'), pub: await readFile(`${path}.pub`, 'utf8') };
    },
    args: ({ home }) => [BIN, 'keygen', '--file', join(home.sshDir, 'id_kill'), '--type', 'ed25519', '--no-passphrase', '--force', '--json'],
    async check({ home, state }, completed, why) {
      const s = await checkPair(join(home.sshDir, 'id_kill'), { priv: state.priv as string, pub: state.pub as string }, why);
      if (completed) expect(s).toBe('new');
      await checkFolder(home.sshDir, why);
    },
  },
  {
    name: 'setup-host writing ~/.ssh/config with a backup',
    steps: ['id_ed25519_github.com-work:after-pub-rename', 'config:after-temp-write', 'config.keydock-backup:after-temp-write', 'config:after-backup', 'config:after-rename'],
    randomRuns: 4,
    async setup(home, i) {
      const old = '# mine\nHost example\n  User me\n';
      const config = join(home.sshDir, 'config');
      // Every other run keeps the config in a dotfiles folder behind a symlink.
      if (i % 2 === 1) {
        await mkdir(join(home.dir, 'dotfiles'));
        await writeFile(join(home.dir, 'dotfiles', 'ssh_config'), old, { mode: 0o600 });
        await symlink('../dotfiles/ssh_config', config);
      } else {
        await writeFile(config, old, { mode: 0o600 });
      }
      return { old, linked: i % 2 === 1 ? '../dotfiles/ssh_config' : '' };
    },
    args: () => [BIN, 'setup-host', 'github', '--account', 'work', '--no-passphrase', '--json'],
    async check({ home, state }, completed, why) {
      const config = join(home.sshDir, 'config');
      if (state.linked) {
        expect((await lstat(config)).isSymbolicLink(), `${why}: the config symlink was replaced`).toBe(true);
        expect(await readlink(config)).toBe(state.linked);
        await checkFolder(join(home.dir, 'dotfiles'), why);
      }
      const text = await readFile(config, 'utf8');
      const pair = await checkPair(join(home.sshDir, 'id_ed25519_github.com-work'), null, why);
      const backup = await readOrNull(`${config}.keydock-backup`);
      if (backup !== null) expect(backup, `${why}: config backup`).toBe(state.old);
      if (text === state.old) {
        expect(completed, `${why}: finished but the config is unchanged`).toBe(false);
      } else {
        // The whole new block and every old line, in order.
        expect(text).toContain('Host github.com-work\n  HostName github.com\n  User git\n');
        expect(text).toContain('  IdentitiesOnly yes\n');
        // Taking KeyDock's block out again gives the old file byte for byte.
        expect(text.replace(/# Added by KeyDock[^\n]*\nHost github\.com-work\n(?: {2}[^\n]*\n)+\n/, ''), `${why}: old lines changed`).toBe(state.old);
        expect(parseConfigBlocks(text).some((b) => b.kind === 'host' && b.patterns.includes('github.com-work'))).toBe(true);
        expect(pair, `${why}: config names a key that is not there`).toBe('new');
        expect(backup, `${why}: config changed without its backup`).toBe(state.old);
      }
      if (completed) expect(pair).toBe('new');
      await checkFolder(home.sshDir, why);
    },
  },
  {
    name: 'known_hosts update (addKnownHost in a child process)',
    steps: ['after-temp-write', 'known_hosts.old:after-temp-write', 'after-backup', 'after-rename'],
    randomRuns: 4,
    async setup(home, i) {
      const old = 'one.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDW5u6JDsLJ5cMJk0jvsgEOCSWmMt4Hvqcj6/DJZ8Bu8\n|1|c2FsdA==|aG1hYw== ssh-rsa AAAAB3NzaC1yc2E=\n';
      const file = join(home.sshDir, 'known_hosts');
      if (i % 2 === 1) {
        await mkdir(join(home.dir, 'dotfiles'));
        await writeFile(join(home.dir, 'dotfiles', 'known_hosts'), old, { mode: 0o644 });
        await symlink(join(home.dir, 'dotfiles', 'known_hosts'), file);
      } else {
        await writeFile(file, old, { mode: 0o644 });
      }
      return { old, linked: i % 2 === 1 ? join(home.dir, 'dotfiles', 'known_hosts') : '' };
    },
    args: ({ home }) => [KNOWN_HOSTS_BUNDLE, join(home.sshDir, 'known_hosts'), 'New.Example', HOST_KEY.toString('base64')],
    async check({ home, state }, completed, why) {
      const file = join(home.sshDir, 'known_hosts');
      if (state.linked) {
        expect((await lstat(file)).isSymbolicLink(), `${why}: the known_hosts symlink was replaced`).toBe(true);
        await checkFolder(join(home.dir, 'dotfiles'), why);
      }
      const text = await readFile(file, 'utf8');
      const added = `${state.old}new.example ssh-ed25519 ${HOST_KEY.toString('base64')}\n`;
      expect([state.old, added], `${why}: known_hosts is neither old nor new`).toContain(text);
      if (completed) expect(text).toBe(added);
      const backup = await readOrNull(`${file}.old`);
      if (backup !== null) expect(backup, `${why}: known_hosts.old`).toBe(state.old);
      if (text === added) expect(backup).toBe(state.old);
      expect((await stat(file)).mode & 0o777).toBe(0o644);
      await checkFolder(home.sshDir, why);
    },
  },
];

describe('killed writers leave whole files, matching key pairs and non-empty backups', () => {
  // The CLI as `npm install` bundles it for bin/keydock.cjs (scripts/build-cli.mjs), built into a
  // private folder under .tmp/ so node_modules resolves: starting it takes a fraction of what
  // starting the TypeScript through tsx takes, and the loop runs about forty processes.
  beforeAll(async () => {
    await mkdir(join(REPO, '.tmp'), { recursive: true });
    bundleDir = await mkdtemp(join(REPO, '.tmp', 'kill-loop-'));
    BIN = await buildCli(bundleDir, { 'known-hosts-add': KNOWN_HOSTS_CHILD });
    KNOWN_HOSTS_BUNDLE = join(bundleDir, 'known-hosts-add.cjs');
  }, 60_000);
  afterAll(async () => {
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  });

  it(
    `SIGKILL at every write step and at random moments (seed ${SEED})`,
    async () => {
      const started = Date.now();
      const rand = mulberry32(SEED);
      const tally = { runs: 0, killedAtStep: 0, killedRandomly: 0, finished: 0 };

      const once = async (sc: Scenario, i: number, kill: { step?: string; afterMs?: number }): Promise<ChildResult> => {
        const home = await makeTmpHome('keydock-kill-');
        try {
          const run: Run = { home, state: await sc.setup(home, i) };
          const env = { ...home.env, ...(kill.step ? { KEYDOCK_TEST_KILL_AT: kill.step } : {}) };
          const r = await runChild(sc.args(run), env, kill.afterMs);
          if (process.env.KEYDOCK_TEST_VERBOSE) console.log(`${sc.name} #${i}: ${r.ms} ms, ${r.signal ?? r.code}`);
          const why = `${sc.name}, run ${i}, ${kill.step ? `killed at ${kill.step}` : kill.afterMs !== undefined ? `killed after ${Math.round(kill.afterMs)} ms (seed ${SEED})` : 'not killed'}`;
          const completed = r.code === 0;
          if (kill.step) expect(r.signal, `${why}: the step was never reached\n${r.stderr}${r.stdout}`).toBe('SIGKILL');
          else if (kill.afterMs === undefined) expect(r.code, `${why}\n${r.stderr}${r.stdout}`).toBe(0);
          else if (!completed) expect(r.signal, `${why}: failed instead of being killed\n${r.stderr}${r.stdout}`).toBe('SIGKILL');
          await sc.check(run, completed, why);
          tally.runs++;
          if (kill.step) tally.killedAtStep++;
          else if (r.signal === 'SIGKILL') tally.killedRandomly++;
          else tally.finished++;
          return r;
        } finally {
          await home.cleanup();
        }
      };

      // First every scenario unkilled (its time sets the random delays) and killed at each of its
      // steps, then random kills round-robin while the budget lasts; two processes at a time.
      const baselineMs = new Map<Scenario, number>();
      const jobs: Array<() => Promise<unknown>> = [];
      for (const sc of scenarios) {
        jobs.push(async () => baselineMs.set(sc, (await once(sc, 0, {})).ms));
        sc.steps.forEach((step, k) => jobs.push(() => once(sc, k + 1, { step })));
      }
      const randomJobs: Array<() => Promise<unknown>> = [];
      const most = Math.max(...scenarios.map((sc) => sc.randomRuns));
      for (let n = 0; n < most; n++) {
        for (const sc of scenarios) {
          if (n >= sc.randomRuns) continue;
          const delay = 0.4 + 0.7 * rand();
          // The first random kill of each scenario always runs; the rest while the budget lasts.
          randomJobs.push(() => (n === 0 || Date.now() - started < RANDOM_BUDGET_MS ? once(sc, sc.steps.length + 1 + n, { afterMs: (baselineMs.get(sc) as number) * delay }) : Promise.resolve()));
        }
      }
      const drain = async (queue: Array<() => Promise<unknown>>) => {
        for (let job = queue.shift(); job; job = queue.shift()) await job();
      };
      await Promise.all([drain(jobs), drain(jobs)]);
      await Promise.all([drain(randomJobs), drain(randomJobs)]);

      expect(tally.killedAtStep).toBe(scenarios.reduce((n, s) => n + s.steps.length, 0));
      console.log(`kill loop: ${tally.runs} runs in ${Math.round((Date.now() - started) / 1000)} s: ${tally.killedAtStep} killed at a step, ${tally.killedRandomly} killed at random, ${tally.finished} finished (seed ${SEED})`);
    },
    120_000,
  );
});
