import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostPairingStore, forgetHostPairings, orderForHost, recordHostPairing, setOnlyKnown } from '../../../main/agent/host-pairings';
import { activitySummary } from '../../../main/agent/server/activity-log';
import { candidateNamesFromSshConfig, describeHost, hostKeysForName, namesForHostKey } from '../../../main/openssh/host-names';
import { hashHostName } from '../../../main/openssh/known-hosts';

const fp = (c: string) => `SHA256:${c.repeat(43)}`;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kd-pairs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('host pairings', () => {
  it('records, orders known keys first, keeps the rest in order, and forgets', async () => {
    const file = join(dir, 'state', 'host-pairings.json');
    const store = new HostPairingStore(file);
    store.record(fp('C'), fp('H'));
    await store.flush();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const ids = ['A', 'B', 'C', 'D'].map((c) => ({ fingerprint: fp(c) }));
    expect(orderForHost(ids, fp('H'), store).map((i) => i.fingerprint[7])).toEqual(['C', 'A', 'B', 'D']);
    expect(orderForHost(ids, fp('X'), store).map((i) => i.fingerprint[7])).toEqual(['A', 'B', 'C', 'D']);
    // Written by another process: the store notices.
    await setOnlyKnown(file, fp('A'), true);
    expect(orderForHost(ids, fp('H'), store).map((i) => i.fingerprint[7])).toEqual(['C', 'B', 'D']);
    expect(await forgetHostPairings(file, fp('H'))).toBe(1);
    expect(orderForHost(ids, fp('H'), store).map((i) => i.fingerprint[7])).toEqual(['A', 'B', 'C', 'D']);
    expect(await readFile(file, 'utf8')).not.toContain(fp('C'));
  });

  it('offers only known keys with onlyKnownKeys, and ignores malformed fingerprints', async () => {
    const file = join(dir, 'p.json');
    await recordHostPairing(file, fp('B'), fp('H'));
    await recordHostPairing(file, 'not a fingerprint', fp('H'));
    const store = new HostPairingStore(file, { onlyKnownKeys: true });
    const ids = ['A', 'B'].map((c) => ({ fingerprint: fp(c) }));
    expect(orderForHost(ids, fp('H'), store).map((i) => i.fingerprint[7])).toEqual(['B']);
    expect(store.list()).toHaveLength(1);
  });
});

describe('host names', () => {
  it('finds plain and hashed names for a host key, and host keys for a name', async () => {
    const blob = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', 'base64');
    const file = join(dir, 'known_hosts');
    await writeFile(file, `plain.example,10.0.0.1 ssh-ed25519 ${blob.toString('base64')}\n${hashHostName('secret.example')} ssh-ed25519 ${blob.toString('base64')}\n*.wild ssh-ed25519 ${blob.toString('base64')}\n`);
    expect(await namesForHostKey(blob, [file], ['secret.example', 'other'])).toEqual(['plain.example', '10.0.0.1', 'secret.example']);
    expect(describeHost(['[git.example]:2222'], blob)).toBe('git.example:2222');
    expect(describeHost([], blob)).toMatch(/^unknown host SHA256:/);
    expect((await hostKeysForName('secret.example', [file]))[0]?.equals(blob)).toBe(true);
    expect(candidateNamesFromSshConfig('Host gh *.x\n  HostName github.com\n  Port 2222\n')).toEqual(expect.arrayContaining(['gh', 'github.com', '[github.com]:2222']));
  });

  it('summarizes activity in plain words', () => {
    expect(activitySummary({ client: 'ssh (pid 1, /usr/bin/ssh)', operation: 'sign', destination: 'github.com', outcome: 'allowed', detail: null, keyName: 'work key' })).toBe('ssh asked to sign for github.com with work key — allowed');
    expect(activitySummary({ client: 'ssh-add (pid 2)', operation: 'add', destination: null, outcome: 'denied', detail: 'agent is locked' })).toBe('ssh-add asked to add a key — denied: agent is locked');
  });
});
