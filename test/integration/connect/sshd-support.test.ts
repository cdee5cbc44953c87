import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../support/processes';
import { startSshd, type Sshd } from '../../support/sshd';

// The sandbox sshd is what every connect test stands on: check it behaves like the Git hosts.
describe('test/support/sshd', () => {
  let keys: string;
  beforeAll(async () => {
    keys = await mkdtemp(join(tmpdir(), 'keydock-sshd-keys-'));
    for (const name of ['alice', 'bob', 'stranger']) {
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', join(keys, name)]);
    }
  });
  afterAll(async () => {
    await rm(keys, { recursive: true, force: true });
  });

  const sshT = (sshd: Sshd, key: string) =>
    run('ssh', ['-F', sshd.sshConfigFile, '-i', join(keys, key), '-T', 'sandbox']);

  it('greets like GitHub on stderr with exit 1, and refuses unknown keys', async () => {
    const sshd = await startSshd({ greeting: 'github' });
    try {
      await sshd.addKey(join(keys, 'alice.pub'), 'alice');
      const ok = await sshT(sshd, 'alice');
      expect(ok.code).toBe(1);
      expect(ok.stderr).toContain("Hi alice! You've successfully authenticated, but GitHub does not provide shell access.");
      const denied = await sshT(sshd, 'stranger');
      expect(denied.code).toBe(255);
      expect(denied.stderr).toContain('Permission denied (publickey)');
      await sshd.waitForLog('Accepted publickey');
      await expect(sshd.addKey(join(keys, 'alice.pub'), 'again')).rejects.toThrow(/already in use/);
    } finally {
      await sshd.stop();
    }
  });

  it('greets like GitLab, per-key flavour and deploy-key names, and by comment without command=', async () => {
    const sshd = await startSshd({ greeting: 'gitlab' });
    try {
      await sshd.addKey(join(keys, 'alice.pub'), 'alice');
      await sshd.addKey(join(keys, 'bob.pub'), 'owner/repo', { greeting: 'github' });
      const a = await sshT(sshd, 'alice');
      expect(a.code).toBe(0);
      expect(a.stdout).toBe('Welcome to GitLab, @alice!\n');
      const b = await sshT(sshd, 'bob');
      expect(b.stderr).toContain('Hi owner/repo!');
      const stranger = (await run('cat', [join(keys, 'stranger.pub')])).stdout;
      await sshd.authorize(stranger);
      const c = await sshT(sshd, 'stranger');
      expect(c.stdout).toBe('Welcome to GitLab, @stranger@test!\n');
    } finally {
      await sshd.stop();
    }
  });

  it('rotates host keys so that the old known_hosts no longer matches', async () => {
    const sshd = await startSshd({ greeting: 'bitbucket', extraConfig: ['MaxAuthTries 3'] });
    try {
      await sshd.addKey(join(keys, 'alice.pub'), 'alice');
      const before = await sshT(sshd, 'alice');
      expect(before.stdout).toContain('authenticated via ssh key.');
      const oldKeys = [...sshd.hostKeys];
      const port = sshd.port;
      await sshd.rotateHostKeys();
      await sshd.restart();
      expect(sshd.port).toBe(port);
      expect(sshd.hostKeys[0]).not.toBe(oldKeys[0]);
      expect(sshd.log()).toContain('Server listening');
    } finally {
      await sshd.stop();
    }
  });
});
