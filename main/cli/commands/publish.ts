import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import type { PublishOutcome } from '../../../shared/contract/publish';
import type { Endpoint, ProviderId, PublishKind } from '../../publish/endpoints';
import type { SignInDriver } from '../../publish/sign-in';
import { KeyDockError } from '../../util/errors';
import { promptHidden, type CliIo } from '../io';
import type { CommandEnv } from '../program';

const PUBLISH_HELP = `
Adds the public half of KEY (a private key file or its .pub) to your account on GitHub,
GitLab or Bitbucket — no copy and paste — then runs the connection test to show that ssh
works with it. A key that is already there is reported, not added twice.

  keydock publish ~/.ssh/id_ed25519 --to github                 account key (log in, push)
  keydock publish ~/.ssh/id_ed25519 --to github --signing       commit-signing key
  keydock publish ~/.ssh/deploy_key --to gitlab --repo group/app  read-only deploy key
  keydock publish --sign-out --to github                        forget the saved sign-in

Signing in: GitHub uses a one-time code you enter on github.com when KeyDock has an OAuth
app for the server, else a personal access token; GitLab a personal access token (scope
api); Bitbucket an Atlassian API token with the SSH-key scopes and your account e-mail
(--username). KeyDock opens nothing itself: it prints the page to open. With --token-stdin
the token is read from standard input instead. Only the scopes this kind of key needs are
asked for. The token is kept in the system keychain only (service "KeyDock publish").

--api URL points at GitHub Enterprise Server or a self-managed GitLab (for example
https://github.example.com or https://gitlab.example.com); the connection test then uses
that host. Exit status: 0 when the key is there and ssh works with it, 1 when the provider
refused or the connection test failed (the key may have been added: see the output), 2 on
usage errors.`;

interface PublishOpts {
  to?: string;
  repo?: string;
  readWrite?: boolean;
  signing?: boolean;
  title?: string;
  api?: string;
  tokenStdin?: boolean;
  username?: string;
  signOut?: boolean;
  test?: boolean;
  verbose?: boolean;
}

function usage(message: string, hint: string): KeyDockError {
  return new KeyDockError('publish-usage', message, hint, { exitCode: 2 });
}

/** Reads one visible line from the terminal (a user name; never a secret). */
async function promptLine(io: CliIo, question: string): Promise<string> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}

/** Most of standard input read for a token (tokens are a few hundred bytes at most). */
const MAX_TOKEN_INPUT = 16 * 1024;

/** The first line of standard input, bounded: the token for --token-stdin. */
async function readTokenLine(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of io.stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buf);
    total += buf.length;
    if (buf.includes(0x0a)) break;
    if (total > MAX_TOKEN_INPUT) throw usage('Standard input holds far more than a token.', 'Pipe in the token alone, on one line.');
  }
  const token = (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trim();
  if (!token) throw usage('No token was given on standard input.', 'Pipe the token in, e.g. `printf "%s\\n" "$TOKEN" | keydock publish KEY --to … --token-stdin`.');
  if (token.length > 4096 || /\s/.test(token)) throw usage('The first line of standard input does not look like an access token.', 'Pipe in the token alone, on one line.');
  return token;
}

function render(o: PublishOutcome): string {
  const lines = [o.summary.split(' Connection test: ')[0] as string];
  if (o.test) {
    lines.push(`Connection test (${o.test.host}): ${o.test.message}`);
    if (o.test.diagnosis && !o.test.works) lines.push(`Fix: ${o.test.diagnosis.fix}`);
  }
  lines.push(`See it at ${o.keysPage}`);
  return lines.join('\n');
}

