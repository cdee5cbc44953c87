// The read-only commands: `list`, `agents`, `which` and `fingerprint`. Both ways into the CLI run
// these bodies: commander's actions (agent.ts, which.ts, keys.ts) and the fast path (../fast.ts),
// which starts them without commander. They run on a Runtime alone (no keychain, no agent
// services, no settings schema unless a settings file exists), and load their services when they
// run (docs/architecture.md §4).
import { resolve } from 'node:path';
import type { AgentInfo, Identity } from '../../../shared/models';
import { KeyDockError } from '../../util/errors';
import { keyPassphraseProvider } from '../io';
import { oneLine, table } from '../output';
import type { CommandEnv, CommandOutput } from '../env';

function identityRows(ids: Identity[], locked: boolean | null | undefined): string {
  // A locked agent lists nothing, which is not the same as holding nothing.
  if (locked) return 'The agent is locked: it shows and signs nothing until `keydock unlock` (or `ssh-add -X`).';
  if (ids.length === 0) return 'The agent holds no keys.';
  return table(
    ['TYPE', 'BITS', 'FINGERPRINT', 'COMMENT'],
    // A key on a PKCS#11 token (its comment is the provider path) reads as such (docs/hardware-keys.md).
    ids.map((i) => [i.type, String(i.bits), i.fingerprint, i.smartcard ? `smartcard (${i.smartcard.provider})` : i.comment]),
  );
}

/** `agents`' STATUS column: whether it answers, and whether it is locked when that can be told. */
function agentStatus(a: AgentInfo): string {
  if (!a.reachable) return `unreachable: ${a.reason ?? ''}`;
  return a.locked ? 'locked' : 'running';
}

/** `keydock list [--agent PATH]`. */
export async function listCommand(env: CommandEnv, out: CommandOutput, opts: { agent?: string }): Promise<void> {
  const { listAgentKeys } = await import('../../agent/manager');
  const list = await listAgentKeys(env.runtime(), opts.agent);
  out.success(list, () => `Agent: ${list.agent.path}\n${identityRows(list.identities, list.agent.locked)}`);
}

/** `keydock agents`. */
export async function agentsCommand(env: CommandEnv, out: CommandOutput): Promise<void> {
  const { discoverAgents } = await import('../../agent/discovery');
  const agents = await discoverAgents(env.runtime());
  out.success({ agents }, () =>
    agents.length === 0
      ? 'No SSH agent found. Start one with `eval "$(ssh-agent)"` or `keydock serve`.'
      : table(
          ['AGENT', 'PATH', 'STATUS', 'KEYS', 'USED BY SSH'],
          agents.map((a) => [a.label, a.path, agentStatus(a), a.keyCount === null ? '-' : String(a.keyCount), a.usedBySsh ? 'yes' : '']),
        ),
  );
}

/** `keydock which DESTINATION [-F FILE]`. */
export async function whichCommand(env: CommandEnv, out: CommandOutput, destination: string, opts: { config?: string }): Promise<void> {
  const { whichHost, renderWhich } = await import('../../connect/which');
  const report = await whichHost(env.runtime(), destination, opts.config ? { configFile: opts.config } : {});
  out.success({ ...report }, () => renderWhich(report));
}

/** `keydock fingerprint FILE [--md5] [--passphrase-stdin]`. */
export async function fingerprintCommand(env: CommandEnv, out: CommandOutput, file: string, opts: { md5?: boolean; passphraseStdin?: boolean }): Promise<void> {
  const [{ readKeyFile, openKeyData }, { describePublicBlob, fingerprintMd5, fingerprintSha256, parsePublicKeyLine }, { sshKeygenTypeName }] = await Promise.all([
    import('../../keys/load'),
    import('../../keys/format'),
    import('../../../shared/key-types'),
  ]);
  const path = resolve(file);
  const data = await readKeyFile(path);
  let blob: Buffer | null = null;
  let comment = '';
  try {
    const p = parsePublicKeyLine(data.toString('utf8'));
    blob = p.blob;
    comment = p.comment;
  } catch {
    const h = openKeyData(data, path).header;
    if (h.publicBlob && h.comment !== null) {
      blob = h.publicBlob;
      comment = h.comment;
    } else {
      // On this thread, not in the inspection worker: without a passphrase no KDF runs (only an
      // unencrypted key is read in full), and with one the prompt is here anyway. The worker keeps
      // slow work off the app's thread; a CLI run has nothing else to keep responsive.
      const { inspectKeyFileHere } = await import('../../keys/inspect');
      const needsPassphrase = h.encrypted && h.publicBlob === null;
      const info = await inspectKeyFileHere(path, { passphrase: needsPassphrase ? keyPassphraseProvider(await env.context(), env.io, !!opts.passphraseStdin) : null });
      if (info.publicKey) {
        const p = parsePublicKeyLine(info.publicKey);
        blob = p.blob;
        comment = info.comment;
      } else if (h.publicBlob) blob = h.publicBlob;
    }
  }
  if (!blob) throw new KeyDockError('key-fingerprint-unknown', `Could not read the public key of ${path}.`, 'Put its .pub file beside it, or pass --passphrase-stdin.');
  const d = describePublicBlob(blob);
  const fingerprint = opts.md5 ? fingerprintMd5(blob) : fingerprintSha256(blob);
  out.success({ fingerprint, bits: d.bits, type: d.type, comment }, () => `${d.bits} ${fingerprint} ${oneLine(comment) || 'no comment'} (${sshKeygenTypeName(d.type)})`);
}
