/**
 * Turns what the tester saw into one diagnosis: the single most likely reason `git push`
 * over SSH fails, in plain words, with the fix (and, where KeyDock can do it, an action).
 * Order matters: a wrong user or an exhausted try limit hides every other cause, and an
 * unreachable agent explains an empty key list.
 */
import type { Diagnosis } from '../../shared/contract/connect';
import type { ListedIdentity } from '../agent/codec';
import type { AgentReachability } from '../agent/probe';
import { publicKeyLine } from '../keys/format';
import type { IdentityFileInfo } from '../keys/identity-file';
import type { GitHostPreset } from './git-hosts';
import type { OfferCandidate } from './identities';
import type { ResolvedHost } from '../openssh/ssh-config';
import type { Attempt } from './tester';

export interface AttemptFacts {
  kind: 'attempt';
  resolved: ResolvedHost;
  preset: GitHostPreset | undefined;
  providerEndpoint: boolean;
  attempt: Attempt;
  agentPath: string | null;
  /** The agent probe (null when no agent is configured), its keys, and why listing failed on a reachable agent. */
  agent: { probe: AgentReachability | null; keys: ListedIdentity[]; error: string | null };
  files: IdentityFileInfo[];
  candidates: OfferCandidate[];
  /** The key a follow-up probe found acceptable after "too many authentication failures". */
  probeFound: OfferCandidate | null;
  expectedUser: string | undefined;
  knownHostsName: string;
  repo: string | null;
}

export type DiagnoseFacts = { kind: 'dns'; resolved: ResolvedHost; preset: GitHostPreset | undefined; error: string } | AttemptFacts;

function where(r: ResolvedHost): string {
  return r.port === 22 ? r.hostname : `${r.hostname} port ${r.port}`;
}

function altFor(preset: GitHostPreset | undefined): { host: string; port: number } | undefined {
  return preset?.alternates.find((a) => a.port === 443);
}

