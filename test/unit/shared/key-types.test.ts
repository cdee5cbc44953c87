import { describe, expect, it } from 'vitest';
import { keyTypeLabel, sshKeygenTypeName } from '../../../shared/key-types';

describe('keyTypeLabel (the app views)', () => {
  it.each([
    ['ssh-ed25519', 256, 'ED25519'],
    ['ssh-ed25519-cert-v01@openssh.com', 256, 'ED25519'],
    ['sk-ssh-ed25519@openssh.com', 256, 'ED25519-SK'],
    ['sk-ssh-ed25519-cert-v01@openssh.com', undefined, 'ED25519-SK'],
    ['ssh-ed448', undefined, 'ED448'],
    ['ssh-rsa', 4096, 'RSA 4096'],
    ['rsa-sha2-512', undefined, 'RSA'],
    ['ssh-rsa-cert-v01@openssh.com', 3072, 'RSA 3072'],
    ['ssh-dss', 1024, 'DSA 1024'],
    ['ecdsa-sha2-nistp256', 256, 'ECDSA 256'],
    ['ecdsa-sha2-nistp384-cert-v01@openssh.com', 384, 'ECDSA 384'],
    ['sk-ecdsa-sha2-nistp256@openssh.com', 256, 'ECDSA-SK 256'],
    ['ed25519', undefined, 'ED25519'],
    ['rsa', 2048, 'RSA 2048'],
    ['ssh-xmss@openssh.com', undefined, 'XMSS@OPENSSH.COM'],
    ['weird-type', 12, 'WEIRD-TYPE 12'],
  ] as const)('%s (%s bits) → %s', (type, bits, label) => {
    expect(keyTypeLabel(type, bits)).toBe(label);
  });
});

describe('sshKeygenTypeName (the CLI, as `ssh-keygen -l` prints it)', () => {
  it.each([
    ['ssh-ed25519', 'ED25519'],
    ['ssh-ed25519-cert-v01@openssh.com', 'ED25519-CERT'],
    ['sk-ssh-ed25519@openssh.com', 'ED25519-SK'],
    ['sk-ssh-ed25519-cert-v01@openssh.com', 'ED25519-SK-CERT'],
    ['ssh-ed448', 'ED448'],
    ['ssh-rsa', 'RSA'],
    ['ssh-rsa-cert-v01@openssh.com', 'RSA-CERT'],
    ['ssh-dss', 'DSA'],
    ['ecdsa-sha2-nistp521', 'ECDSA'],
    ['ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ECDSA-CERT'],
    ['sk-ecdsa-sha2-nistp256@openssh.com', 'ECDSA-SK'],
    ['sk-ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ECDSA-SK-CERT'],
  ])('%s → %s', (type, name) => {
    expect(sshKeygenTypeName(type)).toBe(name);
  });
});
