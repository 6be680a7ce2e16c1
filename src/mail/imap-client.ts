/**
 * IMAP connections for the sync: listeners attached before `connect()` (an unhandled
 * socket timeout would otherwise kill the process), no auto-IDLE on poll connections,
 * and a small per-process cache so that polling an unchanged mailbox costs one STATUS
 * per folder rather than a login. A client that closed is never reused.
 */
import { ImapFlow } from 'imapflow';
import type { Logger } from '../logger.ts';
import type { ServerLogin } from './server-login.ts';

export interface ImapConnection {
  client: ImapFlow;
  connectedAt: Date;
  /** The first error the connection met; a connection with one is dropped. */
  failure: Error | null;
}

export async function connectImap(settings: ServerLogin, logger?: Logger): Promise<ImapConnection> {
  const client = new ImapFlow({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    auth: { user: settings.user, pass: settings.password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 15_000,
    greetingTimeout: 10_000,
    socketTimeout: 120_000,
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
    const key = `${settings.host}:${settings.port}:${settings.secure}:${settings.user}:${settings.password}`;
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
  const e = err as { authenticationFailed?: boolean; responseText?: string; code?: string; message?: string };
  if (e.authenticationFailed) return `login refused by the IMAP server${e.responseText ? `: ${e.responseText}` : ''}; check the user and password`;
  if (e.code === 'ECONNREFUSED') return `the IMAP server refused the connection (${e.message ?? 'ECONNREFUSED'})`;
  if (e.code === 'ETIMEDOUT' || e.code === 'CONNECT_TIMEOUT' || e.code === 'GREETING_TIMEOUT') return `the IMAP server did not answer in time (${e.code})`;
  if (e.code === 'ENOTFOUND') return `the IMAP host was not found (${e.message ?? 'ENOTFOUND'})`;
  return e.responseText ?? e.message ?? String(err);
}
