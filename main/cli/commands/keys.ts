import { hostname, userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { KeyDockError } from '../../util/errors';
import { CONVERT_TARGETS, isPrivateTarget, type ConvertTarget } from '../../keys/convert';
import { fingerprintSha256 } from '../../keys/format';
import type { GenerateType } from '../../keys/generate';
import type * as KeysServicesModule from './keys-services';
import { keyPassphraseProvider, promptHidden, readStdinLine, type CliIo } from '../io';
import { table } from '../output';
import type { CommandEnv } from '../program';

type KeyServices = typeof KeysServicesModule;
const services = (): Promise<KeyServices> => import('./keys-services');

/** ssh-keygen's default comment: user@host. */
function defaultComment(): string {
  return `${userInfo().username}@${hostname()}`;
}

/** Asks for a new passphrase twice on a terminal, or once on stdin; '' means none. */
async function newPassphrase(io: CliIo, fromStdin: boolean, none: boolean): Promise<string> {
  if (none) return '';
  if (fromStdin) return readStdinLine(io);
  if (!io.stdin.isTTY) {
    throw new KeyDockError('passphrase-required', 'A new passphrase is needed but there is no terminal to ask on.', 'Pipe it in with --passphrase-stdin, or pass --no-passphrase to write the key unprotected.', { exitCode: 2 });
  }
  const a = await promptHidden(io, 'New passphrase (empty for none): ');
  const b = await promptHidden(io, 'Same passphrase again: ');
  if (a !== b) throw new KeyDockError('passphrase-mismatch', 'The two passphrases differ.', 'Run the command again and type the same passphrase twice.', { exitCode: 2 });
  return a;
}

export function registerKeysCommands(program: Command, env: CommandEnv): void {
  const { io } = env;

  program
    .command('keygen')
    .description('make a new key pair in OpenSSH format (Ed25519 unless --type says otherwise)')
    .addOption(new Option('--type <type>', 'key type').choices(['ed25519', 'ecdsa', 'rsa']).default('ed25519'))
    .option('--bits <n>', 'key size: ecdsa 256/384/521, rsa 3072 or more', (v) => Number.parseInt(v, 10))
    .option('--comment <text>', 'comment stored with the key (default: you@this-computer, like ssh-keygen)')
    .option('--file <path>', 'private key file (default ~/.ssh/id_<type>)')
    .option('--passphrase-stdin', 'read the new passphrase from the first line of stdin (empty line = none)')
    .option('--no-passphrase', 'write the key without a passphrase (not recommended)')
    .option('--remember', 'store the passphrase in the system keychain so adding the key needs no prompt')
    .option('--force', 'replace an existing key pair (the old one is kept as FILE.keydock-old-TIME)')
    .option('--parents', 'create the folder of --file (mode 0700) when it is missing')
    .action(
      env.run(async (out, opts: { type: GenerateType; bits?: number; comment?: string; file?: string; passphraseStdin?: boolean; passphrase: boolean; remember?: boolean; force?: boolean; parents?: boolean }) => {
        const k = await services();
        const ctx = await env.context();
        const path = resolve(opts.file ?? join(ctx.paths.sshDir, `id_${opts.type}`));
        const passphrase = await newPassphrase(io, !!opts.passphraseStdin, !opts.passphrase);
        if (opts.remember && !passphrase) throw new KeyDockError('keychain-empty-passphrase', '--remember needs a passphrase to remember.', 'Give a passphrase, or leave out --remember.', { exitCode: 2 });
        // Like ssh-keygen: a key says whose and from where unless told otherwise.
        const comment = opts.comment ?? defaultComment();
        const g = await k.generateKeyFiles({ path, type: opts.type, bits: opts.bits, comment, passphrase, force: !!opts.force, createParents: !!opts.parents || !opts.file }).catch((e: unknown) => {
          if (e instanceof KeyDockError && e.code === 'folder-missing') throw new KeyDockError(e.code, e.message, 'Create the folder, or add --parents to let keydock create it (mode 0700).', { exitCode: 2, cause: e });
          throw e;
        });
        let remembered = false;
        let keychainError: ReturnType<KeyDockError['toJSON']> | null = null;
        if (opts.remember) {
          try {
            await ctx.remembered.remember({ path, fingerprint: g.fingerprint, comment }, passphrase);
            remembered = true;
          } catch (e) {
            if (!(e instanceof KeyDockError)) throw e;
            keychainError = e.toJSON();
            out.setExitCode(1);
          }
        }
        // Written but not remembered is a failed operation (exit 1), so --json says ok:false with the error.
        const outcome = keychainError ? { ok: false, error: keychainError } : {};
        out.success({ ...outcome, path: g.path, publicPath: g.publicPath, fingerprint: g.fingerprint, publicKey: g.publicKey, encrypted: !!passphrase, remembered, keychainError, previous: g.previous }, () =>
          [
            `Wrote ${g.path} (private, mode 0600) and ${g.publicPath}.`,
            ...(g.previous ? [`The previous key pair was kept as ${g.previous.privatePath}${g.previous.publicPath ? ` and ${g.previous.publicPath}` : ''}.`] : []),
            `Fingerprint: ${g.fingerprint}`,
            'Public key (paste into authorized_keys or your Git host):',
            g.publicKey,
            ...(remembered ? ['Passphrase stored in the system keychain.'] : []),
            ...(keychainError ? [`Not remembered: ${keychainError.message}`, `  hint: ${keychainError.hint}`] : []),
            ...(!passphrase ? ['Warning: the key has no passphrase; anyone who copies the file can use it.'] : []),
          ].join('\n'),
        );
      }),
    );

  program
    .command('convert <file>')
    .description('convert a key to another format: openssh, ppk (PuTTY v3), ppk2, pem, pub, rfc4716')
    .addOption(new Option('--to <format>', 'output format').choices([...CONVERT_TARGETS]).makeOptionMandatory())
    .option('--out <path>', 'output file (needed for private formats; public formats print to stdout)')
    .option('--passphrase-stdin', 'read the passphrase of FILE from stdin (first line)')
    .option('--new-passphrase-stdin', 'read the passphrase for the output from stdin (next line; empty = none)')
    .option('--unencrypted', 'write the private output without a passphrase')
    .option('--force', 'replace an existing output file')
    .action(
      env.run(async (out, file: string, opts: { to: ConvertTarget; out?: string; passphraseStdin?: boolean; newPassphraseStdin?: boolean; unencrypted?: boolean; force?: boolean }) => {
        const k = await services();
        const ctx = await env.context();
        const path = resolve(file);
        const data = await k.readKeyFile(path);
        // The public half of a PPK or an openssh-key-v1 file is stored in the clear: no passphrase for it.
        const header = k.openKeyData(data, path).header;
        if (!isPrivateTarget(opts.to) && header.publicBlob) {
          const { publicKeyLine, rfc4716 } = await import('../../keys/format');
          const pubComment = header.comment || basename(path);
          const text = opts.to === 'pub' ? `${publicKeyLine(header.publicBlob, pubComment)}\n` : rfc4716(header.publicBlob, pubComment);
          const fingerprint = fingerprintSha256(header.publicBlob);
          if (opts.out) {
            const target = resolve(opts.out);
            await k.safeWriteFile(target, text, { mode: 0o644, forceMode: true, exclusive: !opts.force, ...(opts.force ? { backup: await k.freeBackupPath(target) } : {}) });
            out.success({ path: target, format: opts.to, fingerprint, encrypted: false }, () => `Wrote ${target} (${opts.to}). Fingerprint ${fingerprint}.`);
          } else out.success({ format: opts.to, fingerprint, text }, () => text);
          return;
        }
        const { parsed, usedPassphrase } = await k.decryptKeyFile(data, path, keyPassphraseProvider(ctx, io, !!opts.passphraseStdin));
        const comment = parsed.comment || basename(path);
        const priv = isPrivateTarget(opts.to);
        if (priv && !opts.out) throw new KeyDockError('convert-needs-out', 'Private key formats are written to a file, never printed.', `Add --out FILE, e.g. --out ${basename(path)}.${opts.to.startsWith('ppk') ? 'ppk' : 'key'}`, { exitCode: 2 });
        let passphrase = usedPassphrase ?? '';
        if (opts.unencrypted) passphrase = '';
        else if (opts.newPassphraseStdin) passphrase = await readStdinLine(io);
        const text = await k.convertMaterial(parsed.material, comment, opts.to, { passphrase: priv ? passphrase : undefined });
        const fingerprint = fingerprintSha256(k.publicBlob(parsed.material));
        if (opts.out) {
          const target = resolve(opts.out);
          // --force keeps what it replaces as TARGET.keydock-old-TIME: never a private key lost.
          await k.safeWriteFile(target, text, { mode: priv ? 0o600 : 0o644, forceMode: true, exclusive: !opts.force, ...(opts.force ? { backup: await k.freeBackupPath(target) } : {}) });
          out.success({ path: target, format: opts.to, fingerprint, encrypted: priv && !!passphrase }, () => `Wrote ${target} (${opts.to}${priv ? (passphrase ? ', passphrase-protected' : ', NOT passphrase-protected') : ''}). Fingerprint ${fingerprint}.`);
        } else {
          out.success({ format: opts.to, fingerprint, text }, () => text);
        }
        for (const w of parsed.warnings ?? []) io.stderr.write(`keydock: warning: ${w}\n`);
      }),
    );

  program
    .command('fingerprint <file>')
    .description('show the fingerprint of a key (private, .pub or PuTTY file), like ssh-keygen -lf')
    .option('--md5', 'show the old MD5 form instead of SHA256')
    .option('--passphrase-stdin', 'read the passphrase from stdin if the file needs one')
    .action(
      // The read-only commands' chunk loads only when one of them runs (scripts/cli-bundle.mjs).
      env.run((out, file: string, opts: { md5?: boolean; passphraseStdin?: boolean }) => import('./read-only').then((c) => c.fingerprintCommand(env, out, file, opts))),
    );

  program
    .command('inspect <file>')
    .description('describe a key file: type, size, comment, protection and KDF cost, permissions, health')
    .action(
      env.run(async (out, file: string) => {
        const k = await services();
        const ctx = await env.context();
        const info = await k.inspectKeyFile(resolve(file), { isRemembered: (fp) => ctx.remembered.isRemembered(fp), platform: ctx.platform, env: ctx.env });
        out.success({ ...info }, () => {
          const rows: string[][] = [
            ['File', info.path],
            ['Format', info.format],
            ['Type', `${info.type}${info.bits ? ` (${info.bits} bits)` : ''}`],
            ['Comment', info.comment || '-'],
            ['Fingerprint', info.fingerprint || 'unknown until the passphrase is given'],
            ['Encrypted', info.encrypted ? `yes (${[info.kdf, info.kdfCost].filter(Boolean).join(', ')})` : 'no'],
            ['Permissions', info.mode ?? 'n/a'],
            ['Remembered', info.remembered ? 'yes (system keychain)' : 'no'],
          ];
          if (info.securityKey) {
            // FIDO (sk-) keys: what each signature needs, and what KeyDock's agent signs through here (docs/hardware-keys.md).
            const sk = info.securityKey;
            const needs = sk.touchRequired === null ? 'touch / PIN unknown until the passphrase is given' : [sk.touchRequired ? 'needs a touch' : 'no touch needed', sk.pinRequired ? 'needs the PIN' : '', sk.resident ? 'resident' : ''].filter(Boolean).join(', ');
            rows.push(['Security key', `application ${sk.application}; ${needs}`]);
            rows.push(['FIDO provider', sk.provider ? `${sk.provider} (for KeyDock's agent)` : 'none on this system for KeyDock\'s agent: add the key to ssh-agent (ssh-add), or set SSH_SK_PROVIDER']);
          }
          if (info.certificate) {
            const c = info.certificate;
            rows.push(['Certificate', `${c.path}: id "${c.keyId}", principals ${c.principals.join(',') || '(any)'}, valid until ${c.validBefore === null ? 'forever' : new Date(c.validBefore * 1000).toISOString()}`]);
          }
          const lines = [table(['', ''], rows).split('\n').slice(1).join('\n')];
          if (info.findings.length === 0) lines.push('', 'Health: no problems found.');
          else {
            lines.push('', 'Health:');
            for (const f of info.findings) lines.push(`  [${f.severity}] ${f.message}`, `      fix: ${f.fix}`);
          }
          for (const w of info.warnings) lines.push(`Warning: ${w}`);
          return lines.join('\n');
        });
      }),
    );

  program
    .command('forget <fileOrFingerprint>')
    .description('remove a remembered passphrase from the system keychain')
    .action(
      env.run(async (out, target: string) => {
        const ctx = await env.context();
        const r = await ctx.remembered.forget(target.startsWith('SHA256:') ? target : resolve(target));
        if (!r.removed) {
          throw new KeyDockError('keychain-not-remembered', `No passphrase is remembered for ${r.fingerprint}.`, 'Nothing to do; keydock inspect FILE shows whether a key is remembered.');
        }
        out.success({ fingerprint: r.fingerprint, removed: true }, () => `Forgot the passphrase of ${r.fingerprint}.`);
      }),
    );

  program
    .command('load')
    .description('load every key with a remembered passphrase into the agent (what KeyDock does at login)')
    .action(
      env.run(async (out) => {
        const ctx = await env.context();
        const r = await ctx.agents.loadRemembered();
        if (r.failed.length) out.setExitCode(1);
        out.success({ ...r }, () =>
          [
            r.loaded.length ? `Loaded ${r.loaded.length} key(s): ${r.loaded.join(', ')}` : 'No remembered keys were loaded.',
            ...r.failed.map((f) => `Failed: ${f.path}: ${f.message}`),
          ].join('\n'),
        );
      }),
    );
}
