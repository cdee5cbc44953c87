// Smartcards (PKCS#11) end to end with real peers: a SoftHSM 2 token holding an RSA and an ECDSA
// key (imported the way OpenSSH's agent-pkcs11 regress test does), OpenSSH's ssh-agent with -P,
// KeyDock's own agent (`keydock serve`) with ssh-add -s / -e, and sshd checking a login whose
// signature is made on the token. docs/hardware-keys.md says what this covers.
import { existsSync } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createContext, disposeContext } from '../../../main/context';
import { run, startProcess, stopProcess } from '../../support/processes';
import { startOpenSshAgent, type RealAgent } from '../../support/ssh-agent';
import { startSshd, type Sshd } from '../../support/sshd';
import { makeTmpHome, type TmpHome } from '../../support/tmp-home';
import { keydockJson, type KeydockJsonResult } from '../../support/keydock-json';

const LIBS = ['/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so', '/usr/lib64/pkcs11/libsofthsm2.so'];
const LIB = LIBS.find((l) => existsSync(l)) ?? null;
const missing = LIB === null ? 'SoftHSM 2 is not installed (scripts/install-deps.sh: softhsm2)' : null;
const PIN = '1234';
const BIN = join(process.cwd(), 'bin', 'keydock.cjs');

let dir: string;
let tokenDir: string;
let home: TmpHome;
let sshd: Sshd;
let rsaPub: string;
let ecPub: string;
const fingerprints: string[] = [];

/** The keydock command (its own process: it reads the PIN from stdin), returning the exit code and its one JSON object. */
function keydock(argv: string[], stdin = ''): Promise<KeydockJsonResult> {
  return keydockJson(argv, { env: { ...home.env, SOFTHSM2_CONF: process.env.SOFTHSM2_CONF }, stdin });
}

