import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Identity } from '../../../shared/models';
import type { AppError } from '../../../shared/result';
import { KeyDockError, toAppError } from '../../util/errors';
import { isMissingFileError, readUserFile } from '../../util/read-file';
import type { PassphraseProvider } from '../../keys/types';
import { promptHidden, readStdinLine } from '../io';
import { oneLine, terminalSafe } from '../output';
import type { CommandEnv } from '../program';
import { addSmartcardCommand, registerPkcs11Commands, removeSmartcardCommand } from './pkcs11';

// Services load when a command runs, so `keydock --help` and each command start with only what they use.

/** `30m`, `2h`, `1d`, `90s` or plain seconds, as ssh-add -t accepts. */
export function parseLifetime(text: string): number {
  const m = /^(\d+)\s*([smhdw]?)$/i.exec(text.trim());
  if (!m) throw new KeyDockError('usage', `"${text}" is not a time span.`, 'Use a number of seconds or a number with s, m, h, d or w, e.g. --lifetime 30m.', { exitCode: 2 });
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]!.toLowerCase() as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  const seconds = Number(m[1]) * mult;
  if (seconds <= 0 || seconds > 0xffffffff) throw new KeyDockError('usage', `The time span ${text} is out of range.`, 'Use something between 1 second and a few years.', { exitCode: 2 });
  return seconds;
}

