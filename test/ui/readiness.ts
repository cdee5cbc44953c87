import { createHandlers } from '../../main/ipc/handlers';
import type { AppContext } from '../../main/context';

// Some UI scenarios need services other helpers deliver (agent and keys handlers, the
// keyring test support). Until those exist the scenarios are skipped with this reason,
// instead of failing on "not built yet".

/** Null when every channel works; otherwise which one is still a placeholder. */
export async function missingChannels(ctx: AppContext, channels: string[]): Promise<string | null> {
  const handlers = createHandlers(ctx) as unknown as Record<string, ((req: unknown) => unknown) | undefined>;
  const missing: string[] = [];
  for (const c of channels) {
    const h = handlers[c];
    if (typeof h !== 'function') {
      missing.push(c);
      continue;
    }
    try {
      await h({});
    } catch (e) {
      if ((e as { code?: string }).code === 'not-implemented') missing.push(c);
    }
  }
  return missing.length ? `not built yet: ${missing.join(', ')}` : null;
}

export interface TestKeyring {
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** B's private gnome-keyring for tests (test/support/keyring.ts), or null while it does not exist. */
export async function startTestKeyring(): Promise<TestKeyring | null> {
  const path = '../support/keyring';
  try {
    const mod = (await import(path)) as { startKeyring?: () => Promise<TestKeyring> };
    return mod.startKeyring ? await mod.startKeyring() : null;
  } catch {
    return null;
  }
}
