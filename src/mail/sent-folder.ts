/**
 * The mailbox's Sent folder, over IMAP: a copy of every probe and reminder goes there, as a
 * real mail client would put it, and it is where a send interrupted by a crash is looked for
 * before anything is sent again. Each call opens its own short connection and closes it.
 */
import type { ImapFlow, ListResponse } from 'imapflow';
import { messageIdKey } from '../audit/match.ts';
import { closeImap, connectImap } from './imap-client.ts';
import type { ServerLogin } from './server-login.ts';

export interface SentCopy {
  uid: number;
  /** INTERNALDATE: the SMTP acceptance time it was appended with. */
  internalDate: Date;
}

export class NoSentFolderError extends Error {
  override name = 'NoSentFolderError';
}

/** Appends `raw` to the Sent folder, seen, dated `date` (the SMTP acceptance). */
export async function appendToSent(settings: ServerLogin, raw: Buffer, date: Date): Promise<{ path: string; uid: number | null }> {
  return withClient(settings, async (client) => {
    const path = await sentFolderPath(client);
    if (!path) throw new NoSentFolderError(`mailbox ${settings.user} has no Sent folder (special-use \\Sent)`);
    const result = await client.append(path, raw, ['\\Seen'], date);
    return { path, uid: result ? (result.uid ?? null) : null };
  });
}

/**
 * The copy of the message with this Message-ID (with or without angle brackets) in the Sent
 * folder, or null. SEARCH HEADER matches substrings, so each hit's envelope is compared in full.
 */
export async function findInSent(settings: ServerLogin, messageId: string): Promise<SentCopy | null> {
  return withClient(settings, async (client) => {
    const path = await sentFolderPath(client);
    if (!path) return null;
    const lock = await client.getMailboxLock(path, { readOnly: true });
    try {
      const key = messageIdKey(messageId);
      const uids = (await client.search({ header: { 'message-id': key } }, { uid: true })) || [];
      if (uids.length === 0) return null;
      const found = await client.fetchAll(uids, { uid: true, internalDate: true, envelope: true }, { uid: true });
      const copy = found.find((m) => m.envelope?.messageId && messageIdKey(m.envelope.messageId) === key && m.internalDate);
      return copy ? { uid: copy.uid, internalDate: new Date(copy.internalDate!) } : null;
    } finally {
      lock.release();
    }
  });
}

/** The `\Sent` special-use folder; imapflow also recognises the usual localised names ("Sent Items", "Envoyés"). */
export async function sentFolderPath(client: ImapFlow): Promise<string | null> {
  const folders: ListResponse[] = await client.list();
  return folders.find((f) => f.specialUse === '\\Sent')?.path ?? null;
}

async function withClient<T>(settings: ServerLogin, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const connection = await connectImap(settings);
  try {
    return await work(connection.client);
  } finally {
    await closeImap(connection);
  }
}
