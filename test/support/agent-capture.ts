import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { startAgentRecorder, type AgentRecorder, type RecordedFrame } from './agent-recorder';
import { run } from './processes';
import { startOpenSshAgent, type RealAgent } from './ssh-agent';
import { startSshd, type Sshd } from './sshd';
import { makeTmpHome, type TmpHome } from './tmp-home';

/** Frames OpenSSH's own tools exchanged with OpenSSH's ssh-agent, as saved in test/fixtures/agent. */
export interface AgentCapture {
  /** `ssh -V` of the tools that produced the frames. */
  openssh: string;
  note: string;
  frames: RecordedFrame[];
}

/**
 * `full`: everything scripts/capture-agent-frames.ts saves as the fixture. `live`: the smaller
 * set the integration test re-captures on every run (same labels, so the two can be compared).
 */
export type CaptureScenario = 'full' | 'live';

const PASSWORD = 'keydock-capture-password';

const NOTE =
  'Frames between OpenSSH tools and ssh-agent, recorded by scripts/capture-agent-frames.ts. Every key in them was made by ssh-keygen for the capture and thrown away.';

/** The password the askpass script types; a variable so one step can type a wrong one. */
const ASKPASS = `#!/bin/sh
printf '%s\\n' "$KEYDOCK_CAPTURE_PASSWORD"
`;

interface Rig {
  home: TmpHome;
  keys: string;
  agent: RealAgent;
  recorder: AgentRecorder;
  env: NodeJS.ProcessEnv;
  sshd: Sshd | null;
}

export async function opensshVersion(): Promise<string> {
  const r = await run('ssh', ['-V']);
  return r.stderr.trim() || r.stdout.trim();
}

/** Runs real ssh-add / ssh-keygen / ssh against a real ssh-agent through the recorder. */
export async function captureOpenSshFrames(scenario: CaptureScenario): Promise<AgentCapture> {
  const rig = await setUp();
  try {
    await (scenario === 'full' ? fullScenario(rig) : liveScenario(rig));
    return { openssh: await opensshVersion(), note: NOTE, frames: rig.recorder.frames };
  } finally {
    await tearDown(rig);
  }
}

async function setUp(): Promise<Rig> {
  const home = await makeTmpHome('keydock-capture-');
  const keys = join(home.dir, 'keys');
  await mkdir(keys, { mode: 0o700 });
  await writeFile(join(home.dir, 'askpass.sh'), ASKPASS, { mode: 0o700 });
  const agent = await startOpenSshAgent();
  const recorder = await startAgentRecorder(agent.socket);
  const env: NodeJS.ProcessEnv = {
    ...home.env,
    SSH_AUTH_SOCK: recorder.socket,
    SSH_ASKPASS: join(home.dir, 'askpass.sh'),
    SSH_ASKPASS_REQUIRE: 'force',
    DISPLAY: ':0',
    KEYDOCK_CAPTURE_PASSWORD: PASSWORD,
  };
  return { home, keys, agent, recorder, env, sshd: null };
}

async function tearDown(rig: Rig): Promise<void> {
  await rig.sshd?.stop();
  await rig.recorder.close();
  await rig.agent.stop();
  await rm(dirname(rig.agent.socket), { recursive: true, force: true });
  await rig.home.cleanup();
}

interface StepOptions {
  /** Exit codes that mean the step did what it should (a refused request exits 1). */
  ok?: number[];
  env?: NodeJS.ProcessEnv;
  /** Instead of the command line (when it holds temporary paths). */
  label?: string;
}

/** Runs one tool with cwd = the key dir; frames it causes are labelled with its command line. */
async function step(rig: Rig, cmd: string, args: string[], options: StepOptions = {}): Promise<string> {
  rig.recorder.label = options.label ?? [cmd, ...args].join(' ');
  const r = await run(cmd, args, { cwd: rig.keys, env: { ...rig.env, ...options.env }, timeoutMs: 60_000 });
  if (!(options.ok ?? [0]).includes(r.code ?? -1)) throw new Error(`${rig.recorder.label} exited ${r.code}: ${r.stderr}`);
  return r.stdout + r.stderr;
}

/** A fresh key made by ssh-keygen (never a user's own key). */
async function keygen(rig: Rig, name: string, type: string, bits?: number): Promise<void> {
  const r = await run('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', `${name}@keydock-capture`, '-f', join(rig.keys, name)], { env: rig.home.env });
  if (r.code !== 0) throw new Error(`ssh-keygen ${type}: ${r.stderr}`);
}

