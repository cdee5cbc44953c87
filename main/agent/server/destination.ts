import { WireReader } from '../../keys/wire';
import type { DestinationConstraint, DestinationHop, StoredIdentity } from './keystore';
import { matchPattern } from './pattern';
import { hostCertificateProblem, parsePublicKey, type PublicKeyInfo } from './public-key';

/** One successful `session-bind@openssh.com` on a connection (hop 0 = the host the local ssh reached). */
export interface SessionBinding {
  hostKey: Buffer;
  hostKeyInfo: PublicKeyInfo;
  sessionId: Buffer;
  forwarded: boolean;
}

/** What a connection has told us about where it leads. */
export interface ConnectionBindings {
  bindings: SessionBinding[];
  /** Set by any session-bind, even a failed one (OpenSSH's session_bind_attempted). */
  bindAttempted: boolean;
}

export type Permission = { ok: true; forwardHost: string | null; lastHost: string | null } | { ok: false; reason: string };

const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));

/** Does a bound host key match a hop's key list (plain key equal, or a host certificate signed by a listed CA for the hop's hostname)? */
function matchKeyHop(key: { hostKey: Buffer; hostKeyInfo: PublicKeyInfo }, hop: DestinationHop): boolean {
  for (const spec of hop.keys) {
    if (spec.isCa) {
      if (!key.hostKeyInfo.cert || !key.hostKeyInfo.cert.signatureKey.equals(spec.blob)) continue;
      if (hostCertificateProblem(key.hostKeyInfo, hop.hostname, nowSeconds()) !== null) continue;
      return true;
    }
    if (key.hostKey.equals(spec.blob)) return true;
  }
  return false;
}

/** permitted_by_dest_constraints(): some constraint allows from → to (for `user` when given); returns its to.hostname. */
function permittedByConstraints(
  constraints: DestinationConstraint[],
  from: SessionBinding | null,
  to: SessionBinding | null,
  user: string | null,
): { hostname: string | null } | null {
  for (const c of constraints) {
    if (from === null) {
      if (c.from.hostname !== null || c.from.keys.length !== 0) continue;
    } else if (!matchKeyHop(from, c.from)) continue;
    if (to !== null && !matchKeyHop(to, c.to)) continue;
    if (c.to.user !== null && user !== null && !matchPattern(user, c.to.user)) continue;
    return { hostname: c.to.hostname };
  }
  return null;
}

/**
 * identity_permitted() from OpenSSH's ssh-agent.c: may this connection see/use this key?
 * `user` is given only for signatures (then the last hop must be the authenticating one).
 */
export function identityPermitted(id: StoredIdentity, conn: ConnectionBindings, user: string | null): Permission {
  if (id.destinations.length === 0) return { ok: true, forwardHost: null, lastHost: null };
  const n = conn.bindings.length;
  if (conn.bindAttempted && n === 0) return { ok: false, reason: 'a session-bind on this connection failed' };
  if (n === 0) return { ok: true, forwardHost: null, lastHost: null };
  let forwardHost: string | null = null;
  let lastHost: string | null = null;
  let from: SessionBinding | null = null;
  for (let i = 0; i < n; i++) {
    const b = conn.bindings[i] as SessionBinding;
    const last = i === n - 1;
    if (last) {
      if (b.forwarded && user !== null) return { ok: false, reason: 'signing requested on a forwarding hop' };
    } else if (!b.forwarded) {
      return { ok: false, reason: 'forwarding through a connection bound for authentication' };
    }
    const match = permittedByConstraints(id.destinations, from, b, last ? user : null);
    if (!match) return { ok: false, reason: `the key's destination constraints do not allow hop ${i + 1}` };
    if (last) lastHost = match.hostname;
    else if (i === 0) forwardHost = match.hostname;
    from = b;
  }
  const lastBinding = conn.bindings[n - 1] as SessionBinding;
  // A key allowed *to* a host but not beyond it stays hidden from that host's forwarded agent.
  if (lastBinding.forwarded && user === null && !permittedByConstraints(id.destinations, lastBinding, null, null)) {
    return { ok: false, reason: 'the key may be used at the forwarding host but not beyond it' };
  }
  return { ok: true, forwardHost, lastHost };
}

