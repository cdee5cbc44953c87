import type { Command } from 'commander';
import type { CommandEnv } from '../program';

const WHICH_HELP = `
Shows what "ssh DESTINATION" would do, without connecting to it: the host name, port and user
after ~/.ssh/config (as ssh -G resolves them), the identity files (whether each exists and is
in the agent), IdentitiesOnly, the agent ssh would use (running? locked?), the known_hosts files
and whether the host key is already known, ProxyJump/ProxyCommand, and the keys in the order ssh
would offer them. It warns when a server's usual limit of 6 tries (MaxAuthTries) would be
reached before the host's own key. With --json the fields are named like ssh -G's keywords
(hostname, port, user, identityfile, identitiesonly, identityagent, userknownhostsfile,
proxyjump, proxycommand) plus KeyDock's own (agent, identityfiles, offers, warnings, …).

Exit status: 0 with an answer (warnings included), 2 when the destination or the config is
invalid (ssh would refuse it too).`;

/** `keydock which [user@]HOST[:PORT]`. */
export function registerWhichCommand(program: Command, env: CommandEnv): void {
  program
    .command('which')
    .description('show what "ssh HOST" would do: host, user, port, keys in offer order, agent, known host key')
    .argument('<destination>', '[user@]HOST[:PORT], as you would give it to ssh')
    .option('-F, --config <file>', 'read only this SSH config file, like ssh -F')
    .addHelpText('after', WHICH_HELP)
    .action(
      // The read-only commands' chunk loads only when one of them runs (scripts/cli-bundle.mjs).
      env.run((out, destination: string, opts: { config?: string }) => import('./read-only').then((c) => c.whichCommand(env, out, destination, opts))),
    );
}