async function pubBlob(rig: Rig, name: string): Promise<string> {
  const [type, blob] = (await readFile(join(rig.keys, `${name}.pub`), 'utf8')).trim().split(/\s+/);
  return `${type} ${blob}`;
}

/** A subset of the full scenario with the same labels, so its frames can be compared with the fixture's. */
async function liveScenario(rig: Rig): Promise<void> {
  await keygen(rig, 'ed25519', 'ed25519');
  await keygen(rig, 'ecdsa384', 'ecdsa', 384);
  await keygen(rig, 'ecdsa521', 'ecdsa', 521);
  await writeFile(join(rig.keys, 'message-1'), 'message 1 signed by ssh-agent for KeyDock\n');
  await step(rig, 'ssh-add', ['-l'], { ok: [0, 1] });
  await step(rig, 'ssh-add', ['ed25519']);
  await step(rig, 'ssh-add', ['ecdsa521']);
  await step(rig, 'ssh-add', ['-c', '-t', '60', 'ecdsa384']);
  await step(rig, 'ssh-add', ['-l']);
  await step(rig, 'ssh-keygen', ['-Y', 'sign', '-f', 'ed25519.pub', '-n', 'file', 'message-1']);
  await step(rig, 'ssh-add', ['-d', 'ecdsa521']);
  await step(rig, 'ssh-add', ['-x']);
  await step(rig, 'ssh-add', ['-X']);
}

async function fullScenario(rig: Rig): Promise<void> {
  const plain: Array<[string, string, number?]> = [
    ['ed25519', 'ed25519'],
    ['ecdsa256', 'ecdsa', 256],
    ['ecdsa384', 'ecdsa', 384],
    ['ecdsa521', 'ecdsa', 521],
    ['rsa', 'rsa', 3072],
  ];
  for (const [name, type, bits] of plain) await keygen(rig, name, type, bits);
  await step(rig, 'ssh-add', ['-l'], { ok: [0, 1] });
  for (const [name] of plain) await step(rig, 'ssh-add', [name]);
  await step(rig, 'ssh-add', ['-l']);
  await step(rig, 'ssh-add', ['-L']);
  await step(rig, 'ssh-add', ['-c', 'ecdsa384']);
  await step(rig, 'ssh-add', ['-t', '60', 'ecdsa256']);
  await step(rig, 'ssh-add', ['-c', '-t', '60', 'ecdsa384']);
  await destinationConstrained(rig);
  await certificates(rig);
  await signatures(rig);
  await sshLogin(rig);
  await step(rig, 'ssh-add', ['-d', 'ecdsa521']);
  await step(rig, 'ssh-add', ['-d', 'ecdsa521'], { ok: [1] });
  await lockUnlock(rig);
  await smartcard(rig);
  await query(rig);
  await step(rig, 'ssh-add', ['-D']);
  await step(rig, 'ssh-add', ['-l'], { ok: [1] });
}

/** `-h` with two constraints: a direct hop (two host keys) and a hop on to a CA-certified host. */
async function destinationConstrained(rig: Rig): Promise<void> {
  await keygen(rig, 'restricted', 'ed25519');
  await keygen(rig, 'host-ed25519', 'ed25519');
  await keygen(rig, 'host-ecdsa', 'ecdsa', 256);
  await keygen(rig, 'host-ca', 'ed25519');
  const knownHosts = [
    `server.example ${await pubBlob(rig, 'host-ed25519')}`,
    `server.example ${await pubBlob(rig, 'host-ecdsa')}`,
    `@cert-authority *.example.org ${await pubBlob(rig, 'host-ca')}`,
  ];
  await writeFile(join(rig.keys, 'known_hosts'), `${knownHosts.join('\n')}\n`);
  await step(rig, 'ssh-add', ['-H', 'known_hosts', '-h', 'git@server.example', '-h', 'server.example>deploy@inner.example.org', 'restricted']);
}

