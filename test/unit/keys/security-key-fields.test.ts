// sk- key fields (docs/agent-protocol.md §1.4) read from files ssh-keygen enrolled through
// OpenSSH's software authenticator, written back byte for byte, carried through the agent codec
// with ssh-add's sk-provider constraint, and the -P allow-list that decides which provider loads.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequest, encode } from '../../../main/agent/codec';
import { matchPatternList, checkProvider } from '../../../main/agent/server/provider-allowlist';
import { addedKey } from '../../../main/agent/server/private-fields';
import { fingerprintSha256 } from '../../../main/keys/format';
import { loadPrivateKeyFile } from '../../../main/keys/load';
import { isSecurityKey, publicBlob } from '../../../main/keys/material';
import { openOpenSsh, writeOpenSsh } from '../../../main/keys/openssh';
import { resolveSkProvider } from '../../../main/platform/sk-provider-paths';
import { run } from '../../support/processes';

const DUMMY = '/usr/lib/openssh/regress/misc/sk-dummy/sk-dummy.so';
const missing = existsSync(DUMMY) ? null : 'openssh-tests (sk-dummy.so) is not installed';
let dir: string;

beforeAll(async () => {
  if (missing) return;
  dir = await mkdtemp(join(tmpdir(), 'kd-skf-'));
  for (const [name, type, extra] of [['ed', 'ed25519-sk', []], ['ec', 'ecdsa-sk', ['-O', 'application=ssh:work']], ['res', 'ed25519-sk', ['-O', 'resident', '-O', 'verify-required']]] as const) {
    const r = await run('ssh-keygen', ['-q', '-t', type, '-w', DUMMY, '-N', '', '-C', name, '-f', join(dir, name), ...extra]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ca')]);
  await run('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-I', 'c', join(dir, 'ec.pub')]);
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== null)('security-key fields', () => {
  it('reads application, flags and handle from ssh-keygen files; the public blob and fingerprint are the .pub’s', async () => {
    const ed = await openOpenSsh(await readFile(join(dir, 'ed'), 'utf8'), null).decrypt(null);
    expect(ed.material.kind).toBe('sk-ed25519');
    if (!isSecurityKey(ed.material)) throw new Error('not an sk key');
    expect(ed.material.application).toBe('ssh:');
    expect(ed.material.flags).toBe(0x01);
    expect(ed.material.keyHandle.length).toBe(64); // sk-dummy's handle is the Ed25519 secret key
    const pub = Buffer.from((await readFile(join(dir, 'ed.pub'), 'utf8')).split(' ')[1] as string, 'base64');
    expect(publicBlob(ed.material).equals(pub)).toBe(true);

    const ec = await openOpenSsh(await readFile(join(dir, 'ec'), 'utf8'), null).decrypt(null);
    expect(ec.material).toMatchObject({ kind: 'sk-ecdsa', curve: 'nistp256', application: 'ssh:work', flags: 0x01 });
    const res = await openOpenSsh(await readFile(join(dir, 'res'), 'utf8'), null).decrypt(null);
    expect((res.material as { flags: number }).flags).toBe(0x01 | 0x04 | 0x20);

    const lf = (await run('ssh-keygen', ['-lf', join(dir, 'ec.pub')])).stdout;
    expect(lf).toContain(fingerprintSha256(publicBlob(ec.material)));
  });

  it('writes an sk key file back that ssh-keygen reads as the same key (passphrase change)', async () => {
    const ed = await openOpenSsh(await readFile(join(dir, 'ed'), 'utf8'), null).decrypt(null);
    const text = await writeOpenSsh(ed.material, 'again', { passphrase: 'pw', rounds: 4 });
    const again = await openOpenSsh(text, null).decrypt('pw');
    expect(again.material).toEqual(ed.material);
    const out = join(dir, 'rewritten');
    await writeFile(out, text, { mode: 0o600 });
    const y = await run('ssh-keygen', ['-y', '-P', 'pw', '-f', out]);
    expect(y.code, y.stderr).toBe(0);
    expect(y.stdout.split(' ')[1]).toBe((await readFile(join(dir, 'ed.pub'), 'utf8')).split(' ')[1]);
  });

  it('an add with the certificate and ssh-add’s sk-provider constraint decodes to the key, its handle and the provider', async () => {
    const key = await loadPrivateKeyFile(join(dir, 'ec'), async () => null);
    expect(key.type).toBe('sk-ecdsa-sha2-nistp256-cert-v01@openssh.com');
    const frame = encode.add(key.agentFields, key.comment, [{ kind: 'sk-provider', provider: DUMMY }]);
    const req = decodeRequest(frame.subarray(4));
    if (req.type !== 'add') throw new Error(`decoded ${req.type}`);
    expect(req.constraints).toEqual([{ kind: 'sk-provider', provider: DUMMY }]);
    const added = addedKey(req.keyType, req.material, req.certificate);
    if ('error' in added) throw new Error(added.error);
    expect(added.publicBlob.equals(key.publicBlob)).toBe(true);
    expect(added.numbers).toBeNull();
    expect(added.securityKey?.application).toBe('ssh:work');
  });

  it('the -P allow-list matches real paths as ssh-agent does; "internal" falls back to SSH_SK_PROVIDER', () => {
    expect(matchPatternList('/usr/lib/x/sk.so', '/usr/lib*/*,/usr/local/lib*/*')).toBe(true);
    expect(matchPatternList('/opt/sk.so', '/usr/lib*/*,/usr/local/lib*/*')).toBe(false);
    expect(matchPatternList('/usr/lib/x/sk.so', '/usr/lib*/*,!/usr/lib/x/*')).toBe(false);
    expect(checkProvider(DUMMY)).toEqual({ ok: true, path: DUMMY });
    expect(checkProvider(DUMMY, '/opt/*')).toMatchObject({ ok: false });
    expect(checkProvider('/no/such/provider.so')).toMatchObject({ ok: false });
    expect(resolveSkProvider('internal', { SSH_SK_PROVIDER: DUMMY }, 'linux')).toBe(DUMMY);
    expect(resolveSkProvider('/x/p.so', { SSH_SK_PROVIDER: DUMMY }, 'linux')).toBe('/x/p.so');
    expect(resolveSkProvider(null, {}, 'win32')).toBeNull();
  });
});
