import type { DestinationConstraint } from './keystore';
import type { AddedKey } from './private-fields';

/**
 * The agent engine's view of a request, after the codec (main/agent/codec.ts) decoded the
 * frame; `protocol.ts` maps between the two so the engine does not depend on codec details.
 */
export type EngineRequest =
  | { kind: 'list' }
  | { kind: 'sign'; keyBlob: Buffer; data: Buffer; flags: number }
  /** `key` is the parsed key, or why it could not be parsed (unsupported type, bad numbers): refused with FAILURE. */
  | { kind: 'add'; key: AddedKey | { error: string }; comment: string; constraints: EngineConstraint[] }
  | { kind: 'remove'; keyBlob: Buffer }
  | { kind: 'remove-all' }
  | { kind: 'remove-all-rsa1' }
  | { kind: 'lock'; passphrase: Buffer }
  | { kind: 'unlock'; passphrase: Buffer }
  /** ADD_SMARTCARD_KEY(_CONSTRAINED): a PKCS#11 provider path and the token's PIN (wiped with the request body). */
  | { kind: 'add-smartcard'; provider: string; pin: Buffer; constraints: EngineConstraint[] }
  | { kind: 'remove-smartcard'; provider: string }
  | { kind: 'query' }
  | { kind: 'session-bind'; hostKey: Buffer; sessionId: Buffer; signature: Buffer; forwarded: boolean }
  | { kind: 'extension'; name: string; data: Buffer }
  | { kind: 'unknown'; msgType: number };

export type EngineConstraint =
  | { kind: 'lifetime'; seconds: number }
  | { kind: 'confirm' }
  | { kind: 'destinations'; constraints: DestinationConstraint[] }
  /** sk-provider@openssh.com: the FIDO provider library a security key signs through ("internal" = the system's own). */
  | { kind: 'sk-provider'; provider: string }
  | { kind: 'unsupported'; what: string };

export type EngineReply =
  | { kind: 'success' }
  | { kind: 'failure' }
  | { kind: 'extension-failure' }
  | { kind: 'identities'; keys: Array<{ blob: Buffer; comment: string }> }
  | { kind: 'signature'; signature: Buffer }
  | { kind: 'extension-response'; name: string; body: Buffer }
  /** SSH_AGENT_SUCCESS followed by data (PuTTY's extensions answer so). */
  | { kind: 'success-with-data'; body: Buffer };
