import type { Command } from 'commander';
import type { TestReport, TestStep } from '../../../shared/contract/connect';
import type { TesterFixKind } from '../../connect/fixes';
import { KeyDockError } from '../../util/errors';
import type { CommandEnv } from '../program';
import { promptHidden, readStdinLine, type CliIo } from '../io';

const TEST_HELP = `
TARGET is a host (github.com), user@host, host:port, ssh://user@host:port, a Git remote
(git@github.com:owner/repo.git) or a preset (github, gitlab, bitbucket). It is resolved
through ~/.ssh/config like ssh does. KeyDock connects through the agent ssh would use,
offers keys in ssh's order and reports which one the server accepted, the host key and
the provider's greeting. Nothing but the SSH handshake and the greeting request is sent.

Exit status: 0 when the connection works, 1 when it does not (with a diagnosis), 2 on
usage errors. --fix applies the suggested fix when it is safe (IdentitiesOnly for a host);
host key fixes also need --yes, after you checked the fingerprint shown.`;

const SAFE_WITHOUT_CONFIRM = new Set(['add-identities-only']);
const FIXABLE = new Set(['trust-host-key', 'remove-stale-host-key', 'add-identities-only', 'load-key']);

function mark(ok: boolean): string {
  return ok ? 'ok  ' : 'FAIL';
}

/** The report in plain words for a terminal. */
export function renderReport(r: TestReport): string {
  const lines: string[] = [];
  lines.push(r.ok ? `OK: ${r.user}@${r.host} port ${r.port} works${r.account ? ` (${r.account})` : ''}.` : `Not working: ${r.user}@${r.host} port ${r.port}.`);
  if (r.hostKey) lines.push(`Host key: ${r.hostKey.type} ${r.hostKey.fingerprint} (${r.hostKey.status})`);
  if (r.offeredKeys.length) {
    lines.push('Keys offered:');
    for (const k of r.offeredKeys) lines.push(`  ${k.accepted ? 'accepted' : 'rejected'}  ${k.fingerprint}  ${k.comment || '(no comment)'}  [${k.source}]`);
  }
  if (r.greeting) lines.push(`Server said: ${r.greeting.split('\n')[0]}`);
  if (r.diagnosis) {
    lines.push('', `Problem (${r.diagnosis.code}): ${r.diagnosis.message}`, `Fix: ${r.diagnosis.fix}`);
    if (r.diagnosis.action?.publicKey && r.diagnosis.code === 'key-not-registered') lines.push('', 'Public key to add:', r.diagnosis.action.publicKey);
  }
  lines.push('', 'Steps:');
  for (const s of r.steps) lines.push(`  ${mark(s.ok)} ${s.name.padEnd(22)} ${String(Math.round(s.ms)).padStart(5)} ms  ${s.detail ?? ''}`.trimEnd());
  return lines.join('\n');
}

/** A passphrase for a key setup-host creates: --passphrase-stdin, --no-passphrase (''), or asked twice at a terminal. */
async function newKeyPassphrase(io: CliIo, opts: { passphraseStdin?: boolean; passphrase: boolean }): Promise<string> {
  if (opts.passphraseStdin && !opts.passphrase) {
    throw new KeyDockError('usage', '--passphrase-stdin and --no-passphrase cannot be used together.', 'Choose one of them.', { exitCode: 2 });
  }
  if (!opts.passphrase) {
    io.stderr.write('keydock setup-host: warning: the new key will have no passphrase; anyone who can read the file can use it.\n');
    return '';
  }
  if (opts.passphraseStdin) {
    const p = await readStdinLine(io);
    if (!p) throw new KeyDockError('passphrase-required', 'The passphrase read from standard input is empty.', 'Pipe in a passphrase, or pass --no-passphrase to write the key unprotected.', { exitCode: 2 });
    return p;
  }
  if (!io.stdin.isTTY) {
    throw new KeyDockError(
      'passphrase-required',
      'The new key needs a passphrase, but there is no terminal to ask on.',
      'Pipe it in with --passphrase-stdin, or pass --no-passphrase to write the key unprotected.',
      { exitCode: 2 },
    );
  }
  const a = await promptHidden(io, 'Passphrase for the new key: ');
  const b = await promptHidden(io, 'Same passphrase again: ');
  if (a !== b) throw new KeyDockError('passphrase-mismatch', 'The two passphrases differ.', 'Run the command again and type the same passphrase twice.', { exitCode: 2 });
  if (!a) throw new KeyDockError('passphrase-required', 'The passphrase is empty.', 'Type a passphrase, or pass --no-passphrase to write the key unprotected.', { exitCode: 2 });
  return a;
}

