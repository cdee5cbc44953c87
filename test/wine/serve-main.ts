// Wine scenario, server side: KeyDock's real AgentServer on all three Windows transports,
// plus two "refusing" endpoints whose expected user SID is injected (Wine runs every process
// as the same user, so a different-SID peer cannot be produced there; this exercises the
// refusal path end to end instead). Prints READY {json} then EVENT {json} lines; runs until killed.
import { AgentServer } from '../../main/agent/server/server';
import { startWindowsTransports } from '../../main/agent/transports/windows';
import { ownSids, win32 } from '../../main/platform/windows/win32';

const FOREIGN_SID = 'S-1-5-21-1111111111-2222222222-3333333333-1001';
const print = (tag: string, obj: unknown) => process.stdout.write(`${tag} ${JSON.stringify(obj)}\n`);

const server = new AgentServer();
const onEvent = (e: unknown) => print('EVENT', e);
const main = await startWindowsTransports(server, { pageantWindow: true, pageantPipe: true, opensshPipe: true, onEvent });
const refusing = await startWindowsTransports(server, {
  pageantWindow: true,
  pageantWindowClass: 'KeyDockRefusingWindow',
  opensshPipe: true,
  opensshPipePath: '\\\\.\\pipe\\keydock-refusing-pipe',
  expectedUserSid: FOREIGN_SID,
  onEvent,
});
print('READY', { pid: process.pid, endpoints: main.endpoints, refusing: refusing.endpoints, sids: ownSids(win32()) });

const stop = async () => {
  await refusing.stop();
  await main.stop();
  print('STOPPED', {});
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
