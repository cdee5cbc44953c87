import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addKnownHost,
  checkHostKey,
  entryMatchesName,
  hashHostName,
  knownHostsName,
  knownKeyTypes,
  readKnownHosts,
  removeKnownHost,
} from '../../../main/openssh/known-hosts';
import { run } from '../../support/processes';
import { startSshd, type Sshd } from '../../support/sshd';

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32);
  return Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
}
const line = (hosts: string, blob: Buffer, type = 'ssh-ed25519') => `${hosts} ${type} ${blob.toString('base64')}`;

describe('known_hosts', () => {
  let dir: string;
  const k1 = ed25519Blob();
  const k2 = ed25519Blob();
  const k3 = ed25519Blob();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keydock-kh-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the same lines as ssh-keygen -F for plain, hashed, [host]:port, wildcard and negated entries', async () => {
    const file = join(dir, 'lookup');
    const lines = [
      '# comment',
      line('github.com,140.82.121.4', k1),
      line(hashHostName('gitlab.com'), k2),
      line('[127.0.0.1]:2222', k3),
      line(hashHostName('[10.0.0.1]:2200'), k1),
      line('*.example.com,!bad.example.com', k2),
      line('GitHub.COM', k3),
      line('h?st', k1),
      '',
    ];
    await writeFile(file, lines.join('\n'));
    const parsed = await readKnownHosts(file);
    const names = ['github.com', 'gitlab.com', '[127.0.0.1]:2222', '127.0.0.1', '[10.0.0.1]:2200', 'a.example.com', 'bad.example.com', 'host', 'nothere', '140.82.121.4'];
    for (const name of names) {
      const ours = parsed.entries.filter((e) => entryMatchesName(e, name)).map((e) => e.lineIndex + 1);
      const r = await run('ssh-keygen', ['-F', name, '-f', file]);
      const theirs = [...r.stdout.matchAll(/^# Host .* found: line (\d+)/gm)].map((m) => Number(m[1]));
      expect(ours, name).toEqual(theirs);
    }
  });

  it('classifies known, new, changed, revoked and ignores cert-authority lines for plain keys', async () => {
    const file = join(dir, 'check');
    await writeFile(
      file,
      [line('known.test', k1), line('changed.test', k2), `@revoked ${line('*', k3)}`, `@cert-authority ${line('*.test', k2)}`, line('other.test', k1, 'ssh-ed25519')].join('\n') + '\n',
    );
    expect(await checkHostKey([file], ['known.test'], k1)).toMatchObject({ status: 'known', line: 1 });
    expect(await checkHostKey([file], ['changed.test'], k1)).toMatchObject({ status: 'changed', mismatches: [{ line: 2 }] });
    expect(await checkHostKey([file], ['anything.test'], k3)).toMatchObject({ status: 'revoked', line: 3 });
    expect(await checkHostKey([file], ['unknown.test'], k1)).toMatchObject({ status: 'new' });
    expect(await checkHostKey([join(dir, 'missing'), file], ['known.test'], k1)).toMatchObject({ status: 'known' });
    expect(await knownKeyTypes([file], ['known.test'])).toEqual(['ssh-ed25519']);
    expect(knownHostsName('GitHub.com', 22)).toBe('github.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('adds and removes lines keeping every other byte as it was (CRLF, comments, junk, no final newline)', async () => {
    const file = join(dir, 'edit');
    const original = `# keep me  \r\n${line('keep.test', k1)} trailing comment\r\nthis line is junk\r\n${line('stale.test', k2)}\r\n\r\n${line('stale.test,other.test', k3)}\r\n@revoked ${line('stale.test', k3)}\r\n${line('last.test', k1)}`;
    await writeFile(file, Buffer.from(original, 'latin1'));
    const parsed = await readKnownHosts(file);
    expect(parsed.invalidLines).toEqual([3]);

    await expect(removeKnownHost(file, ['stale.test'], k1)).rejects.toMatchObject({ code: 'known-hosts-shared-line' });
    expect(await readFile(file, 'latin1')).toBe(original);

    const removed = await removeKnownHost(file, ['stale.test'], k3);
    expect(removed).toEqual([4]);
    const afterRemove = await readFile(file, 'latin1');
    expect(afterRemove).toBe(original.replace(`${line('stale.test', k2)}\r\n`, ''));
    expect(await readFile(`${file}.old`, 'latin1')).toBe(original);

    await addKnownHost(file, '[new.test]:2222', k2);
    const afterAdd = await readFile(file, 'latin1');
    expect(afterAdd).toBe(`${afterRemove}\r\n[new.test]:2222 ssh-ed25519 ${k2.toString('base64')}\r\n`);
  });

  describe('with a real sshd', () => {
    let sshd: Sshd;
    let key: string;
    beforeAll(async () => {
      sshd = await startSshd({ greeting: 'github' });
      key = join(dir, 'client');
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
      await sshd.addKey(`${key}.pub`, 'octocat');
    });
    afterAll(async () => {
      await sshd.stop();
    });

    it('a hashed line KeyDock writes is accepted by ssh with StrictHostKeyChecking=yes', async () => {
      const kh = join(dir, 'real_known_hosts');
      const hostLine = sshd.hostKeys[0] as string;
      const blob = Buffer.from(hostLine.split(' ')[1] as string, 'base64');
      await addKnownHost(kh, knownHostsName('127.0.0.1', sshd.port), blob, { hash: true });
      expect((await readFile(kh, 'utf8')).startsWith('|1|')).toBe(true);
      const ssh = (file: string) =>
        run('ssh', ['-F', '/dev/null', '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${file}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'HostKeyAlgorithms=ssh-ed25519', '-p', String(sshd.port), '-T', `${sshd.user}@127.0.0.1`]);
      const ok = await ssh(kh);
      expect(ok.stderr).toContain('Hi octocat!');
      // After KeyDock removes it, ssh no longer trusts the host.
      expect(await removeKnownHost(kh, [knownHostsName('127.0.0.1', sshd.port)], null)).toEqual([1]);
      const refused = await ssh(kh);
      expect(refused.code).toBe(255);
      expect(refused.stderr).toMatch(/Host key verification failed/);
    });
  });
});
