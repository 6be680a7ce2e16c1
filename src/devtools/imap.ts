/**
 * Small imapflow helpers for tests, benchmarks and the brand simulator: log in as a
 * test user, put messages into a mailbox as a brand's reply would arrive, and look at
 * what the server holds. Apart from `connectImap`, each helper opens its own connection
 * and logs out, so a test never shares a client with the code under test.
 */
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { DovecotHandle, MailUser } from './dovecot.ts';

export type ImapServer = Pick<DovecotHandle, 'host' | 'port'>;
export type ImapCredentials = Pick<MailUser, 'user' | 'password'>;

export interface MessageToAppend {
  raw: string | Buffer;
  /** Becomes the message's INTERNALDATE: when it "arrived" in the mailbox. */
  internalDate: Date;
  flags?: string[];
}

export interface AppendedMessage {
  uid: number;
  uidValidity: bigint;
}

export interface MailboxStatus {
  messages: number;
  uidNext: number;
  uidValidity: bigint;
  highestModseq: bigint;
}

/**
 * A logged-in client. Its `error` listener is attached before `connect()`: an
 * 'error' event nobody listens to (a socket timeout, say) would kill the test
 * worker, whereas the failure of a command reaches its caller through the
 * rejected promise anyway.
 */
export async function connectImap(
  server: ImapServer,
  credentials: ImapCredentials,
  options: Partial<ImapFlowOptions> = {},
): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    auth: { user: credentials.user, pass: credentials.password },
    logger: false,
    disableAutoIdle: true,
    ...options,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Runs `work` on a fresh logged-in client and logs out whatever happens. */
export async function withImap<T>(
  server: ImapServer,
  credentials: ImapCredentials,
  work: (client: ImapFlow) => Promise<T>,
): Promise<T> {
  const client = await connectImap(server, credentials);
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** IMAP APPEND with a date: the way tests play a reply that arrived at `internalDate`. */
export async function appendMessage(
  server: ImapServer,
  credentials: ImapCredentials,
  mailbox: string,
  raw: string | Buffer,
  internalDate: Date,
  flags: string[] = [],
): Promise<AppendedMessage> {
  return withImap(server, credentials, (client) => appendWith(client, mailbox, { raw, internalDate, flags }));
}

/** Appends in order over one connection: fills a mailbox for a benchmark without a login per message. */
export async function appendMessages(
  server: ImapServer,
  credentials: ImapCredentials,
  mailbox: string,
  messages: readonly MessageToAppend[],
): Promise<AppendedMessage[]> {
  return withImap(server, credentials, async (client) => {
    const appended: AppendedMessage[] = [];
    for (const message of messages) appended.push(await appendWith(client, mailbox, message));
    return appended;
  });
}

async function appendWith(client: ImapFlow, mailbox: string, message: MessageToAppend): Promise<AppendedMessage> {
  const result = await client.append(mailbox, message.raw, message.flags ?? [], message.internalDate);
  if (!result || result.uid === undefined || result.uidValidity === undefined) {
    throw new Error(`APPEND to ${mailbox} did not report the new message's UID (no UIDPLUS?)`);
  }
  return { uid: result.uid, uidValidity: result.uidValidity };
}

/** Every UID in the mailbox, ascending. */
export async function listUids(server: ImapServer, credentials: ImapCredentials, mailbox: string): Promise<number[]> {
  return withImap(server, credentials, async (client) => {
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const uids = await client.search({ all: true }, { uid: true });
      return (uids || []).sort((a, b) => a - b);
    } finally {
      lock.release();
    }
  });
}

/** The STATUS figures an incremental sync relies on. */
export async function mailboxStatus(
  server: ImapServer,
  credentials: ImapCredentials,
  mailbox: string,
): Promise<MailboxStatus> {
  return withImap(server, credentials, async (client) => {
    const status = await client.status(mailbox, { messages: true, uidNext: true, uidValidity: true, highestModseq: true });
    const { messages, uidNext, uidValidity, highestModseq } = status || {};
    if (messages === undefined || uidNext === undefined || uidValidity === undefined || highestModseq === undefined) {
      throw new Error(`STATUS ${mailbox} lacks a figure: ${JSON.stringify(status, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    }
    return { messages, uidNext, uidValidity, highestModseq };
  });
}