/** ssh to the local sshd with the agent at `socket` offering the key of `pub`; the greeter names the key it accepted. */
function sshLogin(socket: string, pub: string) {
  return run('ssh', ['-F', sshd.sshConfigFile, '-i', pub, '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-T', 'sandbox'], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
}

/** ssh-add with no terminal (setsid), so it reads the PIN from stdin as the regress test's notty does. */
function sshAdd(socket: string, args: string[], input = '') {
  const env: NodeJS.ProcessEnv = { ...process.env, SSH_AUTH_SOCK: socket, SSH_ASKPASS: '/bin/false' };
  delete env.DISPLAY;
  return run('setsid', ['-w', 'ssh-add', ...args], { env, input });
}

beforeAll(async () => {
  if (missing) return;
  dir = await mkdtemp(join(tmpdir(), 'kd-pkcs11-'));
  tokenDir = join(dir, 'tokens');
  await mkdir(tokenDir);
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  // Read by the library at C_Initialize: in this process (the CLI's check) and in every agent started from it.
  process.env.SOFTHSM2_CONF = conf;
  const init = await run('softhsm2-util', ['--init-token', '--free', '--label', 'kd-token', '--pin', PIN, '--so-pin', '12345678']);
  expect(init.code, init.stderr + init.stdout).toBe(0);
  for (const [name, args, id] of [
    ['rsa', ['genpkey', '-algorithm', 'rsa', '-pkeyopt', 'rsa_keygen_bits:2048'], '01'],
    ['ec', ['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'], '02'],
  ] as const) {
    const key = join(dir, name);
    expect((await run('openssl', [...args, '-out', key])).code).toBe(0);
    const pkcs8 = await run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', key, '-out', `${key}.p8`]);
    expect(pkcs8.code, pkcs8.stderr).toBe(0);
    const imp = await run('softhsm2-util', ['--token', 'kd-token', '--label', `card-${name}`, '--id', id, '--pin', PIN, '--import', `${key}.p8`]);
    expect(imp.code, imp.stderr + imp.stdout).toBe(0);
    await run('chmod', ['600', key]);
    const pub = await run('ssh-keygen', ['-y', '-f', key]);
    expect(pub.code, pub.stderr).toBe(0);
    await writeFile(`${key}.pub`, pub.stdout);
    const fp = await run('ssh-keygen', ['-l', '-f', `${key}.pub`]);
    fingerprints.push(fp.stdout.split(' ')[1] as string);
  }
  rsaPub = join(dir, 'rsa.pub');
  ecPub = join(dir, 'ec.pub');
  home = await makeTmpHome('kd-pkcs11-home-');
  sshd = await startSshd();
  await sshd.addKey(rsaPub, 'card-rsa');
  await sshd.addKey(ecPub, 'card-ec');
}, 120_000);

afterAll(async () => {
  if (missing) return;
  await sshd?.stop();
  await home?.cleanup();
  delete process.env.SOFTHSM2_CONF;
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== null)(`PKCS#11 tokens${missing ? ` (skipped: ${missing})` : ''}`, () => {
  describe('keydock add --pkcs11 into OpenSSH’s ssh-agent', () => {
    let allowed: RealAgent;
    let refusing: RealAgent;
    beforeAll(async () => {
      // Each keydock here is a process of its own (bin/keydock.cjs, through tsx when the bundle is older than the sources).
      allowed = await startOpenSshAgent(['-P', `${join(LIB as string, '..')}/*,/usr/lib*/*`]);
      refusing = await startOpenSshAgent(['-P', '/opt/nothing-here/*']);
    });
    afterAll(async () => {
      await allowed?.stop();
      await refusing?.stop();
    });

    it('a wrong PIN is said as such and adds nothing', { timeout: 180_000 }, async () => {
      const r = await keydock(['add', '--pkcs11', LIB as string, '--pin-stdin', '--agent', allowed.socket], '0000\n');
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ ok: false, error: { code: 'pkcs11-pin-incorrect' } });
      expect((await allowed.sshAdd(['-l'])).stdout).toContain('no identities');
    });

    it('adds the token’s RSA and ECDSA keys, marked as smartcard keys, and ssh logs in signing on the token', { timeout: 180_000 }, async () => {
      const r = await keydock(['add', '--pkcs11', LIB as string, '--pin-stdin', '--agent', allowed.socket], `${PIN}\n`);
      expect(r.code, JSON.stringify(r.json)).toBe(0);
      const added = r.json.added as Array<{ fingerprint: string; smartcard?: { provider: string } }>;
      expect(added.map((a) => a.fingerprint).sort()).toEqual([...fingerprints].sort());
      for (const a of added) expect(a.smartcard?.provider).toMatch(/libsofthsm2\.so$/);
      const list = await keydock(['list', '--agent', allowed.socket]);
      expect((list.json.identities as Array<{ fingerprint: string }>).map((i) => i.fingerprint).sort()).toEqual([...fingerprints].sort());
      for (const [pub, name] of [
        [rsaPub, 'card-rsa'],
        [ecPub, 'card-ec'],
      ] as const) {
        const login = await sshLogin(allowed.socket, pub);
        expect(login.stderr).toContain(`Hi ${name}!`);
      }
      const removed = await keydock(['remove', '--pkcs11', LIB as string, '--agent', allowed.socket]);
      expect(removed.code, JSON.stringify(removed.json)).toBe(0);
      expect((await allowed.sshAdd(['-l'])).stdout).toContain('no identities');
    });

    it('an agent whose -P list leaves the provider out: the refusal names the allow-list', { timeout: 180_000 }, async () => {
      const r = await keydock(['add', '--pkcs11', LIB as string, '--pin-stdin', '--agent', refusing.socket], `${PIN}\n`);
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ ok: false, error: { code: 'pkcs11-provider-refused' } });
      expect((r.json.error as { hint: string }).hint).toContain('-P');
    });

    it('a library that is not there, or not a PKCS#11 module, is said so before the agent is asked', { timeout: 180_000 }, async () => {
      const gone = await keydock(['add', '--pkcs11', join(dir, 'no-such-pkcs11.so'), '--pin-stdin', '--agent', allowed.socket], `${PIN}\n`);
      expect(gone.json).toMatchObject({ ok: false, error: { code: 'pkcs11-library-missing' } });
      expect(gone.code).toBe(2);
      const notLib = await keydock(['add', '--pkcs11', join(dir, 'softhsm2.conf'), '--pin-stdin', '--agent', allowed.socket], `${PIN}\n`);
      expect(notLib.json).toMatchObject({ ok: false, error: { code: 'pkcs11-library-missing' } });
    });
  });

  describe('the app’s agent asks the PIN in the window', () => {
    it('a card reinserted after a lock: the window is asked (kind pin), its answer logs in and signs', { timeout: 180_000 }, async () => {
      const ctx = createContext({ env: { ...home.env, SOFTHSM2_CONF: process.env.SOFTHSM2_CONF }, transport: 'cli' });
      const socket = join(dir, 'app-agent.sock');
      const asked: Array<{ comment: string; fingerprint: string }> = [];
      // The window: answers a PIN question with the PIN, and nothing else.
      const off = ctx.events.on('server:confirm-request', (r) => {
        if (r.kind !== 'pin') return;
        asked.push({ comment: r.comment, fingerprint: r.fingerprint });
        ctx.ownAgent.answerConfirm(r.requestId, true, PIN);
      });
      try {
        await ctx.ownAgent.start(socket);
        expect((await sshAdd(socket, ['-s', LIB as string], `${PIN}\n`)).code).toBe(0);
        await ctx.agents.lock('lock-pass', socket);
        await ctx.agents.unlock('lock-pass', socket);
        const [token] = await import('node:fs/promises').then((fs) => fs.readdir(tokenDir));
        const away = join(dir, 'pulled-token');
        await rename(join(tokenDir, token as string), away);
        expect((await sshAdd(socket, ['-T', rsaPub])).code).toBe(1);
        await rename(away, join(tokenDir, token as string));
        expect(asked).toEqual([]);
        expect((await sshAdd(socket, ['-T', rsaPub])).code).toBe(0);
        expect(asked).toEqual([{ comment: 'kd-token', fingerprint: expect.stringMatching(/libsofthsm2\.so$/) as unknown as string }]);
      } finally {
        off();
        await ctx.ownAgent.stop();
        await disposeContext(ctx);
      }
    });
  });

  describe('KeyDock’s own agent (keydock serve) with ssh-add -s / -e', () => {
    let agent: ChildProcess;
    let socket: string;
    let askpassLog: string;
    beforeAll(async () => {
      socket = join(dir, 'keydock-agent.sock');
      // The agent's askpass answers the PIN question (and notes that it was asked).
      askpassLog = join(dir, 'askpass.log');
      const askpass = join(dir, 'askpass.sh');
      await writeFile(askpass, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${askpassLog}'\necho ${PIN}\n`, { mode: 0o755 });
      const env = { ...home.env, SOFTHSM2_CONF: process.env.SOFTHSM2_CONF, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' };
      agent = startProcess(process.execPath, [BIN, 'serve', '-D', '-a', socket, '-P', `${join(LIB as string, '..')}/*,/usr/lib*/*`], { env });
      for (let i = 0; i < 600; i++) {
        try {
          await access(socket);
          return;
        } catch {
          if (agent.exitCode !== null) throw new Error(`keydock serve exited with ${agent.exitCode}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      throw new Error('keydock serve did not listen');
    }, 60_000);
    afterAll(async () => {
      if (agent) await stopProcess(agent);
    });

    beforeEach(async () => {
      // Each case starts from an empty agent, whatever the one before left.
      await sshAdd(socket, ['-e', LIB as string]);
      await sshAdd(socket, ['-D']);
    });

    it('a wrong PIN: ssh-add -s fails, no keys, the agent carries on', { timeout: 180_000 }, async () => {
      const r = await sshAdd(socket, ['-s', LIB as string], '0000\n');
      expect(r.code).toBe(1);
      expect((await sshAdd(socket, ['-l'])).stdout).toContain('no identities');
    });

    it('ssh-add -s loads the token; keydock list marks the keys; ssh-add -T and ssh sign on the token; ssh-add -e removes them', { timeout: 180_000 }, async () => {
      const add = await sshAdd(socket, ['-s', LIB as string], `${PIN}\n`);
      expect(add.code, add.stderr).toBe(0);
      const list = await keydock(['list', '--agent', socket]);
      const ids = list.json.identities as Array<{ fingerprint: string; smartcard?: { provider: string } }>;
      expect(ids.map((i) => i.fingerprint).sort()).toEqual([...fingerprints].sort());
      for (const i of ids) expect(i.smartcard?.provider).toMatch(/libsofthsm2\.so$/);
      for (const pub of [rsaPub, ecPub]) expect((await sshAdd(socket, ['-T', pub])).code).toBe(0);
      expect((await sshLogin(socket, rsaPub)).stderr).toContain('Hi card-rsa!');
      expect((await sshLogin(socket, ecPub)).stderr).toContain('Hi card-ec!');
      // Added twice: refused, as ssh-agent does.
      expect((await sshAdd(socket, ['-s', LIB as string], `${PIN}\n`)).code).toBe(1);
      const del = await sshAdd(socket, ['-e', LIB as string]);
      expect(del.code, del.stderr).toBe(0);
      expect((await sshAdd(socket, ['-l'])).stdout).toContain('no identities');
      expect((await sshAdd(socket, ['-e', LIB as string])).code).toBe(1);
    });

    it('a pulled token fails the signature cleanly; put back, it signs again', { timeout: 180_000 }, async () => {
      expect((await sshAdd(socket, ['-s', LIB as string], `${PIN}\n`)).code).toBe(0);
      const [token] = await import('node:fs/promises').then((fs) => fs.readdir(tokenDir));
      const away = join(dir, 'pulled-token');
      await rename(join(tokenDir, token as string), away);
      try {
        expect((await sshAdd(socket, ['-T', ecPub])).code).toBe(1);
        expect((await sshAdd(socket, ['-T', rsaPub])).code).toBe(1);
        // Still there, still listing.
        expect(agent.exitCode).toBeNull();
        expect((await sshAdd(socket, ['-l'])).stdout).toContain(fingerprints[0]);
      } finally {
        await rename(away, join(tokenDir, token as string));
      }
      expect((await sshAdd(socket, ['-T', ecPub])).code).toBe(0);
      expect((await sshLogin(socket, rsaPub)).stderr).toContain('Hi card-rsa!');
      expect((await sshAdd(socket, ['-e', LIB as string])).code).toBe(0);
    });

    it('a lock wipes the kept PIN: a token reinserted afterwards gets it through askpass', { timeout: 180_000 }, async () => {
      expect((await sshAdd(socket, ['-s', LIB as string], `${PIN}\n`)).code).toBe(0);
      const lock = await keydock(['lock', '--agent', socket, '--passphrase-stdin'], 'lock-pass\n');
      expect(lock.code, JSON.stringify(lock.json)).toBe(0);
      const unlock = await keydock(['unlock', '--agent', socket, '--passphrase-stdin'], 'lock-pass\n');
      expect(unlock.code, JSON.stringify(unlock.json)).toBe(0);
      const [token] = await import('node:fs/promises').then((fs) => fs.readdir(tokenDir));
      const away = join(dir, 'pulled-token');
      await rename(join(tokenDir, token as string), away);
      expect((await sshAdd(socket, ['-T', ecPub])).code).toBe(1);
      await rename(away, join(tokenDir, token as string));
      await rm(askpassLog, { force: true });
      expect((await sshAdd(socket, ['-T', ecPub])).code).toBe(0);
      expect(await readFile(askpassLog, 'utf8')).toContain('Enter PIN for the token "kd-token"');
    });

    it('keydock list shows card keys as smartcard keys', { timeout: 180_000 }, async () => {
      expect((await sshAdd(socket, ['-s', LIB as string], `${PIN}\n`)).code).toBe(0);
      const r = await run(process.execPath, [BIN, 'list', '--agent', socket], { env: home.env, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.match(/smartcard \(\/.*libsofthsm2\.so\)/g)).toHaveLength(2);
    });

    it('a provider outside the -P list is refused without being loaded', { timeout: 180_000 }, async () => {
      const copy = join(dir, 'copy-of-softhsm2.so');
      await writeFile(copy, '');
      expect((await sshAdd(socket, ['-s', copy], `${PIN}\n`)).code).toBe(1);
      expect((await sshAdd(socket, ['-l'])).stdout).toContain('no identities');
    });
  });
});
