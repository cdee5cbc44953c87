import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TmpHome {
  dir: string;
  sshDir: string;
  /** An environment for child processes and contexts whose HOME is this temp dir. */
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** A throwaway HOME with a 0700 ~/.ssh; nothing a test does touches the real user's files. */
export async function makeTmpHome(prefix = 'keydock-test-'): Promise<TmpHome> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const sshDir = join(dir, '.ssh');
  await mkdir(sshDir, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    USER: process.env.USER ?? 'root',
    LOGNAME: process.env.LOGNAME ?? process.env.USER ?? 'root',
    XDG_CONFIG_HOME: join(dir, '.config'),
    XDG_RUNTIME_DIR: join(dir, '.run'),
    XDG_DATA_HOME: join(dir, '.local', 'share'),
    XDG_CACHE_HOME: join(dir, '.cache'),
    LANG: 'C.UTF-8',
  };
  await mkdir(env.XDG_RUNTIME_DIR as string, { mode: 0o700 });
  return { dir, sshDir, env, // A write still landing as the services stop (a settings or pairings save answered after the
  // window closed) can race the removal with ENOTEMPTY: rm retries those.
  cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) };
}
