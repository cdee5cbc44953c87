import { ProtocolError, decodeRequest, encodeReply, type Constraint, type DestinationHop as WireHop, type Reply, type Request } from '../codec';
import type { DestinationConstraint, DestinationHop } from './keystore';
import { addedKey, unsupportedKeyType } from './private-fields';
import type { EngineConstraint, EngineReply, EngineRequest } from './requests';

// Maps between the one agent codec (main/agent/codec.ts) and the engine's own view of a
// request, so protocol details (message numbers, raw tails) stay out of the engine.

/** OpenSSH's limit (ssh-agent.c): more destination constraints than this and the add is refused. */
const MAX_DEST_CONSTRAINTS = 1024;

/** Decodes one request body; null for a malformed one (answered FAILURE, connection kept). */
export function decodeEngineRequest(body: Buffer): EngineRequest | null {
  let req: Request;
  try {
    req = decodeRequest(body);
  } catch (e) {
    if (e instanceof ProtocolError) return null;
    throw e;
  }
  return toEngineRequest(req);
}

function toEngineRequest(req: Request): EngineRequest | null {
  switch (req.type) {
    case 'request-identities':
      return { kind: 'list' };
    case 'sign':
      return { kind: 'sign', keyBlob: req.blob, data: req.data, flags: req.flags };
    case 'add':
      return toEngineAdd(req);
    case 'add-unsupported':
      return { kind: 'add', key: unsupportedKeyType(req.keyType), comment: '', constraints: [] };
    case 'remove':
      return { kind: 'remove', keyBlob: req.blob };
    case 'remove-all':
      return { kind: 'remove-all' };
    case 'lock':
      return { kind: 'lock', passphrase: req.passphrase };
    case 'unlock':
      return { kind: 'unlock', passphrase: req.passphrase };
    case 'add-smartcard': {
      const constraints: EngineConstraint[] = [];
      for (const c of req.constraints ?? []) {
        const mapped = toEngineConstraint(c);
        if (!mapped) return null;
        constraints.push(mapped);
      }
      return { kind: 'add-smartcard', provider: req.tokenId, pin: req.pin, constraints };
    }
    case 'remove-smartcard':
      return { kind: 'remove-smartcard', provider: req.tokenId };
    case 'query':
      return { kind: 'query' };
    case 'session-bind':
      return { kind: 'session-bind', hostKey: req.hostKey, sessionId: req.sessionId, signature: req.signature, forwarded: req.isForwarding };
    case 'extension':
      return { kind: 'extension', name: req.name, data: req.data };
    case 'legacy':
      // OpenSSH still answers 9 (remove all SSH-1 keys), which has no body; other SSH-1 requests are unknown.
      if (req.code !== 9) return { kind: 'unknown', msgType: req.code };
      return req.body.length === 0 ? { kind: 'remove-all-rsa1' } : null;
    case 'unknown':
      return { kind: 'unknown', msgType: req.code };
  }
}

function toEngineAdd(req: Extract<Request, { type: 'add' }>): EngineRequest | null {
  // A constrained add with no constraints is a plain add, as OpenSSH's agent reads it.
  const constraints: EngineConstraint[] = [];
  for (const c of req.constraints ?? []) {
    const mapped = toEngineConstraint(c);
    if (!mapped) return null;
    constraints.push(mapped);
  }
  return { kind: 'add', key: addedKey(req.keyType, req.material, req.certificate), comment: req.comment, constraints };
}

/** null = malformed (too many destinations); unknown kinds become `unsupported`, which refuses the whole add. */
function toEngineConstraint(c: Constraint): EngineConstraint | null {
  switch (c.kind) {
    case 'lifetime':
      return { kind: 'lifetime', seconds: c.seconds };
    case 'confirm':
      return { kind: 'confirm' };
    case 'restrict-destination':
      if (c.constraints.length > MAX_DEST_CONSTRAINTS) return null;
      return { kind: 'destinations', constraints: c.constraints.map(toDestination) };
    case 'associated-certs':
      return { kind: 'unsupported', what: 'associated-certs-v00@openssh.com' };
    case 'sk-provider':
      return { kind: 'sk-provider', provider: c.provider };
    case 'extension':
      return { kind: 'unsupported', what: c.name.slice(0, 80) };
    case 'unknown':
      return { kind: 'unsupported', what: `type ${c.type}` };
  }
}

function toDestination(c: { from: WireHop; to: WireHop }): DestinationConstraint {
  return { from: toHop(c.from), to: toHop(c.to) };
}

/** OpenSSH treats an empty user or hostname as absent. */
function toHop(h: WireHop): DestinationHop {
  return { user: h.user === '' ? null : h.user, hostname: h.hostname === '' ? null : h.hostname, keys: h.keys.map((k) => ({ blob: Buffer.from(k.blob), isCa: k.isCa })) };
}

function toReply(reply: EngineReply): Reply {
  switch (reply.kind) {
    case 'success':
      return { type: 'success' };
    case 'failure':
      return { type: 'failure', code: 5 };
    case 'extension-failure':
      return { type: 'failure', code: 28 };
    case 'identities':
      return { type: 'identities', identities: reply.keys };
    case 'signature':
      return { type: 'signature', signature: reply.signature };
    case 'extension-response':
      return { type: 'extension', name: reply.name, data: reply.body };
    case 'success-with-data':
      return { type: 'success-with-data', data: reply.body };
  }
}

/** Frames a reply; one no client would accept (over 256 KiB, more than 2048 keys) becomes FAILURE. */
export function encodeEngineReply(reply: EngineReply): Buffer {
  try {
    return encodeReply(toReply(reply));
  } catch (e) {
    if (e instanceof ProtocolError) return failureFrame();
    throw e;
  }
}

export function failureFrame(): Buffer {
  return encodeReply({ type: 'failure', code: 5 });
}