/** `keydock test`, `keydock doctor` and `keydock setup-host`. */
export function registerConnectCommands(program: Command, env: CommandEnv): void {
  program
    .command('test')
    .description('test an SSH connection to a Git host or server and explain what is wrong')
    .argument('<target>', 'host, user@host[:port], ssh://…, git@host:owner/repo.git, or github|gitlab|bitbucket')
    .option('--timeout <seconds>', 'time limit per phase (default: ConnectTimeout or 15)')
    .option('--preset <id>', 'treat the host as github, gitlab or bitbucket (e.g. GitHub Enterprise)')
    .option('-F, --config <file>', 'read only this SSH config file, like ssh -F')
    .option('--fix', 'apply the suggested fix when it is safe, then test again')
    .option('-y, --yes', 'with --fix: also trust/replace the host key shown')
    .option('-v, --verbose', 'print each step as it finishes (stderr)')
    .addHelpText('after', TEST_HELP)
    .action(
      env.run(async (out, target: string, opts: { timeout?: string; preset?: string; config?: string; fix?: boolean; yes?: boolean; verbose?: boolean }) => {
        // Loaded here, not at start-up: every other command would pay for ssh2 and the tester.
        const { runConnectionTest } = await import('../../connect/tester');
        const ctx = await env.context();
        let timeoutMs: number | undefined;
        if (opts.timeout !== undefined) {
          const t = Number(opts.timeout);
          if (!Number.isFinite(t) || t <= 0 || t > 600) throw new KeyDockError('invalid-timeout', `"${opts.timeout}" is not a time limit in seconds.`, 'Use a number such as 10.', { exitCode: 2 });
          timeoutMs = Math.round(t * 1000);
        }
        if (opts.preset !== undefined && !['github', 'gitlab', 'bitbucket'].includes(opts.preset)) {
          throw new KeyDockError('invalid-preset', `There is no preset "${opts.preset}".`, 'Use github, gitlab or bitbucket.', { exitCode: 2 });
        }
        const onStep = opts.verbose && !out.json ? (s: TestStep) => env.io.stderr.write(`keydock test: ${mark(s.ok)} ${s.name} ${Math.round(s.ms)} ms ${s.detail ?? ''}\n`) : undefined;
        const testOpts = {
          ...(timeoutMs ? { timeoutMs } : {}),
          ...(opts.preset ? { preset: opts.preset as 'github' } : {}),
          ...(opts.config ? { configFile: opts.config } : {}),
          ...(onStep ? { onStep } : {}),
        };
        let report = await runConnectionTest(ctx, target, testOpts);
        let fixed: string | null = null;
        const action = report.diagnosis?.action;
        if (opts.fix && action && FIXABLE.has(action.kind)) {
          if (!SAFE_WITHOUT_CONFIRM.has(action.kind) && !opts.yes) {
            env.io.stderr.write(`keydock test: not applying "${action.kind}" without --yes${report.hostKey ? ` (host key ${report.hostKey.fingerprint})` : ''}.\n`);
          } else {
            const { applyTesterFix } = await import('../../connect/fixes');
            const res = await applyTesterFix(ctx, {
              target,
              kind: action.kind as TesterFixKind,
              ...(action.keyPath ? { keyPath: action.keyPath } : action.publicKey ? { publicKey: action.publicKey } : {}),
              ...(report.hostKey ? { fingerprint: report.hostKey.fingerprint } : {}),
              ...(opts.config ? { configFile: opts.config } : {}),
              ...(timeoutMs ? { timeoutMs } : {}),
            });
            fixed = res.done;
            report = await runConnectionTest(ctx, target, testOpts);
          }
        } else if (opts.fix && report.diagnosis) {
          env.io.stderr.write(`keydock test: no automatic fix for "${report.diagnosis.code}"; follow the advice below.\n`);
        }
        out.success({ ...report, ...(fixed ? { fixApplied: fixed } : {}) }, () => (fixed ? `Fixed: ${fixed}\n\n` : '') + renderReport(report));
        if (!report.ok) out.setExitCode(1);
      }),
    );

  program
    .command('doctor')
    .description('check ~/.ssh permissions, the agent, your SSH config and Git’s ssh setting')
    .option('--fix', 'apply every fix that is safe (permissions, IdentitiesOnly with a config backup)')
    .option('-F, --config <file>', 'check this SSH config file instead of ~/.ssh/config')
    .action(
      env.run(async (out, opts: { fix?: boolean; config?: string }) => {
        const { applyDoctorFixWithChanges, publicFinding, runDoctor } = await import('../../doctor/doctor');
        const ctx = await env.context();
        const dopts = opts.config ? { configFile: opts.config } : {};
        let findings = await runDoctor(ctx, dopts);
        const applied: string[] = [];
        const changes: Array<{ finding: string; file: string; change: string; backup: string | null }> = [];
        if (opts.fix) {
          for (const f of findings.filter((x) => x.canFix && x.severity !== 'ok')) {
            const r = await applyDoctorFixWithChanges(ctx, f.id, dopts);
            applied.push(f.id);
            for (const c of r.changes) changes.push({ finding: f.id, ...c });
          }
          if (applied.length) findings = await runDoctor(ctx, dopts);
        }
        const list = findings.map(publicFinding);
        const problems = list.filter((f) => f.severity === 'error' || f.severity === 'warning');
        out.success({ ok: problems.length === 0, findings: list, fixed: applied, changes }, () => {
          const lines = list.map((f) => `${f.severity.toUpperCase().padEnd(7)} ${f.title}\n        ${f.message}${f.fix && f.severity !== 'ok' ? `\n        fix: ${f.fix}${f.canFix && !f.fix.includes('keydock doctor --fix') ? ' (keydock doctor --fix)' : ''}` : ''}`);
          if (applied.length) {
            // One line per change: the file, what changed, and where the previous version is.
            const changed = changes.map((c) => `Changed ${c.file}: ${c.change}; ${c.backup ? `backup: ${c.backup}` : 'no backup (only permissions changed)'}`);
            lines.unshift(`Fixed ${applied.length} problem(s):`, ...changed, '');
          }
          lines.push('', problems.length ? `${problems.length} problem(s) found.` : 'No problems found.');
          return lines.join('\n');
        });
        if (problems.length) out.setExitCode(1);
      }),
    );

  program
    .command('setup-host')
    .description('give one repository or account its own key and a Host alias in ~/.ssh/config')
    .argument('<provider>', 'github, gitlab, bitbucket, or a Git server host name')
    .option('--repo <owner/repo>', 'a deployment key for this repository')
    .option('--account <label>', 'an account key with this label (e.g. work), for a second account')
    .option('--alias <name>', 'the Host alias (default: HOST-OWNER-REPO or HOST-LABEL)')
    .option('--key <file>', 'use this existing key instead of creating a new Ed25519 key (not one that is already another repository\'s deploy key)')
    .option('--passphrase-stdin', 'protect the new key with a passphrase read from standard input')
    .option('--no-passphrase', 'write the new key without a passphrase (a warning is printed)')
    .option('-F, --config <file>', 'write this SSH config file instead of ~/.ssh/config')
    .addHelpText(
      'after',
      `
Writes "Host ALIAS" (HostName, User, IdentityFile, IdentitiesOnly yes) into ~/.ssh/config,
keeping the previous file as config.keydock-backup, then prints the public key to add and the
remote URL to use, e.g. git@github.com-owner-myrepo:owner/myrepo.git.

A new key gets a passphrase: asked twice at a terminal, or read with --passphrase-stdin;
--no-passphrase writes it unprotected (with a warning). Without a terminal and without either
option, setup-host stops with a usage error (exit 2) before it writes anything.`,
    )
    .action(
      env.run(async (out, provider: string, opts: { repo?: string; account?: string; alias?: string; key?: string; config?: string; passphraseStdin?: boolean; passphrase: boolean }) => {
        const [{ setupHost }, { generateKeyFiles }] = await Promise.all([import('../../connect/setup-host'), import('../../keys/generate')]);
        const ctx = await env.context();
        // Only a key KeyDock creates needs a passphrase; ask before anything is written.
        const passphrase = opts.key ? undefined : await newKeyPassphrase(env.io, opts);
        const r = await setupHost(
          ctx,
          {
            provider,
            ...(opts.repo ? { repo: opts.repo } : {}),
            ...(opts.account ? { account: opts.account } : {}),
            ...(opts.alias ? { alias: opts.alias } : {}),
            ...(opts.key ? { keyPath: opts.key } : {}),
            ...(opts.config ? { configFile: opts.config } : {}),
          },
          async (path, comment) => {
            await generateKeyFiles({ path, comment, type: 'ed25519', ...(passphrase ? { passphrase } : {}) });
          },
        );
        out.success({ ...r, passphrase: r.generated ? (passphrase ? 'set' : 'none') : 'unchanged' }, () =>
          [
            ...(r.generated && !passphrase ? [`Warning: ${r.keyPath} has no passphrase; anyone who can read the file can use the key.`, ''] : []),
            `Added "Host ${r.alias}" to ${r.configFile}${r.backupFile ? ` (previous file kept as ${r.backupFile})` : ''}:`,
            `  ${r.alias} → ${r.user}@${r.hostname}, key ${r.keyPath}, IdentitiesOnly yes`,
            '',
            `1. Add this public key${r.addKeyUrl ? ` at ${r.addKeyUrl}` : ' to the server'}:`,
            `   ${r.publicKey}`,
            `   (${r.fingerprint})`,
            `2. ${r.accessHelp}`,
            r.remoteUrl
              ? `3. Use this remote URL: ${r.remoteUrl}
   git clone ${r.remoteUrl}   or   git remote set-url origin ${r.remoteUrl}`
              : `3. In remote URLs, write ${r.alias} instead of ${r.hostname}: ${r.user}@${r.alias}:OWNER/REPO.git`,
            `4. Check it: keydock test ${r.alias}`,
          ].join('\n'),
        );
      }),
    );
}
