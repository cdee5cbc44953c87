// PuTTY's agent extensions (docs/agent-protocol.md §1.6), as Pageant answers them:
//   add-ppk@putty.projects.tartarus.org        string keyfile → SUCCESS; an encrypted file is kept
//                                             encrypted and decrypted on its first signature
//   reencrypt@putty.projects.tartarus.org      string public blob → SUCCESS (decrypted form dropped)
//   reencrypt-all@putty.projects.tartarus.org  → SUCCESS + uint32 keys that could not be re-encrypted
//                                             (EXTENSION_FAILURE when none could and some could not)
//   list-extended@putty.projects.tartarus.org  → SUCCESS + uint32 n, n × (string blob, string comment,
//                                             string(uint32 flags: 1 has encrypted file, 2 no cleartext key))
// A recognised extension that fails answers SSH_AGENT_EXTENSION_FAILURE (28), as Pageant does.
import { openKeyData } from '../../keys/load';
import { createSigner, signingNumbers } from '../../keys/sign';
import { WireReader } from '../../keys/wire';
import { EncryptedKeySigner, type PassphraseAsker } from './encrypted-keys';
import type { Keystore, StoredIdentity } from './keystore';
import { wipeNumbers } from './private-fields';
import { fingerprintOf } from './public-key';
import type { EngineReply } from './requests';

const SUFFIX = '@putty.projects.tartarus.org';
export const PUTTY_EXTENSIONS = ['add-ppk', 'reencrypt', 'reencrypt-all', 'list-extended'].map((n) => n + SUFFIX);

const FLAG_HAS_ENCRYPTED_KEY_FILE = 1;
const FLAG_HAS_NO_CLEARTEXT_KEY = 2;
/** A key file larger than this is refused (Pageant's limit is the 256 KiB message). */
const MAX_KEY_FILE = 256 * 1024;

export interface PuttyExtensionContext {
  keystore: Keystore;
  ask: PassphraseAsker;
  /** Monotonic ms for lifetimes. */
  now: () => number;
  defaultLifetimeSeconds?: number;
  onChange?: () => void;
}

/** What the engine logs for an extension request, and the reply. */
export interface ExtensionOutcome {
  reply: EngineReply;
  fingerprint: string | null;
  outcome: 'allowed' | 'denied' | 'failed';
  detail: string | null;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function sshString(b: Buffer): Buffer {
  return Buffer.concat([u32(b.length), b]);
}

const fail = (detail: string, fingerprint: string | null = null): ExtensionOutcome => ({ reply: { kind: 'extension-failure' }, fingerprint, outcome: 'denied', detail });

/** Answers one PuTTY extension; null when the name is not one of them. */
export async function handlePuttyExtension(name: string, data: Buffer, ctx: PuttyExtensionContext): Promise<ExtensionOutcome | null> {
  switch (name) {
    case `add-ppk${SUFFIX}`:
      return addKeyFile(data, ctx);
    case `reencrypt${SUFFIX}`: {
      let blob: Buffer;
      try {
        const r = new WireReader(data);
        blob = r.string();
      } catch {
        return fail('malformed request');
      }
      const fp = fingerprintOf(blob);
      const id = ctx.keystore.get(blob);
      if (!id) return fail('key not in the agent', fp);
      if (!(id.signer instanceof EncryptedKeySigner)) return fail('this key has no encrypted form', fp);
      id.signer.reencrypt();
      ctx.onChange?.();
      return { reply: { kind: 'success' }, fingerprint: fp, outcome: 'allowed', detail: 're-encrypted' };
    }
    case `reencrypt-all${SUFFIX}`: {
      let ok = 0;
      let failed = 0;
      for (const id of ctx.keystore.list()) {
        if (id.signer instanceof EncryptedKeySigner) {
          id.signer.reencrypt();
          ok++;
        } else failed++;
      }
      if (ok === 0 && failed > 0) return fail('no key could be re-encrypted');
      ctx.onChange?.();
      return { reply: { kind: 'success-with-data', body: u32(failed) }, fingerprint: null, outcome: 'allowed', detail: `${ok} re-encrypted, ${failed} without an encrypted form` };
    }
    case `list-extended${SUFFIX}`: {
      const ids = ctx.keystore.list();
      const parts: Buffer[] = [u32(ids.length)];
      for (const id of ids) {
        let flags = 0;
        if (id.signer instanceof EncryptedKeySigner) {
          flags |= FLAG_HAS_ENCRYPTED_KEY_FILE;
          if (!id.signer.isDecrypted) flags |= FLAG_HAS_NO_CLEARTEXT_KEY;
        }
        parts.push(sshString(id.publicBlob), sshString(Buffer.from(id.comment, 'utf8')), sshString(u32(flags)));
      }
      return { reply: { kind: 'success-with-data', body: Buffer.concat(parts) }, fingerprint: null, outcome: 'allowed', detail: `${ids.length} key(s)` };
    }
    default:
      return null;
  }
}

/** add-ppk (and `keydock add --encrypted`): a whole key file, kept encrypted when it is. */
async function addKeyFile(data: Buffer, ctx: PuttyExtensionContext): Promise<ExtensionOutcome> {
  let file: Buffer;
  try {
    const r = new WireReader(data);
    file = Buffer.from(r.string());
  } catch {
    return fail('malformed request');
  }
  if (file.length > MAX_KEY_FILE) return fail('key file too large');
  let reader;
  try {
    reader = openKeyData(file, null);
  } catch (e) {
    return fail(`not a key file: ${e instanceof Error ? e.message.slice(0, 120) : 'unreadable'}`);
  }
  const h = reader.header;
  if (!h.publicBlob) return fail('the key file does not carry its public key');
  const publicBlob = Buffer.from(h.publicBlob);
  const fingerprint = fingerprintOf(publicBlob);
  const comment = h.comment ?? '';
  let signer: StoredIdentity['signer'];
  if (h.encrypted) {
    try {
      signer = new EncryptedKeySigner(file, publicBlob, fingerprint, comment, ctx.ask);
    } catch (e) {
      return fail(e instanceof Error ? e.message : 'unsupported key', fingerprint);
    }
  } else {
    try {
      const parsed = await reader.decrypt(null);
      const numbers = signingNumbers(parsed.material);
      if (!numbers) return fail('KeyDock cannot sign with this key type', fingerprint);
      try {
        signer = createSigner(numbers);
      } finally {
        wipeNumbers(numbers);
      }
    } catch (e) {
      return fail(e instanceof Error ? e.message.slice(0, 120) : 'key does not check out', fingerprint);
    } finally {
      file.fill(0);
    }
  }
  const existing = ctx.keystore.get(publicBlob);
  if (existing) {
    // Pageant combines the two forms: a key held in clear stays so; an encrypted copy is not added twice.
    return fail('key already present', fingerprint);
  }
  const lifetime = ctx.defaultLifetimeSeconds ?? null;
  ctx.keystore.add({
    publicBlob,
    type: describeType(publicBlob),
    comment,
    fingerprint,
    signer,
    confirm: false,
    expiresAt: lifetime === null ? null : ctx.now() + lifetime * 1000,
    destinations: [],
  });
  ctx.onChange?.();
  return { reply: { kind: 'success' }, fingerprint, outcome: 'allowed', detail: h.encrypted ? 'added encrypted (decrypted on first use)' : 'added' };
}

function describeType(blob: Buffer): string {
  const r = new WireReader(blob);
  return r.text();
}