/** The agent commands: what `ssh-add` does, plus discovery, with --json everywhere. */
export function registerAgentCommands(program: Command, env: CommandEnv): void {
  const io = env.io;
  const passphraseFrom = (useStdin: boolean | undefined): PassphraseProvider => async (info) => {
    // One line per key from stdin: a wrong line is that key's error, never a retry with the next key's line.
    if (useStdin) return info.attempt === 0 ? readStdinLine(io) : null;
    const what = info.comment || info.path || 'the key';
    return promptHidden(io, info.attempt > 0 ? `Wrong passphrase; try again for ${what}: ` : `Passphrase for ${what}: `);
  };

  program
    .command('agents')
    .description('list the SSH agents you have and which one ssh uses')
    .action(
      // The read-only commands' chunk loads only when one of them runs (scripts/cli-bundle.mjs).
      env.run((out) => import('./read-only').then((c) => c.agentsCommand(env, out))),
    );

  program
    .command('list')
    .description('list the keys the agent holds')
    .option('--agent <path>', 'agent socket (default: the one ssh would use)')
    .action(
      env.run((out, opts: { agent?: string }) => import('./read-only').then((c) => c.listCommand(env, out, opts))),
    );

  program
    .command('add')
    .description('load key files into the agent (OpenSSH, PEM, PKCS#8, PuTTY PPK), or a smartcard’s keys with --pkcs11')
    .argument('[files...]', 'private key files')
    .option('--agent <path>', 'agent socket (default: the one ssh would use)')
    .option('-t, --lifetime <span>', 'remove the key after this long (e.g. 30m, 8h)')
    .option('-c, --confirm', 'ask before every use of the key')
    .option('--passphrase-stdin', 'read passphrases from standard input, one line per encrypted key')
    .option('--remember', 'remember the passphrase in the OS keychain for next time')
    .option('--encrypted', 'hand the file to the agent still encrypted; it asks for the passphrase on first use (keydock serve, Pageant)')
    .option('--sk-provider <path>', 'FIDO (sk-) keys: the provider library the agent signs through, like ssh-add -S (default: $SSH_SK_PROVIDER, else the agent\'s own)')
    .option('--pkcs11 <provider>', 'add the keys of a smartcard / PKCS#11 token through this provider library, like ssh-add -s (see keydock pkcs11-providers)')
    .option('--pin-stdin', 'with --pkcs11: read the token’s PIN from the first line of standard input')
    .action(
      env.run(async (out, files: string[], opts: { agent?: string; lifetime?: string; confirm?: boolean; passphraseStdin?: boolean; remember?: boolean; encrypted?: boolean; pkcs11?: string; pinStdin?: boolean; skProvider?: string }) => {
        if (opts.pkcs11 !== undefined) return addSmartcardCommand(env, out, files, { ...opts, pkcs11: opts.pkcs11, lifetimeSeconds: opts.lifetime ? parseLifetime(opts.lifetime) : undefined });
        if (files.length === 0) throw new KeyDockError('usage', 'Name the key files to add.', 'Give one or more private key files, e.g. keydock add ~/.ssh/id_ed25519, or a token with --pkcs11 PROVIDER.', { exitCode: 2 });
        if (opts.encrypted) {
          const [{ addEncryptedKeyFile }, { readKeyFile, openKeyData }, { fingerprintSha256 }] = await Promise.all([import('../../agent/server/encrypted-keys'), import('../../keys/load'), import('../../keys/format')]);
          const socket = opts.agent ?? env.io.env.SSH_AUTH_SOCK;
          if (!socket) throw new KeyDockError('no-agent', 'No agent to add the key to: SSH_AUTH_SOCK is not set.', 'Start one with eval "$(keydock serve -s)", or name it with --agent.', { exitCode: 2 });
          const encryptedAdded: Array<{ path: string; fingerprint: string | null; encrypted: boolean }> = [];
          for (const file of files) {
            const data = await readKeyFile(file);
            const h = openKeyData(data, file).header;
            if (!h.publicBlob) throw new KeyDockError('key-no-public-half', `${file} does not carry its public key.`, 'Use an OpenSSH or PuTTY (.ppk) key file.', { exitCode: 2 });
            await addEncryptedKeyFile(socket, data);
            encryptedAdded.push({ path: file, fingerprint: fingerprintSha256(h.publicBlob), encrypted: h.encrypted });
          }
          out.success({ added: encryptedAdded }, () => encryptedAdded.map((a) => `Added ${a.fingerprint} ${a.path}${a.encrypted ? ' (encrypted until first use)' : ''}`).join('\n'));
          return;
        }
        const ctx = await env.context();
        const lifetimeSeconds = opts.lifetime ? parseLifetime(opts.lifetime) : undefined;
        const added: Identity[] = [];
        const failed: { path: string; error: AppError; exitCode: 1 | 2 }[] = [];
        const notices: string[] = [];
        for (const file of files) {
          try {
            added.push(
              await ctx.agents.addFile(
                file,
                {
                  passphrase: passphraseFrom(opts.passphraseStdin),
                  // A passphrase given on stdin is the one to use: a wrong one is an error, even when the keychain knows the right one.
                  keychain: !opts.passphraseStdin,
                  remember: opts.remember,
                  lifetimeSeconds,
                  confirm: opts.confirm,
                  // A relative path means this directory, not the agent's; "internal" stays a name.
                  ...(opts.skProvider ? { skProvider: opts.skProvider.toLowerCase() === 'internal' ? 'internal' : resolve(opts.skProvider) } : {}),
                  onNotice: (e) => notices.push(`${e.message} ${e.hint}`.trim()),
                },
                opts.agent,
              ),
            );
          } catch (e) {
            // One file's failure does not hide the others: each file is reported, loaded or not.
            if (files.length === 1) throw e;
            failed.push({ path: file, error: toAppError(e), exitCode: e instanceof KeyDockError ? e.exitCode : 1 });
          }
        }
        // A missing keychain matters only to someone who asked to remember.
        if (opts.remember) for (const n of new Set(notices)) io.stderr.write(`keydock: note: ${n}\n`);
        const addedText = () => added.map((i) => `Added ${i.fingerprint} ${oneLine(i.comment)} (${i.type})`).join('\n');
        const first = failed[0];
        if (!first) {
          out.success({ added }, addedText);
          return;
        }
        // Exit 1 when any file failed; 2 only when nothing was added and every failure was usage or environment.
        out.setExitCode(added.length === 0 && failed.every((f) => f.exitCode === 2) ? 2 : 1);
        const failedOut = failed.map((f) => ({ path: f.path, error: f.error }));
        if (out.json) {
          io.stdout.write(JSON.stringify({ ok: false, error: first.error, added, failed: failedOut }, null, 2) + '\n');
          return;
        }
        const text = addedText();
        if (text) io.stdout.write(terminalSafe(text) + '\n');
        for (const f of failed) {
          io.stderr.write(`keydock: ${terminalSafe(f.path)}: ${terminalSafe(f.error.message)}\n`);
          if (f.error.hint) io.stderr.write(`  hint: ${terminalSafe(f.error.hint)}\n`);
        }
        io.stderr.write(`keydock: ${added.length} of ${files.length} key files added; ${failed.length} failed.\n`);
      }),
    );

  registerPkcs11Commands(program, env);

  program
    .command('remove')
    .description('remove keys from the agent, by fingerprint, public key file or the key file you added')
    .argument('[keys...]', 'SHA256:… / MD5:… fingerprints, .pub files or private key files')
    .option('--agent <path>', 'agent socket (default: the one ssh would use)')
    .option('-a, --all', 'remove every key')
    .option('--pkcs11 <provider>', 'remove every key of a smartcard / PKCS#11 provider added with --pkcs11, like ssh-add -e')
    .action(
      env.run(async (out, keys: string[], opts: { agent?: string; all?: boolean; pkcs11?: string }) => {
        if (opts.pkcs11 !== undefined) return removeSmartcardCommand(env, out, keys, { ...opts, pkcs11: opts.pkcs11 });
        const ctx = await env.context();
        if (opts.all) {
          await ctx.agents.removeAll(opts.agent);
          out.success({ removed: 'all' }, () => 'Removed all keys.');
          return;
        }
        if (keys.length === 0) throw new KeyDockError('usage', 'Name the keys to remove, or pass --all.', 'Run `keydock list` to see fingerprints.', { exitCode: 2 });
        const refs = await Promise.all(
          keys.map(async (k) => {
            if (/^(SHA256|MD5):/.test(k)) return { fingerprint: k };
            // Checked before reading: a FIFO or device here must fail at once, not block or never end.
            const bytes = await readUserFile(k, { maxBytes: 256 * 1024, what: 'public key file' }).catch((e: unknown) => {
              if (!isMissingFileError(e) && e instanceof KeyDockError) throw e;
              throw new KeyDockError('file-not-found', `${k} is neither a fingerprint nor a readable public key file.`, 'Give a SHA256:… fingerprint from `keydock list`, or a .pub file.', { exitCode: 2 });
            });
            const text = bytes.toString('utf8');
            // The same path given to `add` names a private key: remove the key it holds.
            if (!/^\s*(ssh-|ecdsa-|sk-)/.test(text)) {
              const { fingerprintOfFile } = await import('../../keys/file-fingerprint');
              return { fingerprint: await fingerprintOfFile(k) };
            }
            return { publicKey: text };
          }),
        );
        const removed = await ctx.agents.remove(refs, opts.agent);
        out.success({ removed }, () => removed.map((i) => `Removed ${i.fingerprint} ${oneLine(i.comment)}`).join('\n'));
      }),
    );

  for (const [name, verb] of [
    ['lock', 'lock'],
    ['unlock', 'unlock'],
  ] as const) {
    program
      .command(name)
      .description(name === 'lock' ? 'lock the agent with a passphrase (it lists and signs nothing until unlocked)' : 'unlock the agent')
      .option('--agent <path>', 'agent socket (default: the one ssh would use)')
      .option('--passphrase-stdin', 'read the passphrase from standard input')
      .action(
        env.run(async (out, opts: { agent?: string; passphraseStdin?: boolean }) => {
          const ctx = await env.context();
          const pass = opts.passphraseStdin ? await readStdinLine(io) : await promptHidden(io, `Passphrase to ${verb} the agent: `);
          // Like `ssh-add -x`: a lock passphrase typed at a terminal is typed twice, so a typo cannot lock you out.
          if (verb === 'lock' && !opts.passphraseStdin && (await promptHidden(io, 'Again: ')) !== pass) {
            throw new KeyDockError('passphrase-mismatch', 'The two passphrases differ; the agent was not locked.', 'Type the same passphrase twice.');
          }
          if (verb === 'lock') await ctx.agents.lock(pass, opts.agent);
          else await ctx.agents.unlock(pass, opts.agent);
          out.success({}, () => (verb === 'lock' ? 'Agent locked.' : 'Agent unlocked.'));
        }),
      );
  }
}
