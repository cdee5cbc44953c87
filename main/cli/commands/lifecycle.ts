import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { RotationPlan } from '../../../shared/contract/lifecycle';
import type { RotationIo } from '../../lifecycle/rotate';
import { KeyDockError } from '../../util/errors';
import type { CommandEnv } from '../program';
import { promptHidden, readStdinLine, type CliIo } from '../io';

const ROTATE_HELP = `
KEY is the private key to replace. KeyDock first shows every place the old key is used —
IdentityFile lines in ~/.ssh/config and its Includes, servers (the hosts of those lines and
--server), GitHub/GitLab/Bitbucket hosts, agents holding it, a remembered passphrase, Git's
user.signingkey — and changes nothing until you agree (--yes agrees up front).

Then, one saved step at a time: a new key (same type, or Ed25519 when the old one is weak)
with a passphrase; on each server the new key is added to authorized_keys with the old
line's options, a login with the new key proves it, and only then is the old line removed;
for Git hosts you add the key on the page shown and KeyDock tests it; the config lines, the
agents and the Git signing key follow; the old pair moves to ~/.ssh/keydock-archive/DATE/.

A rotation that stops (an error, Ctrl-C, a wait for you) continues with --resume, or is
undone with --rollback. --passphrase-stdin: the new key's passphrase on the first line
(again with --resume/--rollback), the old key's on the second when KeyDock needs it.`;

const SIGNING_HELP = `
Sets gpg.format ssh, user.signingkey (the key's .pub, or key::… for a key only in the
agent), gpg.ssh.allowedSignersFile (~/.ssh/allowed_signers gets "EMAIL namespaces="git"
KEY"), and with --sign-commits / --sign-tags commit.gpgsign / tag.gpgsign; then proves it
with a signed commit in a scratch repository checked by git verify-commit. Needs Git 2.34+.`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function ask(io: CliIo, question: string): Promise<string> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  return new Promise<string>((resolve) => rl.question(question, (a) => resolve(a))).finally(() => rl.close());
}

function keyTypeOption(type: string | undefined): 'ed25519' | 'ecdsa' | 'rsa' | undefined {
  if (type === undefined) return undefined;
  if (type === 'ed25519' || type === 'ecdsa' || type === 'rsa') return type;
  throw new KeyDockError('invalid-key-type', `"${type}" is not a key type KeyDock makes.`, 'Use --type ed25519 (default), ecdsa or rsa.', { exitCode: 2 });
}

