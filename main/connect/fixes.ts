/**
 * The tester's one-click fixes, each checked so that the next test passes:
 * trust a new host key, replace a stale one, pin a host to one key (IdentitiesOnly), load a
 * key. Host key fixes take the fingerprint the user saw and refuse if the server now shows
 * another one, so a click can never trust a key nobody looked at.
 */
import type { AgentManager } from '../agent/manager';
import { join } from 'node:path';
import type { Runtime } from '../config/runtime';
import { KeyDockError } from '../util/errors';
import { safeWriteFile } from '../util/safe-write';
import { fingerprintSha256, parsePublicKeyLine } from '../keys/format';
import { addKnownHost, blobKeyType, removeKnownHost } from '../openssh/known-hosts';
import { setHostIdentity } from '../openssh/ssh-config-edit';
import { parseTarget } from './target';
import { fetchHostKey } from './tester';

export type TesterFixKind = 'trust-host-key' | 'remove-stale-host-key' | 'add-identities-only' | 'load-key';

export interface TesterFixRequest {
  target: string;
  kind: TesterFixKind;
  keyPath?: string;
  /** Public key line for add-identities-only when the key exists only in the agent. */
  publicKey?: string;
  /** The host key fingerprint the user confirmed (host key fixes). */
  fingerprint?: string;
  /** load-key: the passphrase of an encrypted key, tried after the keychain. */
  passphrase?: string;
  /** Like ssh -F (tests). */
  configFile?: string;
  timeoutMs?: number;
}

export interface TesterFixResult {
  done: string;
}

function mismatch(seen: string, now: string): KeyDockError {
  return new KeyDockError(
    'host-key-mismatch',
    `The server now presents ${now}, not the key you confirmed (${seen}).`,
    'Run the test again and check the new fingerprint before trusting it.',
  );
}

/** Applies one of the tester's safe fixes (see the file comment). */
export async function applyTesterFix(ctx: Runtime & { agents: AgentManager }, req: TesterFixRequest): Promise<TesterFixResult> {
  switch (req.kind) {
    case 'trust-host-key': {
      const hk = await fetchHostKey(ctx, req.target, req);
      if (req.fingerprint && req.fingerprint !== hk.fingerprint) throw mismatch(req.fingerprint, hk.fingerprint);
      if (hk.check.status === 'known') return { done: `${hk.knownHostsName} is already trusted (${hk.fingerprint}).` };
      if (hk.check.status !== 'new') {
        throw new KeyDockError('host-key-not-new', `${hk.knownHostsName} already has a different saved key (${hk.check.status}).`, 'Use "remove stale host key" after checking the new fingerprint.');
      }
      const file = hk.resolved.userKnownHostsFiles[0];
      if (!file) throw new KeyDockError('no-known-hosts-file', 'Your SSH config sets UserKnownHostsFile none, so there is nowhere to save the key.', 'Remove that setting, then try again.');
      const line = await addKnownHost(file, hk.knownHostsName, hk.blob, { hash: hk.resolved.hashKnownHosts });
      return { done: `Trusted ${hk.fingerprint} for ${hk.knownHostsName} (${file} line ${line}).` };
    }
    case 'remove-stale-host-key': {
      const hk = await fetchHostKey(ctx, req.target, req);
      if (!req.fingerprint) {
        throw new KeyDockError('confirmation-needed', `Replacing the saved host key of ${hk.knownHostsName} needs the new fingerprint you checked.`, `Confirm ${hk.fingerprint} with the server's administrator, then pass it along.`, { exitCode: 2 });
      }
      if (req.fingerprint !== hk.fingerprint) throw mismatch(req.fingerprint, hk.fingerprint);
      if (hk.check.status === 'revoked') throw new KeyDockError('host-key-revoked', 'That host key is revoked in your known_hosts; KeyDock will not trust it.', 'Contact the server administrator.');
      const removed: string[] = [];
      for (const file of hk.resolved.userKnownHostsFiles) {
        const lines = await removeKnownHost(file, [hk.knownHostsName], hk.blob, { onlyType: blobKeyType(hk.blob) });
        if (lines.length) removed.push(`${file} line(s) ${lines.join(', ')} (previous file kept as ${file}.old)`);
      }
      const left = await fetchHostKey(ctx, req.target, req);
      if (left.check.status === 'changed') {
        const m = left.check.mismatches[0];
        throw new KeyDockError('known-hosts-not-writable', `The old key is still saved in ${m?.file} line ${m?.line}, which KeyDock does not edit.`, `Remove that line yourself (it may need administrator rights), then test again.`);
      }
      let trusted = '';
      if (left.check.status === 'new') {
        const file = hk.resolved.userKnownHostsFiles[0] as string;
        await addKnownHost(file, hk.knownHostsName, hk.blob, { hash: hk.resolved.hashKnownHosts });
        trusted = ` and trusted ${hk.fingerprint}`;
      }
      return { done: `Removed the stale key from ${removed.join('; ') || 'no file'}${trusted}.` };
    }
    case 'add-identities-only': {
      const target = parseTarget(req.target);
      let keyPath = req.keyPath;
      if (!keyPath && req.publicKey) {
        // The key lives only in the agent: ssh accepts a .pub as IdentityFile to pick it.
        const pub = parsePublicKeyLine(req.publicKey);
        const name = `keydock-${fingerprintSha256(pub.blob).slice(7, 19).replace(/[^A-Za-z0-9]/g, '_')}.pub`;
        keyPath = join(ctx.paths.sshDir, name);
        // Named by the key's own fingerprint, so an existing file there already holds this key.
        await safeWriteFile(keyPath, `${req.publicKey.trim()}\n`, { mode: 0o644, createParents: true });
      }
      if (!keyPath) throw new KeyDockError('key-path-needed', 'Which key should this host use?', 'Pass the key file (or its .pub).', { exitCode: 2 });
      const configFile = req.configFile ?? join(ctx.paths.sshDir, 'config');
      const r = await setHostIdentity(configFile, target.host, keyPath, { home: ctx.paths.home, env: ctx.env, platform: ctx.platform, ...(target.user ? { user: target.user } : {}) });
      return { done: `${target.host} now uses only ${keyPath} (${configFile} lines ${r.linesAdded.join(', ')}${r.backupFile ? `; previous file kept as ${r.backupFile}` : ''}).` };
    }
    case 'load-key': {
      if (!req.keyPath) throw new KeyDockError('key-path-needed', 'Which key should be loaded?', 'Pass the key file.', { exitCode: 2 });
      // The keychain may know the passphrase; typing one happens on the Keys page or with `keydock add`.
      let given = req.passphrase ?? null;
      const once = async () => {
        const p = given;
        given = null;
        return p;
      };
      const identity = await ctx.agents.addFile(req.keyPath, { passphrase: once }).catch((e: unknown) => {
        if (e instanceof KeyDockError && e.code === 'key-passphrase-needed') {
          throw new KeyDockError(e.code, `${req.keyPath} is protected by a passphrase KeyDock does not know.`, `Load it from the Keys page (or run "keydock add ${req.keyPath}") and type its passphrase, then test again.`);
        }
        throw e;
      });
      return { done: `Loaded ${identity.fingerprint} (${identity.comment}) into your agent.` };
    }
  }
}
