/**
 * The plan of a key rotation: every place the old key is used, found before anything changes.
 * - IdentityFile lines in ~/.ssh/config and its Includes (Host aliases made by
 *   `keydock setup-host` included);
 * - servers: the hosts of those config blocks, plus `--server user@host[:port]`;
 *   GitHub / GitLab / Bitbucket hosts among them are handled through the provider's page;
 * - agents holding the key, a passphrase remembered in the keychain;
 * - Git's `user.signingkey` (and allowed-signers entries for the key).
 * - hosts KeyDock's records say the key opened (host pairings: its agent's bound sessions and
 *   successful connection tests), named from known_hosts; hosts the plan does not cover
 *   otherwise are named with a hint. Without such records the plan says so, and the servers
 *   come from the config blocks that name the key.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { RotationPlan } from '../../shared/contract/lifecycle';
import type { Runtime } from '../config/runtime';
import type { AgentManager } from '../agent/manager';
import { parseTarget, presetForHost } from '../connect/target';
import { inspectKeyFileHere } from '../keys/inspect';
import type { RememberedKeys } from '../keys/remembered-keys';
import { listHostPairings, pairingsFiles, type HostPairing } from '../agent/host-pairings';
import { candidateNamesFromSshConfig, defaultKnownHostsFiles, displayHostName, namesForHostFingerprint } from '../openssh/host-names';
import { expandTilde, resolveSshConfig } from '../openssh/ssh-config';
import { readUserFileIfExists } from '../util/read-file';
import { KeyDockError } from '../util/errors';
import { signerEntries } from './allowed-signers';
import { keyRefOf } from './authorized-keys';
import { concreteHosts, describeBlock, findConfigUsages, planFileEdits, styledPath } from './config-usage';
import { gitConfigGet, gitVersion } from './git';
import { literalSigningKey, parseSigningKeyValue } from './git-signing';

export type LifecycleRuntime = Runtime & { agents: AgentManager; remembered: RememberedKeys };

export type NewKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface PlanRequest {
  keyPath: string;
  type?: NewKeyType;
  servers?: string[];
  /** Servers to leave alone (a config alias or a --server value), e.g. one that is gone for good. */
  skipServers?: string[];
  /** Like ssh -F (tests, or a config kept elsewhere); default ~/.ssh/config. */
  configFile?: string;
  /** Remember the new key's passphrase in the keychain; default: when the old one was (the window asks). */
  rememberNew?: boolean;
  now?: Date;
}

const DEFAULT_NAMES = ['id_rsa', 'id_dsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'];
/** Health findings about the key itself (not its file) that call for a new type. */
const WEAK_TYPE_FINDINGS = new Set(['weak-dsa', 'weak-rsa', 'putty-p521-cve-2024-31497']);

