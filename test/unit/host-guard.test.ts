/** Which mail server addresses the service connects to without the operator's allowance. */
import { describe, expect, it } from 'vitest';
import { RefusedHostError, isPublicAddress, resolveAllowedHost } from '../../src/mail/host-guard.ts';

const strict = { allowPrivateHosts: false };

describe('isPublicAddress', () => {
  it('refuses loopback, private, link-local, metadata, CGNAT and unique-local addresses', () => {
    for (const address of [
      '127.0.0.1', '127.8.9.10', '::1', '10.0.0.5', '172.16.3.4', '172.31.255.255', '192.168.1.1',
      '169.254.169.254', '169.254.0.1', '100.64.0.1', '100.100.100.200', 'fd00:ec2::254', 'fc00::1', 'fe80::1',
      '0.0.0.0', '::', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1', '255.255.255.255',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('accepts public addresses', () => {
    for (const address of ['193.252.22.84', '8.8.8.8', '172.32.0.1', '2a01:cb00::1', '::ffff:193.252.22.84']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });
});

describe('resolveAllowedHost', () => {
  it('refuses a name that resolves to loopback, after resolution, and says what to set', async () => {
    const refusal = await resolveAllowedHost('localhost', strict).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(RefusedHostError);
    expect((refusal as Error).message).toMatch(/localhost resolves to .*loopback.*SONDE_ALLOW_PRIVATE_HOSTS=true/u);
  });

  it('refuses an IP literal of the metadata service', async () => {
    await expect(resolveAllowedHost('169.254.169.254', strict)).rejects.toThrow(/link-local/u);
  });

  it('gives the address checked to connect to, and the name for TLS', async () => {
    expect(await resolveAllowedHost('localhost', { allowPrivateHosts: true })).toMatchObject({ servername: 'localhost' });
    expect(await resolveAllowedHost('193.252.22.84', strict)).toEqual({ address: '193.252.22.84', servername: undefined });
  });
});