/** `keydock publish`: put a key on GitHub, GitLab or Bitbucket for the user, then test it. */
export function registerPublishCommands(program: Command, env: CommandEnv): void {
  program
    .command('publish')
    .description('add a public key to GitHub, GitLab or Bitbucket for you (account, signing or deploy key), then test it')
    .argument('[key]', 'private key file or .pub to publish')
    .option('--to <provider>', 'github, gitlab or bitbucket')
    .option('--repo <owner/repo>', 'add it as a deploy key of this repository (read-only unless --read-write)')
    .option('--read-write', 'with --repo: let the deploy key push')
    .option('--signing', 'add it as a commit-signing key')
    .option('--title <title>', 'the name the provider shows for the key')
    .option('--api <url>', 'GitHub Enterprise Server or self-managed GitLab address')
    .option('--token-stdin', 'read an access token from standard input instead of signing in interactively')
    .option('--username <name>', 'Bitbucket: the Atlassian account e-mail (API token) or username (app password)')
    .option('--sign-out', 'forget the saved sign-in for --to (and --api)')
    .option('--no-test', 'do not run the connection test afterwards')
    .option('-v, --verbose', 'print each step as it finishes (stderr)')
    .addHelpText('after', PUBLISH_HELP)
    .action(
      env.run(async (out, key: string | undefined, opts: PublishOpts) => {
        const { io } = env;
        const { isProviderId } = await import('../../publish/endpoints');
        if (!opts.to || !isProviderId(opts.to)) throw usage(opts.to ? `There is no provider "${opts.to}".` : 'Say where to publish: --to github, gitlab or bitbucket.', 'Use --to github, --to gitlab or --to bitbucket.');
        const provider: ProviderId = opts.to;
        const ctx = await env.context();
        const services = { runtime: ctx, secrets: ctx.secrets };

        if (opts.signOut) {
          if (key) throw usage('--sign-out takes no key.', `Run: keydock publish --sign-out --to ${provider}`);
          const { endpointFor, signOut } = await import('../../publish/sign-in');
          const e = endpointFor(services, provider, opts.api);
          const forgotten = await signOut(services, provider, opts.api);
          out.success({ provider, server: e.name, forgotten }, () => (forgotten ? `Signed out of ${e.name}: KeyDock forgot its token.` : `KeyDock had no saved sign-in for ${e.name}.`));
          return;
        }
        if (!key) throw usage('Which key? Name the key file to publish.', `For example: keydock publish ~/.ssh/id_ed25519 --to ${provider}`);
        const kind: PublishKind = opts.repo ? 'deploy' : opts.signing ? 'signing' : 'account';
        if (opts.repo && opts.signing) throw usage('A key is either a deploy key (--repo) or a signing key (--signing), not both.', 'Leave out one of them.');
        if (opts.username && provider !== 'bitbucket') throw usage('--username is for Bitbucket only.', 'Leave it out; GitHub and GitLab tokens name the account themselves.');

        const { requestDeviceCode, waitForDeviceToken } = await import('../../publish/device-flow');
        const { githubClientId } = await import('../../publish/sign-in');
        const { tokenPageUrl } = await import('../../publish/endpoints');
        let stdinUsed = false;
        const say = (text: string) => io.stderr.write(`${text}\n`);
        const signIn: SignInDriver = async (e: Endpoint, need, reason) => {
          if (reason === 'rejected') say(`keydock: ${e.name} no longer accepts the saved sign-in (expired or revoked); KeyDock forgot it.`);
          if (reason === 'scopes') say(`keydock: the saved ${e.name} sign-in does not allow ${need.join(', ')}; signing in again.`);
          const username = provider === 'bitbucket' ? opts.username : undefined;
          if (opts.tokenStdin) {
            if (stdinUsed) throw new KeyDockError('publish-token-rejected', `${e.name} did not accept the token from standard input.`, `Create a token with ${need.join(', ')} and pipe it in again.`);
            stdinUsed = true;
            if (provider === 'bitbucket' && !username) throw usage('Bitbucket needs --username with --token-stdin.', 'Pass --username with your Atlassian account e-mail.');
            const token = await readTokenLine(io);
            return { token, ...(username ? { username } : {}), method: 'token' };
          }
          const clientId = e.provider === 'github' ? githubClientId(ctx.env, e) : null;
          if (clientId) {
            const code = await requestDeviceCode(fetch, e, clientId, need);
            say(`To let KeyDock add the key, open ${code.verificationUri} and enter the code ${code.userCode}`);
            say(`(KeyDock asks ${e.name} only for: ${need.join(', ')}. The code is valid for ${Math.round(code.expiresIn / 60)} minutes.) Waiting…`);
            const t = await waitForDeviceToken(fetch, e, clientId, code);
            say(`Signed in to ${e.name}.`);
            return { token: t.token, scopes: t.scopes, method: 'device' };
          }
          if (!io.stdin.isTTY) {
            throw usage(`KeyDock needs a ${e.name} token and there is no terminal to ask on.`, `Create one at ${tokenPageUrl(e, kind)} (scopes: ${need.join(', ')}) and pipe it in with --token-stdin${provider === 'bitbucket' ? ' --username EMAIL' : ''}.`);
          }
          say(`Create a token for KeyDock at:\n  ${tokenPageUrl(e, kind)}\nwith ${need.length > 1 ? 'the scopes' : 'the scope'} ${need.join(', ')} (nothing else is needed), then paste it below.`);
          const user = username ?? (provider === 'bitbucket' ? (await promptLine(io, 'Atlassian account e-mail: ')).trim() : undefined);
          const token = (await promptHidden(io, 'Token (not shown): ')).trim();
          if (!token) throw usage('No token was entered.', 'Run the command again and paste the token.');
          return { token, ...(user ? { username: user } : {}), method: 'token' };
        };

        const { publishKey } = await import('../../publish/publish');
        const { resolve } = await import('node:path');
        const outcome = await publishKey(
          services,
          {
            provider,
            keyPath: resolve(key),
            kind,
            ...(opts.api ? { api: opts.api } : {}),
            ...(opts.repo ? { repo: opts.repo } : {}),
            ...(opts.readWrite ? { readWrite: true } : {}),
            ...(opts.title ? { title: opts.title } : {}),
            test: opts.test !== false,
          },
          {
            signIn,
            ...(opts.verbose && !out.json ? { onStep: (s) => say(`keydock publish: ${s.ok ? 'ok  ' : 'FAIL'} ${s.name}${s.detail ? `: ${s.detail}` : ''}`) } : {}),
          },
        );
        out.success({ ...outcome }, () => render(outcome));
        if (outcome.test && !outcome.test.works) out.setExitCode(1);
      }),
    );
}