function day(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The wire name of the successor's type. */
export function wireType(choice: { type: NewKeyType; bits?: number }): string {
  if (choice.type === 'ed25519') return 'ssh-ed25519';
  if (choice.type === 'rsa') return 'ssh-rsa';
  return `ecdsa-sha2-nistp${choice.bits ?? 256}`;
}

/** Which type the successor gets, and why. */
export function successorType(old: { type: string; bits: number; findings: string[] }, asked?: NewKeyType): { type: NewKeyType; bits?: number; reason: string } {
  if (asked) return { type: asked, ...(asked === 'rsa' ? { bits: Math.max(3072, old.type === 'ssh-rsa' ? old.bits : 3072) } : {}), reason: 'the type you asked for' };
  const weak = old.findings.filter((f) => WEAK_TYPE_FINDINGS.has(f));
  if (old.type === 'ssh-dss') return { type: 'ed25519', reason: 'DSA keys are refused by current OpenSSH' };
  if (old.type === 'ssh-rsa' && old.bits < 3072) return { type: 'ed25519', reason: `RSA with ${old.bits} bits is below today's 3072-bit minimum` };
  if (weak.length) return { type: 'ed25519', reason: `the old key is flagged (${weak.join(', ')})` };
  if (old.type === 'ssh-ed25519') return { type: 'ed25519', reason: 'same type as the old key' };
  if (old.type === 'ssh-rsa') return { type: 'rsa', bits: Math.min(old.bits, 16384), reason: 'same type as the old key' };
  if (old.type.startsWith('ecdsa-sha2-nistp')) {
    const bits = Number(old.type.slice('ecdsa-sha2-nistp'.length));
    return { type: 'ecdsa', bits: [256, 384, 521].includes(bits) ? bits : 256, reason: 'same type as the old key' };
  }
  return { type: 'ed25519', reason: `KeyDock cannot make a ${old.type} key (a hardware key needs its token); Ed25519 is the default` };
}

/** Where the successor goes: the new type's default name when that is free, else NAME-DATE (-2, -3 …). */
export function successorPath(oldPath: string, type: NewKeyType, now: Date): string {
  const dir = dirname(oldPath);
  const base = basename(oldPath);
  const free = (p: string) => !existsSync(p) && !existsSync(`${p}.pub`);
  const defaultName = `id_${type}`;
  if (DEFAULT_NAMES.includes(base) && base !== defaultName && free(join(dir, defaultName))) return join(dir, defaultName);
  const stem = base.replace(/^id_(rsa|dsa|ecdsa|ed25519)(_sk)?(?=$|[_.-])/, `id_${type}`);
  const date = day(now).replace(/-/g, '');
  for (let n = 1; ; n++) {
    const p = join(dir, `${stem}-${date}${n === 1 ? '' : `-${n}`}`);
    if (free(p)) return p;
  }
}

/** Works out the whole rotation without changing anything. */
export async function planRotation(rt: LifecycleRuntime, req: PlanRequest): Promise<RotationPlan> {
  const now = req.now ?? new Date();
  const keyPath = resolve(expandTilde(req.keyPath, rt.paths.home));
  if (keyPath.endsWith('.pub')) {
    throw new KeyDockError('private-key-needed', `${keyPath} is a public key; rotation needs the private key file.`, `Give ${keyPath.slice(0, -4)}.`, { exitCode: 2 });
  }
  if (!existsSync(keyPath)) throw new KeyDockError('file-not-found', `There is no key file ${keyPath}.`, 'Check the path; keydock inspect FILE describes a key file.', { exitCode: 2 });
  const info = await inspectKeyFileHere(keyPath);
  const publicPath = existsSync(`${keyPath}.pub`) ? `${keyPath}.pub` : null;
  const remembered = await rt.remembered.isRemembered(info.fingerprint);
  const findings = info.findings.map((f) => f.code);
  const choice = successorType({ type: info.type, bits: info.bits, findings }, req.type);
  const newPath = successorPath(keyPath, choice.type, now);
  const notes: string[] = [];

  // ssh_config
  const configFile = req.configFile ?? join(rt.paths.sshDir, 'config');
  const oldPaths = { privatePath: keyPath, publicPath: `${keyPath}.pub` };
  const newPaths = { privatePath: newPath, publicPath: `${newPath}.pub` };
  const found = await findConfigUsages(configFile, oldPaths, { home: rt.paths.home, env: rt.env });
  const configLines: RotationPlan['configLines'] = [];
  for (const u of found.usages) {
    const planned = planFileEdits(`${u.text}\n`, u.file, oldPaths, newPaths, { home: rt.paths.home, env: rt.env });
    configLines.push({ file: u.file, line: u.line, text: u.text, replacement: planned.edits[0]?.after ?? u.text, block: describeBlock(u.block), hosts: concreteHosts(u.block) });
    if (u.block.kind !== 'host' || concreteHosts(u.block).length < u.block.patterns.length) {
      notes.push(`${u.file}:${u.line} names the key for ${describeBlock(u.block)}: KeyDock cannot list the servers that reaches; name them with --server user@host.`);
    }
  }
  if (DEFAULT_NAMES.includes(basename(keyPath))) {
    notes.push(`${basename(keyPath)} is one of ssh's default key names: ssh may offer it to hosts no config line names. Name such servers with --server.`);
  }
  if (existsSync(`${keyPath}-cert.pub`)) notes.push(`A certificate sits beside the old key (${keyPath}-cert.pub): ask your certificate authority to sign the new key.`);

  // Servers and Git hosts
  const servers: RotationPlan['servers'] = [];
  const gitHosts: RotationPlan['gitHosts'] = [];
  const seen = new Set<string>();
  const skip = new Set(req.skipServers ?? []);
  /** host or host:port of every server and Git host the plan reaches (to tell which recorded hosts it covers). */
  const reached: string[] = [];
  const reach = (hostname: string, port: number) => reached.push(port === 22 ? hostname : `${hostname}:${port}`);
  const addServer = (s: Omit<RotationPlan['servers'][number], 'id'>) => {
    const k = `${s.user}@${s.hostname}:${s.port}`;
    if (seen.has(k)) return;
    if (skip.has(s.label) || skip.has(s.alias)) {
      notes.push(`${s.label} is left out (--skip-server): add the new key there yourself, and remove the old one.`);
      seen.add(k);
      return;
    }
    seen.add(k);
    servers.push({ id: `server${servers.length + 1}`, ...s });
  };
  const resolveOpts = { home: rt.paths.home, env: rt.env, platform: rt.platform, ...(req.configFile ? { configFile: req.configFile } : {}) };
  for (const spec of req.servers ?? []) {
    const t = parseTarget(spec);
    if (t.preset || t.repo) throw new KeyDockError('invalid-server', `"${spec}" is a Git host, not a server KeyDock can log in to.`, 'Name the Git host in your SSH config (KeyDock finds it there), or leave it out.', { exitCode: 2 });
    const r = await resolveSshConfig(t.host, { ...resolveOpts, ...(t.user ? { user: t.user } : {}), ...(t.port ? { port: t.port } : {}) });
    if (presetForHost(t.host, r.hostname)) throw new KeyDockError('invalid-server', `${spec} is ${r.hostname}, a Git host: add keys there on its web page.`, 'Leave it out: KeyDock finds Git hosts in your SSH config.', { exitCode: 2 });
    addServer({ label: spec, alias: t.host, user: r.user, hostname: r.hostname, port: r.port, source: 'option' });
    reach(r.hostname, r.port);
  }
  const aliases = [...new Set(found.usages.flatMap((u) => concreteHosts(u.block)))];
  for (const alias of aliases) {
    let r;
    try {
      r = await resolveSshConfig(alias, resolveOpts);
    } catch (e) {
      notes.push(`Host ${alias} could not be resolved (${e instanceof Error ? e.message : String(e)}); it is left out.`);
      continue;
    }
    const usesKey = r.identityFiles.some((f) => resolve(f) === keyPath || resolve(f) === `${keyPath}.pub`);
    if (!usesKey) {
      notes.push(`Host ${alias} names the key, but an earlier line wins for it (ssh would not use it there); it is left out.`);
      continue;
    }
    const preset = presetForHost(alias, r.hostname);
    reach(r.hostname, r.port);
    if (preset) {
      gitHosts.push({ id: `githost${gitHosts.length + 1}`, alias, provider: preset.id, name: preset.name, hostname: r.hostname, addKeyUrl: preset.addKeyUrl, deployKeyUrl: preset.deployKeyUrl });
      continue;
    }
    if (r.proxyJump || r.proxyCommand) notes.push(`Host ${alias} is reached through ${r.proxyJump ? `ProxyJump ${r.proxyJump}` : 'a ProxyCommand'}: KeyDock passes that on, but reads no config for the jump host itself.`);
    addServer({ label: alias, alias, user: r.user, hostname: r.hostname, port: r.port, source: 'config' });
  }

  const knownHosts = await hostsFromRecords(rt, info.fingerprint, found.files, reached);
  for (const h of knownHosts.hosts.filter((x) => !x.covered)) {
    notes.push(`KeyDock's records show the old key opened ${h.names.length ? h.names.join(', ') : `a host with key ${h.hostKey}`} (last ${h.lastUsed.slice(0, 10)}); if that is a server, add --server USER@${h.names[0] ?? 'HOST'} so it gets the new key.`);
  }

  // Agents
  const agents: RotationPlan['agents'] = [];
  try {
    const list = await rt.agents.list();
    if (list.identities.some((i) => i.fingerprint === info.fingerprint)) agents.push({ agentId: list.agent.id, label: list.agent.label });
  } catch {
    notes.push('No SSH agent answered, so no agent needs the key swapped.');
  }

  // Git signing
  let gitSigning: RotationPlan['gitSigning'] = null;
  const version = await gitVersion(rt.env);
  if (version) {
    const current = await gitConfigGet(rt.env, { kind: 'global' }, 'user.signingkey').catch(() => null);
    if (current) {
      const oldRef = keyRefOf(info.publicKey);
      let replacement: string | null = null;
      try {
        const parsed = parseSigningKeyValue(current, rt.paths.home);
        if (parsed.kind === 'literal' && parsed.key.blob === oldRef.blob) replacement = `${literalSigningKey({ type: wireType(choice), blob: '' }, version).trimEnd()} … (the new key)`;
        if (parsed.kind === 'file' && (parsed.path === keyPath || parsed.path === `${keyPath}.pub`)) {
          const target = parsed.path.endsWith('.pub') ? `${newPath}.pub` : newPath;
          replacement = styledPath(current.trim(), target, rt.paths.home);
        }
      } catch {
        // Not a key KeyDock can read: not this one.
      }
      if (replacement) {
        const signersRaw = await gitConfigGet(rt.env, { kind: 'global' }, 'gpg.ssh.allowedSignersFile').catch(() => null);
        const signers = signersRaw ? resolve(expandTilde(signersRaw, rt.paths.home)) : null;
        const entries = signers ? await signerEntries(signers, oldRef).catch(() => []) : [];
        gitSigning = { current, replacement, allowedSignersFile: signers, allowedSignerEntries: entries.length };
      }
    }
  } else notes.push('Git is not installed, so no Git signing key to update.');

  const steps: RotationPlan['steps'] = [{ id: 'generate', title: `Make the new ${choice.type} key ${newPath}` }];
  if (req.rememberNew ?? remembered) steps.push({ id: 'remember', title: remembered ? 'Remember its passphrase in the keychain (the old one was)' : 'Remember its passphrase in the keychain' });
  for (const s of servers) {
    steps.push({ id: `${s.id}-add`, title: `${s.label}: add the new key to authorized_keys (logged in with the old key)` });
    steps.push({ id: `${s.id}-prove`, title: `${s.label}: log in with the new key` });
    steps.push({ id: `${s.id}-remove-old`, title: `${s.label}: remove the old key's line` });
  }
  for (const g of gitHosts) {
    steps.push({ id: `${g.id}-wait`, title: `${g.name} (${g.alias}): you add the new key on the ${g.name} page` });
    steps.push({ id: `${g.id}-test`, title: `${g.name} (${g.alias}): test the connection with the new key` });
  }
  if (configLines.length) steps.push({ id: 'config', title: `Point ${configLines.length} IdentityFile line(s) at the new key (backup kept)` });
  if (agents.length) steps.push({ id: 'agents', title: `Swap the keys in ${agents.map((a) => a.label).join(', ')}` });
  if (gitSigning) steps.push({ id: 'git-signing', title: 'Sign Git commits with the new key' });
  steps.push({ id: 'archive', title: `Move the old key pair to ${join(rt.paths.sshDir, 'keydock-archive', day(now))}` });
  if (remembered) steps.push({ id: 'forget-old', title: "Forget the old key's remembered passphrase" });
  steps.push({ id: 'report', title: 'Write the report' });

  return {
    oldKey: {
      path: keyPath,
      publicPath,
      fingerprint: info.fingerprint,
      type: info.type,
      bits: info.bits,
      comment: info.comment,
      publicKey: info.publicKey,
      encrypted: info.encrypted,
      remembered,
      findings,
    },
    newKey: { path: newPath, publicPath: `${newPath}.pub`, type: choice.type, ...(choice.bits ? { bits: choice.bits } : {}), comment: info.comment || `rotated ${day(now)}`, reason: choice.reason },
    configLines,
    servers,
    gitHosts,
    agents,
    remembered,
    gitSigning,
    knownHosts,
    archiveDir: join(rt.paths.sshDir, 'keydock-archive', day(now)),
    notes,
    steps,
  };
}

/**
 * The hosts KeyDock's records say the key opened (host pairings of `keydock serve` and of the
 * app / connection tests), with their known_hosts names; COVERED says the plan already reaches
 * them (`host` or `host:port` in SEEN).
 */
async function hostsFromRecords(rt: Runtime, fingerprint: string, configFiles: string[], seen: string[]): Promise<RotationPlan['knownHosts']> {
  const files = pairingsFiles(rt.env, rt.paths);
  const pairings: HostPairing[] = [];
  for (const f of [files.serve, files.app]) {
    const listed = await listHostPairings(f).catch(() => ({ pairings: [] as HostPairing[] }));
    pairings.push(...listed.pairings.filter((p) => p.key === fingerprint));
  }
  if (pairings.length === 0) {
    return {
      source: 'config',
      note: "KeyDock has no record of this key opening a host (its agent's bound sessions, connection tests), so the servers come from the SSH config blocks that name the key and from --server.",
      hosts: [],
    };
  }
  const candidates: string[] = [];
  for (const f of configFiles) {
    const text = await readUserFileIfExists(f, { maxBytes: 4 * 1024 * 1024 }).catch(() => null);
    if (text) candidates.push(...candidateNamesFromSshConfig(text.toString('utf8')));
  }
  const byHost = new Map<string, number>();
  for (const p of pairings) byHost.set(p.host, Math.max(byHost.get(p.host) ?? 0, p.lastUsed));
  const known = new Set(seen.map((s) => s.toLowerCase()));
  const hosts: RotationPlan['knownHosts']['hosts'] = [];
  for (const [hostKey, lastUsed] of [...byHost].sort((a, b) => b[1] - a[1])) {
    const names = (await namesForHostFingerprint(hostKey, defaultKnownHostsFiles(rt.paths.sshDir), candidates).catch(() => [] as string[])).map(displayHostName);
    hosts.push({ hostKey, names, lastUsed: new Date(lastUsed).toISOString(), covered: names.some((n) => known.has(n.toLowerCase())) });
  }
  return {
    source: 'test-history',
    note: `KeyDock's records (its agent's bound sessions and successful connection tests) show this key opened ${hosts.length} host(s); the plan covers ${hosts.filter((h) => h.covered).length} of them.`,
    hosts,
  };
}
