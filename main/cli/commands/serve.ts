import type { Command } from 'commander';
import { KeyDockError } from '../../util/errors';
import { OPENSSH_AGENT_PIPE } from '../../platform/windows/pipe-names';
import type { WindowsTransports } from '../../agent/transports/windows';
import type { CommandEnv } from '../program';

const SERVE_HELP = `
Runs in the foreground until SIGTERM or SIGINT (Ctrl-C), then removes the socket.
The first line on stdout is the shell assignment, like \`ssh-agent -s\`:
  SSH_AUTH_SOCK=PATH; export SSH_AUTH_SOCK;
so \`eval "$(keydock serve | head -n 2)"\` in another shell, or copy the line.

Keys live in memory only. Keys added with \`ssh-add -c\` are confirmed through
$SSH_ASKPASS (with SSH_ASKPASS_PROMPT=confirm, as OpenSSH's agent does; exit 0 = allow);
no answer within 30 s = deny. Connections from other users are refused.`;

/** Shell-safe value for the SSH_AUTH_SOCK line (plain paths stay unquoted, like ssh-agent). */
function shellValue(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `keydock serve`: KeyDock's own agent for shells and ssh, as a drop-in for `ssh-agent -D`. */
export function registerServeCommands(program: Command, env: CommandEnv): void {
  program
    .command('serve')
    .description('run KeyDock’s own SSH agent on a Unix socket (foreground)')
    .option('-a, --socket <path>', 'socket path (default: $XDG_RUNTIME_DIR/keydock/agent.sock, else a new 0700 temp dir)')
    .option('-v, --verbose', 'log every request (client, operation, key fingerprint, outcome) to stderr')
    .option('--pageant', 'Windows: also answer PuTTY, WinSCP and TortoiseGit (Pageant window + Pageant pipe)')
    .option('--openssh-pipe', `Windows: also serve ${OPENSSH_AGENT_PIPE} for ssh.exe and Git`)
    .addHelpText('after', SERVE_HELP)
    .action(
      env.run(async (out, opts: { socket?: string; verbose?: boolean; pageant?: boolean; opensshPipe?: boolean }) => {
        const io = env.io;
        if ((opts.pageant || opts.opensshPipe) && process.platform !== 'win32') {
          throw new KeyDockError('windows-only', '--pageant and --openssh-pipe exist only on Windows.', 'On this system, use the Unix socket `keydock serve` prints.', { exitCode: 2 });
        }
        const [{ AskpassConfirmer }, { startOwnAgent }, { peerCredentialsSupported }] = await Promise.all([
          import('../../agent/server/askpass'),
          import('../../agent/server/own-agent'),
          import('../../agent/transports/peer-cred'),
        ]);
        const confirmer = new AskpassConfirmer(io.env);
        const agent = await startOwnAgent({
          env: io.env,
          socketPath: opts.socket,
          server: { confirmer },
          onRefused: (reason) => io.stderr.write(`keydock serve: refused a connection: ${reason}\n`),
        });
        let windows: WindowsTransports | null = null;
        if (opts.pageant || opts.opensshPipe) {
          const { startWindowsTransports } = await import('../../agent/transports/windows');
          try {
            windows = await startWindowsTransports(agent.server, {
              pageantWindow: Boolean(opts.pageant),
              pageantPipe: Boolean(opts.pageant),
              opensshPipe: Boolean(opts.opensshPipe),
              onEvent: (e) => io.stderr.write(`keydock serve: ${e.transport}: ${e.kind}: ${e.detail}\n`),
            });
          } catch (e) {
            await agent.stop();
            throw e;
          }
          io.stderr.write(`keydock serve: Windows endpoints: ${JSON.stringify(windows?.endpoints)}\n`);
        }
        if (opts.verbose) {
          agent.server.activity.subscribe((e) => {
            const parts = [new Date(e.at).toISOString(), e.client, e.operation, e.fingerprint ?? '-', e.destination ?? '-', e.outcome, e.detail ?? ''];
            io.stderr.write(`keydock serve: ${parts.join(' ').trimEnd()}\n`);
          });
        }
        if (out.json) {
          io.stdout.write(JSON.stringify({ ok: true, socket: agent.socketPath, pid: process.pid }) + '\n');
        } else {
          io.stdout.write(`SSH_AUTH_SOCK=${shellValue(agent.socketPath)}; export SSH_AUTH_SOCK;\n`);
          io.stdout.write(`SSH_AGENT_PID=${process.pid}; export SSH_AGENT_PID;\n`);
          io.stdout.write(`echo Agent pid ${process.pid};\n`);
        }
        if (!peerCredentialsSupported()) {
          io.stderr.write('keydock serve: warning: this system does not let KeyDock check who connects (no SO_PEERCRED/getpeereid); every connection will be dropped.\n');
        }
        const why = confirmer.unavailableReason();
        if (why) io.stderr.write(`keydock serve: note: keys added with confirmation (ssh-add -c) will be refused: ${why}.\n`);

        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGTERM', stop);
            process.off('SIGINT', stop);
            process.off('SIGHUP', stop);
            resolve();
          };
          process.on('SIGTERM', stop);
          process.on('SIGINT', stop);
          process.on('SIGHUP', stop);
        });
        await windows?.stop();
        await agent.stop();
      }),
    );
}
