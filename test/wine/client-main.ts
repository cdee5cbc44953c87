// Wine scenario, client side (a second Windows process): adds a key through the OpenSSH pipe,
// then lists and signs through each transport with KeyDock's clients, checks the size limits
// of the window, the refusals, and that a second KeyDock never silently fails to listen.
// Prints one `CHECK {"name","ok","detail"}` line per check, then `DONE`.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { KeyDockError } from '../../main/util/errors';
import { OPENSSH_AGENT_PIPE } from '../../main/platform/windows/pipe-names';
import {
  openOpenSshPipeStream,
  openPageantPipeStream,
  openPageantStream,
  openPageantWindowStream,
  pageantCopyDataExchange,
} from '../../main/agent/transports/pageant-client';
import { startWindowsTransports, currentPageantPipeName, inspectOpenSshPipe } from '../../main/agent/transports/windows';
import { openCheckedPipe } from '../../main/agent/transports/windows/pipe-client';
import { ownSids, win32 } from '../../main/platform/windows/win32';
import { LIST, addEd25519Request, checkEd25519Signature, exchange, frame, parseIdentities, signRequest } from './wire';

const check = (name: string, ok: boolean, detail: unknown = '') => process.stdout.write(`CHECK ${JSON.stringify({ name, ok, detail: String(detail) })}\n`);
const attempt = async (name: string, fn: () => Promise<string | void>) => {
  try {
    const detail = await fn();
    check(name, true, detail ?? '');
  } catch (e) {
    check(name, false, e instanceof Error ? `${(e as KeyDockError).code ?? e.name}: ${e.message}` : e);
  }
};
const expectCode = async (fn: () => Promise<unknown>, code: string): Promise<string> => {
  try {
    await fn();
  } catch (e) {
    if (e instanceof KeyDockError && e.code === code) return `${code}: ${e.message} | ${e.hint}`;
    throw new Error(`expected ${code}, got ${e instanceof Error ? e.message : String(e)}`);
  }
  throw new Error(`expected ${code}, but it succeeded`);
};

const { privateKey } = generateKeyPairSync('ed25519');
const { body: addBody, blob } = addEd25519Request(privateKey, 'wine@keydock');

const listAndSign = async (stream: Duplex): Promise<string> => {
  try {
    const ids = parseIdentities(await exchange(stream, LIST));
    if (!ids.some((i) => i.blob.equals(blob))) throw new Error(`key not listed (got ${ids.length} keys)`);
    const data = randomBytes(64);
    const problem = checkEd25519Signature(await exchange(stream, signRequest(blob, data)), blob, data);
    if (problem) throw new Error(problem);
    return `${ids.length} key(s), signature verified`;
  } finally {
    stream.destroy();
  }
};