/** What a signature request for a destination-constrained key must sign: an SSH userauth request (docs/agent-protocol.md §1.7). */
export interface UserauthRequest {
  sessionId: Buffer;
  user: string;
  /** Present for `publickey-hostbound-v00@openssh.com`. */
  hostKey: Buffer | null;
}

function keyFamily(name: string): string {
  const cert = name.endsWith('-cert-v01@openssh.com');
  const base = cert ? name.slice(0, -'-cert-v01@openssh.com'.length) : name;
  let fam = base;
  if (base === 'ssh-rsa' || base === 'rsa-sha2-256' || base === 'rsa-sha2-512') fam = 'rsa';
  else if (/^ecdsa-sha2-nistp(256|384|521)$/.test(base)) fam = 'ecdsa';
  return cert ? `${fam}-cert` : fam;
}

/** parse_userauth_request(): the data must be exactly a publickey userauth request naming this key; null otherwise. */
export function parseUserauthRequest(data: Buffer, keyBlob: Buffer): UserauthRequest | null {
  try {
    const r = new WireReader(data);
    const sessionId = r.string();
    if (sessionId.length === 0) return null;
    const msg = r.byte();
    const user = r.text();
    const service = r.text();
    const method = r.text();
    const sigFollows = r.byte();
    const alg = r.text();
    const key = r.string();
    parsePublicKey(key);
    if (msg !== 50 || sigFollows !== 1 || service !== 'ssh-connection' || !key.equals(keyBlob)) return null;
    if (keyFamily(alg) !== keyFamily(parsePublicKey(keyBlob).type)) return null;
    let hostKey: Buffer | null = null;
    if (method === 'publickey-hostbound-v00@openssh.com') {
      hostKey = r.string();
      parsePublicKey(hostKey);
    } else if (method !== 'publickey') return null;
    if (r.remaining !== 0) return null;
    return { sessionId, user, hostKey };
  } catch {
    return null;
  }
}

/** A destination constraint is only kept if it has the shape OpenSSH accepts (parse_dest_constraint). */
export function destinationConstraintProblem(c: DestinationConstraint): string | null {
  if (c.from.user !== null) return 'from.user is not allowed';
  if (c.from.hostname === null && c.from.keys.length !== 0) return 'from has keys but no hostname';
  if (c.from.hostname !== null && c.from.keys.length === 0) return 'from has a hostname but no keys';
  if (c.to.hostname === null) return 'to.hostname is required';
  if (c.to.keys.length === 0) return 'to needs at least one key';
  if (c.to.user !== null && Buffer.byteLength(c.to.user) > 256) return 'to.user is too long';
  for (const hop of [c.from, c.to]) {
    for (const k of hop.keys) {
      try {
        parsePublicKey(k.blob);
      } catch {
        return 'a host key in the constraint does not parse';
      }
    }
  }
  return null;
}

export const MAX_SESSION_ID = 128;
export const MAX_BINDINGS = 16;

/** process_ext_session_bind(): records a verified binding; returns why not when it refuses. */
export function recordSessionBind(
  conn: ConnectionBindings,
  bind: { hostKey: Buffer; sessionId: Buffer; signature: Buffer; forwarded: boolean },
  verifySignature: (key: Buffer, sig: Buffer, data: Buffer) => boolean,
): string | null {
  conn.bindAttempted = true;
  let hostKeyInfo: PublicKeyInfo;
  try {
    hostKeyInfo = parsePublicKey(bind.hostKey);
  } catch {
    return 'host key does not parse';
  }
  if (bind.sessionId.length > MAX_SESSION_ID) return 'session ID too long';
  if (!verifySignature(bind.hostKey, bind.signature, bind.sessionId)) return 'host signature over the session ID does not verify';
  for (const b of conn.bindings) {
    if (!b.forwarded) return 'connection already bound for authentication';
    const sidMatch = b.sessionId.equals(bind.sessionId);
    if (sidMatch && b.hostKey.equals(bind.hostKey)) return null;
    if (sidMatch) return 'session ID already bound to another host key';
  }
  if (conn.bindings.length >= MAX_BINDINGS) return 'too many session bindings';
  conn.bindings.push({ hostKey: Buffer.from(bind.hostKey), hostKeyInfo, sessionId: Buffer.from(bind.sessionId), forwarded: bind.forwarded });
  return null;
}
