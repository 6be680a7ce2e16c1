/**
 * The IMAP side of a mailbox's watch: one connection of its own (never one of the sync's,
 * see `ImapConnectionCache`), INBOX selected read-only, sitting in IDLE so that the server
 * says when new mail arrives. It reads nothing: the sync does, when woken.
 *
 * The connection goes through `connectImap`, so the host guard and the TLS rules (STARTTLS
 * required unless the mailbox allows plain text) are the sync's own.
 */
import type { Logger } from '../logger.ts';
import { closeImap, connectImap, isUsable, type ImapConnection } from './imap-client.ts';
import type { ServerLogin } from './server-login.ts';

export interface InboxWatch {
  connectedAt: Date;
  /** Settles when the connection ends (cut, timed out, closed): with the error met, or null for a close asked for. */
  readonly ended: Promise<Error | null>;
  close(): Promise<void>;
}

export type WatchOpening = { status: 'watching'; watch: InboxWatch } | { status: 'unsupported' };

/** An IDLE that ends this soon after it started is not restarted at once: never a hot loop. */
const MIN_IDLE_RESTART_MS = 1_000;

/**
 * Logs in, checks that the server offers IDLE (without it: `unsupported`, the connection
 * closed again, polling stays the only way), selects INBOX and idles until closed.
 * `onNewMail` runs whenever the server reports more messages than before.
 */
export async function watchInbox(settings: ServerLogin, onNewMail: () => void, logger?: Logger): Promise<WatchOpening> {
  const connection = await connectImap(settings, logger, { watch: true });
  const { client } = connection;
  let closing = false;
  const ended = new Promise<Error | null>((resolve) => {
    client.on('close', () => resolve(closing ? null : (connection.failure ?? new Error('the IMAP connection closed'))));
  });
  try {
    if (!client.capabilities.has('IDLE')) {
      await closeImap(connection);
      return { status: 'unsupported' };
    }
    client.on('exists', (info: { count: number; prevCount: number }) => {
      if (info.count > info.prevCount) onNewMail();
    });
    await client.mailboxOpen('INBOX', { readOnly: true });
  } catch (err) {
    connection.client.close();
    throw err;
  }
  void idleLoop(connection, () => closing);
  return {
    status: 'watching',
    watch: {
      connectedAt: connection.connectedAt,
      ended,
      async close() {
        closing = true;
        await closeImap(connection);
        await ended;
      },
    },
  };
}

/**
 * imapflow's `idle()` returns when the IDLE is broken (a keep-alive NOOP after a quiet
 * socket, say) and does not start it again with auto-IDLE off: this loop does, until the
 * connection is gone. A failure ends the connection; the watcher reconnects with backoff.
 */
async function idleLoop(connection: ImapConnection, closing: () => boolean): Promise<void> {
  const { client } = connection;
  while (!closing() && isUsable(connection)) {
    const startedAt = Date.now();
    try {
      const result = await client.idle({ whenFree: true });
      if (result === false) throw new Error('the IMAP server refused IDLE');
    } catch (err) {
      connection.failure ??= err instanceof Error ? err : new Error(String(err));
      client.close();
      return;
    }
    const lasted = Date.now() - startedAt;
    if (lasted < MIN_IDLE_RESTART_MS) await new Promise((resolve) => setTimeout(resolve, MIN_IDLE_RESTART_MS - lasted).unref());
  }
}