/** `keydock rotate` and `keydock git-signing`. */
export function registerLifecycleCommands(program: Command, env: CommandEnv): void {
  program
    .command('rotate')
    .description('replace a key everywhere it is used: servers, Git hosts, ~/.ssh/config, agents, Git signing')
    .argument('<key>', 'the private key file to replace')
    .option('--type <type>', 'type of the new key: ed25519, ecdsa or rsa (default: same, or ed25519 when the old one is weak)')
    .option('--server <user@host[:port]>', 'also a server the old key opens (repeatable)', collect, [])
    .option('--skip-server <name>', 'leave this server (config alias or --server value) alone, e.g. one that is gone (repeatable)', collect, [])
    .option('--authorized-keys-file <path>', 'authorized_keys on the servers, relative to the account home (default .ssh/authorized_keys)')
    .option('-F, --config <file>', 'read and edit this SSH config file instead of ~/.ssh/config')
    .option('--dry-run', 'show the plan only; change nothing')
    .option('--resume', 'continue the unfinished rotation of this key')
    .option('--rollback', 'undo the rotation of this key, back to the start')
    .option('-y, --yes', 'go ahead without asking after showing the plan')
    .option('--passphrase-stdin', 'read passphrases from standard input (see below)')
    .addHelpText('after', ROTATE_HELP)
    .action(
      env.run(
        async (
          out,
          key: string,
          opts: { type?: string; server: string[]; skipServer: string[]; authorizedKeysFile?: string; config?: string; dryRun?: boolean; resume?: boolean; rollback?: boolean; yes?: boolean; passphraseStdin?: boolean },
        ) => {
          if ([opts.dryRun, opts.resume, opts.rollback].filter(Boolean).length > 1) {
            throw new KeyDockError('invalid-options', 'Use only one of --dry-run, --resume and --rollback.', 'See keydock rotate --help.', { exitCode: 2 });
          }
          const type = keyTypeOption(opts.type);
          const [{ rotateKey }, { renderPlan, renderReport }] = await Promise.all([import('../../lifecycle/rotate'), import('../../lifecycle/render')]);
          const ctx = await env.context();
          const io = env.io;
          const terminal = !!io.stdin.isTTY && !opts.passphraseStdin;
          let stdinNew: string | null | undefined;
          let stdinOld: string | null | undefined;
          const line = () => readStdinLine(io).catch(() => null);
          const rotationIo: RotationIo = {
            async confirm(plan: RotationPlan) {
              if (!out.json) io.stdout.write(`${renderPlan(plan)}\n\n`);
              if (!terminal || out.json) {
                throw new KeyDockError('confirmation-required', 'KeyDock shows the plan first and changes nothing without your go-ahead.', `Read the plan${out.json ? ' (keydock rotate KEY --dry-run --json)' : ' above'}, then run again with --yes.`, { exitCode: 2 });
              }
              return /^y(es)?$/i.test((await ask(io, 'Go ahead? [y/N] ')).trim());
            },
            async passphrase(which, purpose) {
              if (opts.passphraseStdin) {
                if (stdinNew === undefined) stdinNew = await line();
                if (which === 'new') return stdinNew;
                if (stdinOld === undefined) stdinOld = await line();
                return stdinOld;
              }
              if (!terminal) return null;
              if (which === 'new' && purpose === 'create') {
                for (let i = 0; i < 3; i++) {
                  const a = await promptHidden(io, 'Passphrase for the new key: ');
                  const b = await promptHidden(io, 'The same passphrase again: ');
                  if (a === b) return a;
                  io.stderr.write('The two passphrases differ; try again.\n');
                }
                throw new KeyDockError('passphrase-mismatch', 'The passphrases typed did not match.', 'Run the command again.', { exitCode: 2 });
              }
              return promptHidden(io, `Passphrase of the ${which} key: `);
            },
            async waitForUser(message) {
              if (!terminal) return false;
              io.stderr.write(`\n${message}\n`);
              await ask(io, '');
              return true;
            },
            progress(message) {
              if (!out.json) io.stderr.write(`keydock rotate: ${message}\n`);
            },
          };
          const result = await rotateKey(
            ctx,
            {
              keyPath: key,
              ...(type ? { type } : {}),
              servers: opts.server,
              skipServers: opts.skipServer,
              ...(opts.authorizedKeysFile ? { authorizedKeysFile: opts.authorizedKeysFile } : {}),
              ...(opts.config ? { configFile: opts.config } : {}),
              dryRun: !!opts.dryRun,
              resume: !!opts.resume,
              rollback: !!opts.rollback,
              yes: !!opts.yes,
            },
            rotationIo,
          );
          out.success({ ...result, ok: result.mode !== 'cancelled' }, () => {
            if (result.mode === 'dry-run') return `${renderPlan(result.plan)}\n\nNothing was changed (--dry-run).`;
            if (result.mode === 'cancelled') return 'Nothing was changed.';
            return renderReport(result);
          });
          if (result.mode === 'cancelled') out.setExitCode(1);
        },
      ),
    );

  const signing = program.command('git-signing').description('sign Git commits and tags with an SSH key');
  signing
    .command('setup')
    .description('make Git sign with an SSH key, and prove it with a signed commit')
    .option('--key <file|SHA256:…>', 'the key: a key file (or its .pub), or the fingerprint of a key in the agent')
    .option('--repo <path>', 'set it for this repository only')
    .option('--global', 'set it in your global Git config (the default)')
    .option('--sign-commits', 'sign every commit (commit.gpgsign true)')
    .option('--sign-tags', 'sign every tag (tag.gpgsign true)')
    .option('--email <address>', 'your e-mail for the allowed-signers file (default: git config user.email)')
    .addHelpText('after', SIGNING_HELP)
    .action(
      env.run(async (out, opts: { key?: string; repo?: string; global?: boolean; signCommits?: boolean; signTags?: boolean; email?: string }) => {
        if (opts.repo && opts.global) throw new KeyDockError('invalid-options', 'Use either --repo or --global, not both.', 'See keydock git-signing setup --help.', { exitCode: 2 });
        const { setupGitSigning } = await import('../../lifecycle/git-signing');
        const ctx = await env.context();
        const byFingerprint = opts.key?.startsWith('SHA256:');
        const r = await setupGitSigning(ctx, {
          ...(opts.key ? (byFingerprint ? { fingerprint: opts.key } : { keyPath: opts.key }) : {}),
          ...(opts.repo ? { repo: opts.repo } : {}),
          signCommits: !!opts.signCommits,
          signTags: !!opts.signTags,
          ...(opts.email ? { email: opts.email } : {}),
        });
        out.success({ ...r, ok: r.proof.ok }, () =>
          [
            `Git ${r.scope === 'repo' ? `in ${r.repo}` : '(global)'} now signs with ${r.fingerprint}:`,
            ...r.settings.map((s) => `  ${s.key} = ${s.value}`),
            `  ${r.allowedSignersFile}: ${r.allowedSignersEntry}`,
            '',
            r.proof.ok ? `Proof: a signed commit in a scratch repository verified (${r.proof.detail}).` : `Proof FAILED: ${r.proof.detail}`,
            '',
            'Add the public key as a *signing* key where you push, so the host shows "Verified":',
            `  ${r.publicKey}`,
            ...r.signingKeyPages.map((p) => `  ${p.name}: ${p.url}  (${p.help})`),
          ].join('\n'),
        );
        if (!r.proof.ok) out.setExitCode(1);
      }),
    );
  signing
    .command('status')
    .description('what is set for SSH signing, and whether it works right now')
    .option('--repo <path>', 'as seen in this repository (default: the global config)')
    .action(
      env.run(async (out, opts: { repo?: string }) => {
        const { gitSigningStatus } = await import('../../lifecycle/git-signing');
        const ctx = await env.context();
        const s = await gitSigningStatus(ctx, opts.repo ? { repo: opts.repo } : {});
        out.success({ ...s, ok: s.works }, () =>
          [
            `SSH signing ${s.scope === 'repo' ? `in ${s.repo}` : '(global)'}: ${s.works ? 'works' : 'does NOT work now'}${s.detail ? ` — ${s.detail}` : ''}`,
            `  git:              ${s.gitVersion ?? 'not found'}${s.gitVersion && !s.gitNewEnough ? ' (too old: 2.34+ needed)' : ''}`,
            `  gpg.format:       ${s.format ?? '(not set)'}`,
            `  user.signingkey:  ${s.signingKey ?? '(not set)'}${s.fingerprint ? ` (${s.fingerprint})` : ''}`,
            `  commit.gpgsign:   ${s.commitSign}`,
            `  tag.gpgsign:      ${s.tagSign}`,
            `  user.email:       ${s.email ?? '(not set)'}`,
            `  allowed signers:  ${s.allowedSignersFile ?? '(not set)'}${s.allowedSignersFile ? (s.allowedSignerListed ? ' (lists your key)' : ' (does not list your key)') : ''}`,
            `  agent:            ${s.agent.path ?? '(SSH_AUTH_SOCK not set)'}${s.agent.path ? (s.agent.reachable ? (s.agent.keyLoaded ? ' — holds the key' : ' — does not hold the key') : ' — not answering') : ''}`,
            ...(s.problems.length ? ['', 'Problems:', ...s.problems.map((p) => `  - ${p.message}\n    fix: ${p.fix}`)] : []),
          ].join('\n'),
        );
        if (!s.works) out.setExitCode(1);
      }),
    );
}
