// A private, unlocked GNOME Keyring (Secret Service) on a private D-Bus session bus, for tests
// of KeyDock's keychain use (docs/architecture.md §8.3): nothing touches the
// real user's keyring. @napi-rs/keyring reads DBUS_SESSION_BUS_ADDRESS from process.env at call
// time, so in-process tests use `withEnv()`; child processes get `env`.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { run, startProcess, stopProcess } from './processes';

export interface TestKeyring {
  /** Variables for child processes (and for process.env in-process): bus address and XDG dirs. */
  env: NodeJS.ProcessEnv;
  dir: string;
  /** Points this process at the private keyring until the returned function is called. */
  withEnv(): () => void;
  stop(): Promise<void>;
}

/** Starts dbus-daemon + gnome-keyring-daemon (--unlock, secrets only) in a temp dir and proves they work. */
export async function startKeyring(): Promise<TestKeyring> {
  const dir = await mkdtemp(join(tmpdir(), 'keydock-keyring-'));
  const home = join(dir, 'home');
  const runDir = join(dir, 'run');
  await mkdir(join(home, '.local/share/keyrings'), { recursive: true, mode: 0o700 });
  await mkdir(join(home, '.config'), { recursive: true });
  await mkdir(join(home, '.cache'), { recursive: true });
  await mkdir(runDir, { mode: 0o700 });
  await writeFile(join(home, '.local/share/keyrings/default'), 'login');
  await writeFile(
    join(dir, 'session.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><keep_umask/><listen>unix:dir=${runDir}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
`,
  );
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children.reverse()) await stopProcess(c);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const bus = startProcess('dbus-daemon', [`--config-file=${join(dir, 'session.conf')}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(bus);
    const address = await firstLine(bus, 'dbus-daemon');
    const env: NodeJS.ProcessEnv = {
      DBUS_SESSION_BUS_ADDRESS: address,
      XDG_DATA_HOME: join(home, '.local/share'),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_CACHE_HOME: join(home, '.cache'),
      XDG_RUNTIME_DIR: runDir,
    };
    const daemonEnv: NodeJS.ProcessEnv = { ...process.env, ...env, HOME: home };
    delete daemonEnv.GNOME_KEYRING_CONTROL;
    const gk = startProcess('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { stdio: ['pipe', 'pipe', 'pipe'], env: daemonEnv });
    children.push(gk);
    let log = '';
    gk.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    gk.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    gk.stdin?.end(`keydock-test-${randomBytes(8).toString('hex')}`);
    await waitForSecretService(address, gk, () => log);
    const probe = ['service', 'keydock-probe', 'account', 'probe'];
    const stored = await run('secret-tool', ['store', '--label=probe', ...probe], { env: daemonEnv, input: 'ok' });
    const looked = await run('secret-tool', ['lookup', ...probe], { env: daemonEnv });
    if (stored.code !== 0 || looked.stdout !== 'ok') throw new Error(`the test keyring does not store secrets: ${stored.stderr}${looked.stderr} ${log}`);
    await run('secret-tool', ['clear', ...probe], { env: daemonEnv });
    return {
      env,
      dir,
      withEnv() {
        const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
        Object.assign(process.env, env);
        return () => {
          for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
          }
        };
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function firstLine(child: ChildProcess, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        child.stdout?.off('data', onData);
        resolve(buf.slice(0, nl).trim());
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before printing its address`)));
    child.once('error', reject);
  });
}

/** Waits (condition, not a fixed sleep) until the daemon owns org.freedesktop.secrets on the bus. */
async function waitForSecretService(address: string, gk: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (gk.exitCode !== null) throw new Error(`gnome-keyring-daemon exited: ${log()}`);
    const r = await run('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
    });
    if (r.stdout.includes('boolean true')) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`gnome-keyring-daemon did not come up: ${log()}`);
}