/** ssh-add adds a key and the `-cert.pub` beside it: one certificate per private-field layout. */
async function certificates(rig: Rig): Promise<void> {
  await keygen(rig, 'user-ca', 'ed25519');
  const certified: Array<[string, string, number?]> = [
    ['ed25519-certified', 'ed25519'],
    ['ecdsa-certified', 'ecdsa', 256],
    ['rsa-certified', 'rsa', 2048],
  ];
  for (const [name, type, bits] of certified) {
    await keygen(rig, name, type, bits);
    const r = await run('ssh-keygen', ['-q', '-s', 'user-ca', '-I', `${name}-id`, '-n', 'capture', `${name}.pub`], { cwd: rig.keys, env: rig.home.env });
    if (r.code !== 0) throw new Error(`ssh-keygen -s: ${r.stderr}`);
    await step(rig, 'ssh-add', [name]);
  }
}

/** The agent signs for ssh-keygen -Y sign (RSA: rsa-sha2-512, whatever -t says in 9.2), and with a certificate. */
async function signatures(rig: Rig): Promise<void> {
  const signs: Array<[string, string[]]> = [
    ['ed25519.pub', []],
    ['ecdsa256.pub', []],
    ['ecdsa521.pub', []],
    ['rsa.pub', []],
    ['rsa-certified-cert.pub', []],
  ];
  let n = 0;
  for (const [key, extra] of signs) {
    const message = `message-${++n}`;
    await writeFile(join(rig.keys, message), `message ${n} signed by ssh-agent for KeyDock\n`);
    await step(rig, 'ssh-keygen', ['-Y', 'sign', '-f', key, '-n', 'file', ...extra, message]);
  }
}

/**
 * Real logins: ssh binds the agent connection to the session (session-bind) and has userauth
 * data signed. RSA logins pin the algorithm, which is how the SHA-2 sign flags get sent.
 */
async function sshLogin(rig: Rig): Promise<void> {
  const sshd = await startSshd({ greeting: 'gitlab' });
  rig.sshd = sshd;
  await sshd.addKey(join(rig.keys, 'ed25519.pub'), 'capture');
  await sshd.addKey(join(rig.keys, 'rsa.pub'), 'capture-rsa');
  const logins: Array<[string, string[]]> = [
    ['ed25519.pub', []],
    ['rsa.pub', ['-o', 'PubkeyAcceptedAlgorithms=rsa-sha2-256']],
    ['rsa.pub', ['-o', 'PubkeyAcceptedAlgorithms=ssh-rsa']],
  ];
  for (const [key, extra] of logins) {
    const label = ['ssh', '-o', `IdentityFile=${key}`, ...extra, 'sandbox'].join(' ');
    const out = await step(rig, 'ssh', ['-F', sshd.sshConfigFile, '-o', `IdentityFile=${key}`, ...extra, 'sandbox'], { label });
    if (!out.includes('Welcome to GitLab')) throw new Error(`${label} did not reach the greeting: ${out}`);
  }
}

async function lockUnlock(rig: Rig): Promise<void> {
  await step(rig, 'ssh-add', ['-x']);
  await step(rig, 'ssh-add', ['-l'], { ok: [1] });
  await step(rig, 'ssh-add', ['-X'], { ok: [1], env: { KEYDOCK_CAPTURE_PASSWORD: 'not-the-password' }, label: 'ssh-add -X (wrong password)' });
  await step(rig, 'ssh-add', ['-X']);
}

/** An empty file as PKCS#11 provider: the agent refuses it (not allow-listed) without loading it. */
async function smartcard(rig: Rig): Promise<void> {
  await writeFile(join(rig.keys, 'not-a-pkcs11.so'), '');
  await step(rig, 'ssh-add', ['-s', 'not-a-pkcs11.so'], { ok: [1] });
  await step(rig, 'ssh-add', ['-c', '-s', 'not-a-pkcs11.so'], { ok: [1] });
  await step(rig, 'ssh-add', ['-e', 'not-a-pkcs11.so'], { ok: [1] });
}

/**
 * ssh-add has no option that sends `query`, so the script sends it itself (labelled as such):
 * only the agent's reply is OpenSSH's bytes here.
 */
async function query(rig: Rig): Promise<void> {
  rig.recorder.label = 'query extension sent by the capture script (no ssh-add option sends it)';
  const request = Buffer.concat([Buffer.from([0, 0, 0, 10, 27, 0, 0, 0, 5]), Buffer.from('query')]);
  await new Promise<void>((resolve, reject) => {
    const s = createConnection(rig.recorder.socket, () => s.write(request));
    s.once('data', () => {
      s.end();
      resolve();
    });
    s.once('error', reject);
  });
}