/** Picks the diagnosis for a failed test (see the file comment for the order). */
export function diagnose(f: DiagnoseFacts): Diagnosis {
  const r = f.resolved;
  if (f.kind === 'dns') {
    return {
      code: 'dns-failure',
      message: `The name ${r.hostname} could not be looked up (${f.error}).`,
      fix: `Check the spelling${r.hostname !== r.alias ? ` (HostName in your SSH config for "${r.alias}")` : ''} and that this computer is online and can resolve names.`,
      action: null,
    };
  }
  const a = f.attempt;
  const alt = altFor(f.preset);
  const blockedPort22 = !!f.preset && r.port === 22 && !!alt;

  if (a.tcpError || (!a.serverSpoke && a.handshakeTimedOut)) {
    const code = a.tcpError ?? 'ETIMEDOUT';
    if (blockedPort22 && alt && f.preset && (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')) {
      return {
        code: 'port-blocked',
        message: `${f.preset.name} did not answer on port 22; this network probably blocks outgoing SSH.`,
        fix: `Use ${f.preset.name}'s SSH-over-HTTPS endpoint: in ~/.ssh/config add\n  Host ${r.alias}\n    HostName ${alt.host}\n    Port ${alt.port}\n    User ${f.preset.user}\nthen test again.`,
        action: null,
      };
    }
    if (code === 'ECONNREFUSED') {
      return {
        code: 'connection-refused',
        message: `Nothing accepts SSH connections at ${where(r)}: the connection was refused.`,
        fix: `Check the host and port (${r.alias !== r.hostname ? `your SSH config maps "${r.alias}" to ${where(r)}` : 'is the port right?'}) and that the SSH server is running.`,
        action: null,
      };
    }
    if (code === 'ETIMEDOUT') {
      return {
        code: 'timeout',
        message: a.tcpError
          ? `${where(r)} did not answer within the time limit.`
          : `${where(r)} accepted the connection but never answered like an SSH server.`,
        fix: 'Check that the host and port are right, and whether a firewall, VPN or proxy is in the way; then test again.',
        action: null,
      };
    }
    return {
      code: 'network-unreachable',
      message: `${where(r)} cannot be reached from this computer (${code}).`,
      fix: 'Check your network connection, VPN and the host name.',
      action: null,
    };
  }

  if (a.hostKeyStatus === 'revoked') {
    return {
      code: 'host-key-revoked',
      message: `The key ${where(r)} presented is marked @revoked in your known_hosts file. Do not connect.`,
      fix: 'Contact the server administrator; a revoked key means it must no longer be trusted.',
      action: null,
    };
  }
  if (a.hostKeyStatus === 'changed' && a.hostCheck?.status === 'changed') {
    const m = a.hostCheck.mismatches[0];
    const published = f.providerEndpoint && f.preset?.hostKeys.some((k) => a.hostKeyBlob && k.publicKey === a.hostKeyBlob.toString('base64'));
    return {
      code: 'host-key-changed',
      message: `${where(r)} presented a different host key than the one saved in ${m?.file} line ${m?.line}.${
        published ? ` The new key is one ${f.preset?.name} publishes, so the saved line is simply out of date.` : ' This happens when a server is reinstalled, but it can also mean someone is intercepting the connection.'
      }`,
      fix: published
        ? `Remove the outdated line ${m?.line} from ${m?.file} and trust the published key.`
        : `Only if you know the server's key really changed: remove line ${m?.line} from ${m?.file} and trust the new key (check its fingerprint with the administrator first).`,
      action: { kind: 'remove-stale-host-key' },
    };
  }
  if (a.hostKeyStatus === 'new' && f.providerEndpoint && f.preset) {
    // The provider's own host showing a key it does not publish: never offer to trust it.
    return {
      code: 'host-key-unknown',
      message: `${where(r)} presented a host key that is NOT one of ${f.preset.name}'s published keys. Someone may be intercepting the connection.`,
      fix: `Do not trust it. Compare with ${f.preset.name}'s published fingerprints (${f.preset.hostKeys.map((k) => k.fingerprint).join(', ')}) and try again from another network.`,
      action: null,
    };
  }
  if (a.hostKeyStatus === 'new') {
    return {
      code: 'host-key-unknown',
      message: `${where(r)} is not in your known_hosts yet, so ssh would ask whether to trust it (and refuse in scripts).`,
      fix: `Compare the fingerprint shown with the one the server's administrator publishes, then trust it (it is saved to ${r.userKnownHostsFiles[0] ?? '~/.ssh/known_hosts'}).`,
      action: { kind: 'trust-host-key' },
    };
  }
  if (!a.hostKeyBlob) {
    return {
      code: 'handshake-failed',
      message: `The SSH handshake with ${where(r)} failed${a.disconnectMessage ? `: ${a.disconnectMessage}` : ''}.`,
      fix: 'The server and KeyDock could not agree on encryption; check that the server runs a current SSH version.',
      action: null,
    };
  }

  // Authentication failed from here on.
  if (a.methods && !a.methods.includes('publickey')) {
    return {
      code: 'publickey-not-allowed',
      message: `${where(r)} does not accept SSH keys for ${r.user} (it allows: ${a.methods.join(', ') || 'nothing'}).`,
      fix: 'Check the user name; if it is right, ask the administrator to enable public-key login.',
      action: null,
    };
  }
  if (f.expectedUser && r.user !== f.expectedUser && f.preset) {
    return {
      code: 'wrong-user',
      message: `You connect as "${r.user}", but ${f.preset.name} only accepts the user "${f.expectedUser}" for SSH; your account is found from the key.`,
      fix: `Use ${f.expectedUser}@${r.alias} (remote URLs look like ${f.expectedUser}@${r.alias}:OWNER/REPO.git)${r.sources.user ? `, and change "User ${r.user}" in ${r.sources.user.file} line ${r.sources.user.line}` : ''}.`,
      action: null,
    };
  }
  if (a.tooManyFailures) {
    const found = f.probeFound;
    return {
      code: 'too-many-keys',
      message: `The server stopped after ${a.offered.length} rejected keys ("Too many authentication failures")${
        found ? `; the key it accepts (${found.fingerprint}${found.comment ? `, ${found.comment}` : ''}) was never offered because it comes later.` : ' before every key was tried; none of the remaining keys was accepted either.'
      }`,
      fix: found
        ? `Tell ssh which key to use for ${r.alias}: in ~/.ssh/config add "IdentityFile ${found.path ?? '<that key>'}" and "IdentitiesOnly yes" to "Host ${r.alias}".`
        : `Add "IdentitiesOnly yes" and the IdentityFile of the key registered with ${where(r)} to "Host ${r.alias}" in ~/.ssh/config.`,
      action: found ? { kind: 'add-identities-only', keyPath: found.path ?? undefined, publicKey: publicKeyLine(found.blob, found.comment) } : null,
    };
  }

  const usableFileOffered = a.offered.some((c) => c.source === 'file' && c.privateKey);
  const locked = a.acceptableButLocked[0];
  const likelyKey = locked?.path ?? f.files.find((x) => x.exists && x.blob)?.path;
  const agentMissing = f.agentPath === null || (f.agent.probe !== null && !f.agent.probe.reachable);
  if (f.agentPath !== 'none' && agentMissing && (!usableFileOffered || locked)) {
    return {
      code: 'agent-unreachable',
      message:
        f.agentPath === null
          ? 'No SSH agent is available: SSH_AUTH_SOCK is not set, so ssh has no loaded keys to offer.'
          : `The SSH agent at ${f.agentPath} does not answer (${f.agent.probe && !f.agent.probe.reachable ? f.agent.probe.code : 'error'}).`,
      fix: `Start an agent (KeyDock's own agent, or "eval $(ssh-agent)"), make sure ssh uses it (SSH_AUTH_SOCK or IdentityAgent), then load ${likelyKey ? `your key ${likelyKey}` : 'your key'}.`,
      action: { kind: 'start-agent', ...(likelyKey ? { keyPath: likelyKey } : {}) },
    };
  }
  if (f.agent.probe?.reachable && f.agent.keys.length === 0 && (!usableFileOffered || locked)) {
    return {
      code: 'agent-empty',
      message: `Your SSH agent is running but holds no keys${locked ? `, and ${locked.path} is protected by a passphrase, so ssh cannot use it on its own` : ''}.`,
      fix: likelyKey ? `Load ${likelyKey} into the agent (KeyDock: Load key, or "ssh-add ${likelyKey}").` : 'Create or import a key, load it into the agent, and add its public key to your account.',
      action: likelyKey ? { kind: 'load-key', keyPath: likelyKey } : null,
    };
  }
  if (locked) {
    return {
      code: 'key-not-loaded',
      message: `The server accepts ${locked.path}, but that key is protected by a passphrase and is not loaded in your agent.`,
      fix: `Load ${locked.path} into the agent (KeyDock: Load key, or "ssh-add ${locked.path}").`,
      action: { kind: 'load-key', keyPath: locked.path ?? undefined },
    };
  }
  if (a.offered.length === 0) {
    return {
      code: 'no-keys',
      message: r.identitiesOnly
        ? `No key could be offered: IdentitiesOnly is on for ${r.alias} and none of its IdentityFile keys exists or is loaded.`
        : 'No key could be offered: the agent holds none and there are no key files in ~/.ssh.',
      fix: 'Create or import a key, load it into the agent, and add its public key to your account.',
      action: null,
    };
  }
  const first = a.offered[0] as OfferCandidate;
  const url = f.preset ? (f.repo ? f.preset.deployKeyUrl.replace('{repo}', f.repo) : f.preset.addKeyUrl) : undefined;
  return {
    code: 'key-not-registered',
    message: `${where(r)} rejected all ${a.offered.length} key(s) offered for "${r.user}": none of them is registered${f.preset ? ` with your ${f.preset.name} account` : ' in the server\'s authorized_keys'}.`,
    fix: f.preset
      ? `Add your public key (${first.fingerprint}${first.comment ? `, ${first.comment}` : ''}) at ${url}${f.repo ? ' as a deploy key' : ''}, then test again.`
      : `Ask the administrator to add your public key (${first.fingerprint}) to ~${r.user}/.ssh/authorized_keys on ${r.hostname}, or use "ssh-copy-id".`,
    action: { kind: 'copy-public-key', publicKey: publicKeyLine(first.blob, first.comment), ...(url ? { url } : {}), ...(first.path ? { keyPath: first.path } : {}) },
  };
}
