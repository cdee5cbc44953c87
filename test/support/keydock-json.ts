import { join } from 'node:path';
import { run } from './processes';

/** The repository's `keydock` launcher (bundle when fresh, else tsx). */
export const KEYDOCK_BIN = join(process.cwd(), 'bin', 'keydock.cjs');

export interface KeydockJsonResult {
  code: number;
  json: Record<string, unknown>;
  stderr: string;
}

/**
 * Runs `keydock ARGV --json` as its own process (so it reads stdin, a PIN or a passphrase, as a
 * user's shell would give it) and parses the one JSON object every outcome must print; a run that
 * prints anything else fails the test with its output.
 */
export async function keydockJson(argv: string[], options: { env: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number }): Promise<KeydockJsonResult> {
  const r = await run(process.execPath, [KEYDOCK_BIN, ...argv, '--json'], { env: options.env, input: options.stdin ?? '', timeoutMs: options.timeoutMs ?? 60_000 });
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`keydock ${argv.join(' ')}: not one JSON object (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code ?? -1, json, stderr: r.stderr };
}
