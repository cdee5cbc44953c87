import { join } from 'node:path';
import type { keysChannels, KeyFileInfo } from '../../../shared/contract/keys';
import type { AppContext } from '../../context';
import { KeyDockError } from '../../util/errors';
import { fingerprintSha256, parsePublicKeyLine, publicKeyLine } from '../../keys/format';
import { generateKeyFiles } from '../../keys/generate';
import { inspectKeyFile, listKeyFiles } from '../../keys/inspect';
import { checkKeyPathFromRenderer } from '../../keys/ipc-paths';
import { openKeyData, readKeyFile } from '../../keys/load';
import { concreteHosts, findConfigUsages } from '../../lifecycle/config-usage';
import { listBackups, restoreBackup } from '../../openssh/backups';
import type { Handlers } from '../router';

type KeysHandlers = Pick<Handlers, keyof typeof keysChannels>;

/** The key file service for the app: paths from the renderer are checked before use. */
export function createKeysHandlers(ctx: AppContext): KeysHandlers {
  const remembered = (fp: string) => ctx.remembered.isRemembered(fp);
  return {
    'keys:list-files': async () => listKeyFiles(ctx.paths.sshDir, { isRemembered: await ctx.remembered.rememberedCheck(), platform: ctx.platform, env: ctx.env }),
    'keys:pick-files': async () => {
      const picker = ctx.pickFiles;
      if (!picker) {
        throw new KeyDockError('picker-unavailable', 'A file picker is not available here.', 'Choose the key from the list of keys found in ~/.ssh.');
      }
      const picked = await picker();
      const checked: string[] = [];
      for (const p of picked) checked.push(await checkKeyPathFromRenderer(p, 'private'));
      return checked;
    },
    'keys:inspect-file': async (req) => {
      const path = await checkKeyPathFromRenderer(req.path, 'private');
      const { warnings: _w, certificate: _c, ...info } = await inspectKeyFile(path, { isRemembered: remembered, platform: ctx.platform, env: ctx.env });
      return info satisfies KeyFileInfo;
    },
    'keys:read-public-key': async (req) => {
      const path = await checkKeyPathFromRenderer(req.path, 'private-or-public');
      const data = await readKeyFile(path);
      try {
        const p = parsePublicKeyLine(data.toString('utf8'));
        return { publicKey: publicKeyLine(p.blob, p.comment), fingerprint: fingerprintSha256(p.blob) };
      } catch {
        // a private key: use its header, its .pub, or (unencrypted) the key itself
      }
      const info = await inspectKeyFile(path, { platform: ctx.platform });
      if (info.publicKey) return { publicKey: info.publicKey, fingerprint: info.fingerprint };
      const h = openKeyData(data, path).header;
      if (h.publicBlob) return { publicKey: publicKeyLine(h.publicBlob, h.comment ?? ''), fingerprint: fingerprintSha256(h.publicBlob) };
      throw new KeyDockError('key-public-unknown', `The public key of ${path} is stored encrypted.`, `Put ${path}.pub beside it, or load the key once to see its public key.`);
    },
    'keys:generate-key': async (req) => {
      const path = join(ctx.paths.sshDir, req.fileName);
      const g = await generateKeyFiles({ path, type: req.type, bits: req.bits, comment: req.comment, passphrase: req.passphrase || undefined, force: req.overwrite });
      let rememberedNow = false;
      if (req.remember && req.passphrase) {
        await ctx.remembered.remember({ path, fingerprint: g.fingerprint, comment: req.comment }, req.passphrase);
        rememberedNow = true;
      }
      return { path: g.path, publicPath: g.publicPath, fingerprint: g.fingerprint, publicKey: g.publicKey, remembered: rememberedNow, previous: g.previous?.privatePath ?? null };
    },
    'keys:forget-passphrase': async (req) => {
      const r = await ctx.remembered.forget(req.fingerprint.startsWith('SHA256:') ? req.fingerprint : `SHA256:${req.fingerprint}`);
      if (!r.removed) throw new KeyDockError('keychain-not-remembered', `No passphrase is remembered for ${r.fingerprint}.`, 'Nothing to do.');
      return { done: true as const };
    },
    'keys:list-backups': () => listBackups(ctx.paths.sshDir),
    'keys:restore-backup': (req) => restoreBackup(ctx.paths.sshDir, req.name),
    'keys:load-remembered': () => ctx.agents.loadRemembered(),
    'keys:config-hosts': async (req) => {
      const path = await checkKeyPathFromRenderer(req.path, 'private');
      // The one reader of IdentityFile lines (rotation uses it too): Includes followed as ssh does.
      const { usages } = await findConfigUsages(join(ctx.paths.sshDir, 'config'), { privatePath: path, publicPath: `${path}.pub` }, { home: ctx.paths.home, env: ctx.env });
      return { hosts: [...new Set(usages.flatMap((u) => concreteHosts(u.block)))] };
    },
  };
}
