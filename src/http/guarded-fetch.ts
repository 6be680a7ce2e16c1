/**
 * `fetch` for the URLs an API client gives (webhook deliveries, custom OAuth2 token
 * endpoints), held to the mail servers' host rule (`mail/host-guard.ts`) at the moment of
 * connecting, not only when the URL was saved: every connection resolves the host, checks
 * every address it has, and connects to the very address checked. A name that resolved to a
 * public address when it was saved and to 127.0.0.1 now (DNS rebinding) is refused, and so is
 * an IP literal of a private range; `SONDE_ALLOW_PRIVATE_HOSTS=true` allows them as for mail.
 *
 * undici's own `fetch` with an `Agent` whose connector does the check (the `fetch` built into
 * Node takes no dispatcher of another undici version safely). TLS keeps the host's name for
 * SNI and the certificate check.
 */
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { hostPolicy, resolveAllowedHost, type HostPolicy } from '../mail/host-guard.ts';

/** A dispatcher that connects only to addresses the policy allows, checked at each connection. */
export function guardedAgent(policy: () => HostPolicy = hostPolicy): Agent {
  const connect = buildConnector({});
  return new Agent({
    connect: (options, callback) => {
      const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
      resolveAllowedHost(host, policy()).then(
        (target) => connect({ ...options, hostname: target.address, servername: options.servername ?? target.servername }, callback),
        (err: Error) => callback(err, null),
      );
    },
  });
}

let shared: Agent | null = null;

/** `fetch` through the process's guarded agent (the process-wide host policy). */
export const guardedFetch = ((input: string | URL, init?: RequestInit) =>
  undiciFetch(input, { ...(init as object), dispatcher: (shared ??= guardedAgent()) })) as unknown as typeof fetch;

/** Closes the process's guarded agent and its kept-alive connections (at a stop); a later fetch opens a new one. */
export async function closeGuardedFetch(): Promise<void> {
  const agent = shared;
  shared = null;
  await agent?.close();
}

/** Plain words for a refused host behind a failed fetch (`TypeError: fetch failed`, cause `RefusedHostError`); null otherwise. */
export function refusedHostReason(err: unknown): string | null {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  return cause?.code === 'EREFUSEDHOST' ? (cause.message ?? null) : null;
}