await attempt('add key via OpenSSH pipe (plain net.connect, as Windows OpenSSH connects)', async () => {
  const s = connect(OPENSSH_AGENT_PIPE);
  await new Promise<void>((res, rej) => s.once('connect', () => res()).once('error', rej));
  try {
    const reply = await exchange(s, addBody);
    if (reply[0] !== 6) throw new Error(`ADD_IDENTITY answered ${reply[0]}`);
  } finally {
    s.destroy();
  }
});
await attempt('openssh-pipe list+sign (net.connect)', async () => {
  const s = connect(OPENSSH_AGENT_PIPE);
  await new Promise<void>((res, rej) => s.once('connect', () => res()).once('error', rej));
  return listAndSign(s);
});
await attempt('openssh-pipe list+sign (KeyDock client, owner checked)', async () => listAndSign(await openOpenSshPipeStream()));
await attempt('pageant-pipe list+sign (KeyDock client, owner checked)', async () => listAndSign(await openPageantPipeStream()));
await attempt('pageant-window list+sign (WM_COPYDATA)', async () => listAndSign(openPageantWindowStream()));
await attempt('pageant auto: pipe first like PuTTY', async () => {
  const { stream, via } = await openPageantStream();
  if (via !== 'pageant-pipe') throw new Error(`went via ${via}`);
  return listAndSign(stream);
});
await attempt('pageant-window works with an old 8192-byte client mapping', async () => {
  const reply = await pageantCopyDataExchange(frame(LIST), { mappingSize: 8192 });
  return `${parseIdentities(reply.subarray(4)).length} key(s)`;
});
await attempt('pageant-window: request longer than the mapping gets FAILURE', async () => {
  const f = Buffer.alloc(8192);
  f.writeUInt32BE(20000, 0); // claims more than an 8192-byte mapping can hold
  f[4] = 11;
  const reply = await pageantCopyDataExchange(f, { mappingSize: 8192 });
  if (!reply.equals(Buffer.from([0, 0, 0, 1, 5]))) throw new Error(`got ${reply.toString('hex')}`);
});
await attempt('pageant-window: request over 256 KiB gets FAILURE even in a big mapping', async () => {
  const f = Buffer.alloc(262144 + 5 + 4);
  f.writeUInt32BE(262144 + 5, 0);
  f[4] = 11;
  const reply = await pageantCopyDataExchange(f, { mappingSize: 400_000 });
  if (!reply.equals(Buffer.from([0, 0, 0, 1, 5]))) throw new Error(`got ${reply.toString('hex')}`);
});
await attempt('pageant-window refuses a mapping not owned by the expected user', async () =>
  expectCode(() => pageantCopyDataExchange(frame(LIST), { className: 'KeyDockRefusingWindow' }), 'agent-refused'),
);
await attempt('pipe server refuses a client whose user SID differs (injected expected SID)', async () => {
  const s = connect('\\\\.\\pipe\\keydock-refusing-pipe');
  try {
    await new Promise<void>((res, rej) => s.once('connect', () => res()).once('error', rej));
  } catch (e) {
    // The server may close the refused instance before the connect completes (seen under load).
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'ECONNRESET') return `closed at connect: ${code}`;
    throw e;
  }
  try {
    await exchange(s, LIST, 10_000);
  } catch (e) {
    return `closed without a reply: ${(e as Error).message}`;
  } finally {
    s.destroy();
  }
  throw new Error('the refusing pipe answered');
});
await attempt('client refuses a pipe not owned by an accepted SID (impostor check)', async () =>
  expectCode(() => openCheckedPipe(currentPageantPipeName(), ['S-1-5-21-9-9-9-1001']), 'agent-impostor'),
);
await attempt('pipe owner is the user (security descriptor applied)', async () => {
  const s = await openCheckedPipe(OPENSSH_AGENT_PIPE, [ownSids(win32()).user]);
  s.destroy();
  return ownSids(win32()).user;
});
await attempt('second KeyDock: OpenSSH pipe busy is reported with both choices', async () => {
  const plan = inspectOpenSshPipe(OPENSSH_AGENT_PIPE, ownSids(win32()).user);
  if (plan.action !== 'conflict') throw new Error('no conflict detected');
  const msg = await expectCode(() => startWindowsTransports({ serveStream() {}, handleFrame: async () => Buffer.alloc(0) }, { opensshPipe: true }), 'openssh-pipe-busy');
  return `${plan.owner}; ${msg}`;
});
await attempt('second KeyDock: running Pageant pipe is reported', async () =>
  expectCode(() => startWindowsTransports({ serveStream() {}, handleFrame: async () => Buffer.alloc(0) }, { pageantPipe: true }), 'pageant-running'),
);
await attempt('second KeyDock: running Pageant window is reported', async () =>
  expectCode(() => startWindowsTransports({ serveStream() {}, handleFrame: async () => Buffer.alloc(0) }, { pageantWindow: true }), 'pageant-running'),
);
check('pageant pipe name', true, currentPageantPipeName());
process.stdout.write('DONE\n');
process.exit(0);
