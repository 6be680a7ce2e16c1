/**
 * Which mail servers the service may connect to. A mailbox's host comes from an API
 * client: without a check, the service would connect anywhere its own network reaches
 * (loopback, RFC 1918, link-local, the cloud metadata address) and report what it found,
 * a port scanner for whoever holds an admin key. Addresses are classified by ipaddr.js
 * after DNS resolution, and the connection is then made to the very address checked, so
 * a DNS answer that changes between check and connect (rebinding) gains nothing.
 *
 * Operators running a mail server on their own network allow private addresses with
 * `SONDE_ALLOW_PRIVATE_HOSTS=true` (the tests, the demo and the benchmarks do, for their
 * loopback Dovecot and brand simulator); the process-wide policy is set once at start.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

export interface HostPolicy {
  /** Loopback, private, link-local, CGNAT… addresses allowed: a trusted internal network. */
  allowPrivateHosts: boolean;
}

let processPolicy: HostPolicy = { allowPrivateHosts: false };

/** Set once at start from the configuration (`SONDE_ALLOW_PRIVATE_HOSTS`). */
export function setHostPolicy(policy: HostPolicy): void {
  processPolicy = { ...policy };
}

export function hostPolicy(): HostPolicy {
  return processPolicy;
}

/** A host refused by the policy: the message says what to change, without probing further. */
export class RefusedHostError extends Error {
  override name = 'RefusedHostError';
  readonly code = 'EREFUSEDHOST';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(
      `${host} resolves to ${address}, a ${describeRange(range)} address: mail servers must be public hosts ` +
        '(an operator allows private networks with SONDE_ALLOW_PRIVATE_HOSTS=true)',
    );
  }
}

/** ipaddr.js range name of an address, IPv4-mapped IPv6 read as its IPv4. */
export function addressRange(address: string): string {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range();
}

/** Only ordinary public unicast addresses are reachable without the operator's allowance. */
export function isPublicAddress(address: string): boolean {
  return addressRange(address) === 'unicast';
}

export interface ResolvedHost {
  /** The IP address to connect to: the one checked. */
  address: string;
  /** The name for TLS (SNI and certificate check): the host as given, unless it is an IP literal. */
  servername: string | undefined;
}

/**
 * Resolves `host` and checks every address it has; resolves to the first one, to connect
 * to. Rejects with a `RefusedHostError` when one is not public and the policy refuses
 * private hosts (a name with one private address among public ones is refused too: the
 * resolver may pick any of them next time). DNS failures reject as `dns.lookup` does.
 */
export async function resolveAllowedHost(host: string, policy: HostPolicy = processPolicy): Promise<ResolvedHost> {
  const literal = ipaddr.isValid(host) ? host : null;
  const addresses = literal ? [literal] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  if (!policy.allowPrivateHosts) {
    for (const address of addresses) {
      const range = addressRange(address);
      if (range !== 'unicast') throw new RefusedHostError(host, address, range);
    }
  }
  return { address: addresses[0]!, servername: literal ? undefined : host };
}

function describeRange(range: string): string {
  const words: Record<string, string> = {
    loopback: 'loopback',
    private: 'private network (RFC 1918)',
    linkLocal: 'link-local (or cloud metadata)',
    uniqueLocal: 'unique-local IPv6',
    carrierGradeNat: 'carrier-grade NAT',
    unspecified: 'unspecified',
    broadcast: 'broadcast',
    multicast: 'multicast',
    reserved: 'reserved',
  };
  return words[range] ?? `special-purpose (${range})`;
}
