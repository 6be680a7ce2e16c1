/**
 * IMAP connections for the sync: listeners attached before `connect()` (an unhandled
 * socket timeout would otherwise kill the process), no auto-IDLE on poll connections,
 * and a small per-process cache so that polling an unchanged mailbox costs one STATUS
 * per folder rather than a login. A client that closed is never reused.
 */
import { ImapFlow } from 'imapflow';
import type { Logger } from '../logger.ts';
import { resolveAllowedHost } from './host-guard.ts';
import type { ServerLogin } from './server-login.ts';

export interface ImapConnection {
  client: ImapFlow;
  connectedAt: Date;
  /** The first error the connection met; a connection with one is dropped. */
  failure: Error | null;
}

/**
 * `watch`: a long-lived connection that sits in IDLE (`imap-watch.ts`): a longer socket
 * timeout, and IDLE restarted by imapflow every `maxIdleTime` (servers drop an IDLE left
 * alone for 30 minutes).
 */
export async function connectImap(settings: ServerLogin, logger?: Logger, options: { watch?: boolean } = {}): Promise<ImapConnection> {
  // the address checked is the one connected to (see host-guard.ts); TLS still checks the name
  const target = await resolveAllowedHost(settings.host);
  const client = new ImapFlow({
    host: target.address,
    ...(target.servername ? { servername: target.servername } : {}),
    port: settings.port,
    secure: settings.secure,
    // without TLS from the first byte, STARTTLS is required unless the mailbox allows plain text
    ...(settings.secure ? {} : { doSTARTTLS: settings.allowPlaintext ? undefined : true }),
    // XOAUTH2 / OAUTHBEARER with an access token, LOGIN / PLAIN with a password
    auth: settings.accessToken !== undefined ? { user: settings.user, accessToken: settings.accessToken } : { user: settings.user, pass: settings.password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 15_000,
    greetingTimeout: 10_000,
    socketTimeout: options.watch ? 5 * 60_000 : 120_000,
    ...(options.watch ? { maxIdleTime: 4 * 60_000 } : {}),
    emitLogs: false,
  });
  const connection: ImapConnection = { client, connectedAt: new Date(), failure: null };
  client.on('error', (err: Error) => {
    connection.failure ??= err;
    logger?.debug({ err: { message: err.message, code: (err as { code?: string }).code } }, 'IMAP connection error');
  });
  client.on('close', () => {
    connection.failure ??= new Error('the IMAP connection closed');
  });
  await client.connect();
  connection.connectedAt = new Date();
  return connection;
}

export function isUsable(connection: ImapConnection): boolean {
  return connection.failure === null && connection.client.usable;
}

export async function closeImap(connection: ImapConnection): Promise<void> {
  if (!isUsable(connection)) {
    connection.client.close();
    return;
  }
  await connection.client.logout().catch(() => connection.client.close());
}

/**
 * One live connection per mailbox and settings, kept between polls while it stays
 * healthy and is used at least every `idleMs`.
 */
export class ImapConnectionCache {
  private readonly entries = new Map<string, { key: string; connection: ImapConnection; lastUsed: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly idleMs = 5 * 60_000,
    private readonly logger?: Logger,
  ) {
    this.timer = setInterval(() => void this.evictIdle(), Math.min(idleMs, 60_000));
    this.timer.unref();
  }

  async acquire(mailboxId: string, settings: ServerLogin): Promise<ImapConnection> {
    // an OAuth2 session stays logged in when its access token is refreshed: the token is not part of the key
    const key = `${settings.host}:${settings.port}:${settings.secure}:${settings.allowPlaintext ?? false}:${settings.user}:${settings.password ?? 'oauth2'}`;
    const entry = this.entries.get(mailboxId);
    if (entry && entry.key === key && isUsable(entry.connection)) {
      entry.lastUsed = Date.now();
      return entry.connection;
    }
    if (entry) await this.drop(mailboxId);
    const connection = await connectImap(settings, this.logger);
    this.entries.set(mailboxId, { key, connection, lastUsed: Date.now() });
    return connection;
  }

  /** Marks the mailbox's connection as in use, so that a long sync is never evicted as idle. */
  touch(mailboxId: string): void {
    const entry = this.entries.get(mailboxId);
    if (entry) entry.lastUsed = Date.now();
  }

  async drop(mailboxId: string): Promise<void> {
    const entry = this.entries.get(mailboxId);
    this.entries.delete(mailboxId);
    if (entry) await closeImap(entry.connection).catch(() => {});
  }

  private async evictIdle(): Promise<void> {
    const now = Date.now();
    for (const [mailboxId, entry] of this.entries) {
      if (now - entry.lastUsed > this.idleMs || !isUsable(entry.connection)) await this.drop(mailboxId);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.entries.keys()].map((id) => this.drop(id)));
  }
}

/**
 * A failed sync as the API shows it on the mailbox: what the IMAP server or the network
 * did, in words, never a secret. Any other error keeps its own message.
 */
export function describeImapFailure(err: unknown): string {
  const e = err as { authenticationFailed?: boolean; responseText?: string; code?: string; message?: string; name?: string };
  // network-level detail (addresses, ports, system messages) stays in the logs: a reader key sees plain words
  if (e.authenticationFailed) return `login refused by the IMAP server${e.responseText ? `: ${e.responseText}` : ''}; check the user and password`;
  if (e.name === 'RefusedHostError' || e.name === 'SecretKeyMismatchError') return e.message ?? String(err);
  if (e.code === 'ECONNREFUSED') return 'the IMAP server refused the connection';
  if (e.code === 'ETIMEDOUT' || e.code === 'CONNECT_TIMEOUT' || e.code === 'GREETING_TIMEOUT') return 'the IMAP server did not answer in time';
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'the IMAP host was not found; check its name';
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.code === 'NoConnection' || e.code === 'EConnectionClosed') return 'the IMAP connection was cut';
  if ((err as { tlsFailed?: boolean }).tlsFailed) return 'the IMAP server does not offer STARTTLS: use TLS (secure: true), or allow plain text for a trusted local server (allowPlaintext: true)';
  if (e.code && /^(E[A-Z]+|ERR_[A-Z_]+)$/u.test(e.code)) return `the IMAP connection failed (${e.code})`;
  return e.responseText ?? e.message ?? String(err);
}
