import { describe, expect, it } from 'vitest';
import {
  AGENT_COPYDATA_ID,
  isPageantPipeEntry,
  pageantMutexName,
  pageantPipeName,
  pageantPipeSuffix,
  pageantSecretBlock,
  pageantUsername,
} from '../../../main/agent/transports/windows/pageant-names';

describe('Pageant names (PuTTY agent_named_pipe_name.c)', () => {
  it('obfuscates "Pageant" + NUL padded to one 16-byte CryptProtectMemory block', () => {
    const block = pageantSecretBlock();
    expect(block.length).toBe(16);
    expect(block.toString('hex')).toBe('50616765616e74' + '00'.repeat(9));
  });

  it('hashes the block as an SSH string: known vector for an unchanged block', () => {
    // Independently: printf '\0\0\0\x10Pageant\0\0\0\0\0\0\0\0\0' | sha256sum. This is what
    // PuTTY computes when CryptProtectMemory leaves the block unchanged (Wine does).
    expect(pageantPipeSuffix(pageantSecretBlock())).toBe('2e9e7389b30cd8240bf15518e9a228d6537dc38d64b2070a189ca2fe5452d492');
  });

  it('a protected (changed) block gives another suffix: the name depends on the logon secret', () => {
    const changed = pageantSecretBlock();
    changed[0] = (changed[0] as number) ^ 1;
    expect(pageantPipeSuffix(changed)).not.toBe(pageantPipeSuffix(pageantSecretBlock()));
    expect(pageantPipeSuffix(changed)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes the UPN up to "@", else the logon name', () => {
    expect(pageantUsername('alice@corp.example', 'ALICE')).toBe('alice');
    expect(pageantUsername(null, 'bob')).toBe('bob');
    expect(pageantUsername('', 'bob')).toBe('bob');
    expect(pageantUsername('@corp', 'bob')).toBe('bob');
    expect(pageantUsername('carol', null)).toBe('carol');
    expect(() => pageantUsername(null, null)).toThrow(/user name/);
  });

  it('builds the pipe and mutex names', () => {
    const suffix = 'ab'.repeat(32);
    expect(pageantPipeName('alice', suffix)).toBe(`\\\\.\\pipe\\pageant.alice.${suffix}`);
    expect(pageantMutexName('alice')).toBe('Local\\pageant-mutex.alice');
    expect(AGENT_COPYDATA_ID).toBe(0x804e50ba);
  });

  it('recognises Pageant pipes of a user in a pipe listing', () => {
    const suffix = 'ab'.repeat(32);
    expect(isPageantPipeEntry(`pageant.alice.${suffix}`, 'alice')).toBe(true);
    expect(isPageantPipeEntry(`pageant.alice.${suffix}`, 'bob')).toBe(false);
    expect(isPageantPipeEntry(`pageant.alice.${suffix.toUpperCase()}`, 'alice')).toBe(false);
    expect(isPageantPipeEntry(`pageant.alice.${suffix}0`, 'alice')).toBe(false);
    expect(isPageantPipeEntry('openssh-ssh-agent', 'alice')).toBe(false);
  });
});
