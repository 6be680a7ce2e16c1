/**
 * The mailbox's Sent folder, over IMAP: a copy of every probe and reminder goes there, as a
 * real mail client would put it, and it is where a send interrupted by a crash is looked for
 * before anything is sent again. Each call opens its own short connection and closes it.
 */
import type { ImapFlow, ListResponse } from 'imapflow';
import { messageIdKey } from '../audit/match.ts';
import { closeImap, connectImap } from './imap-client.ts';
import type { ServerLogin } from './server-login.ts';

/**
 * The keyword of a copy put in the Sent folder just before its SMTP conversation: the
 * evidence that the message may have gone out. Removed once the acceptance is recorded; the
 * copy itself is removed when the server surely did not take the message.
 */
export const PENDING_KEYWORD = '$SondePending';

export interface SentCopy {
  path: string;
  uid: number;
  /** INTERNALDATE: the moment it was appended, just before the SMTP conversation. */
  internalDate: Date;
  /** Still marked `PENDING_KEYWORD`: the attempt was interrupted before its outcome was known. */
  pending: boolean;
}

export class NoSentFolderError extends Error {
  override name = 'NoSentFolderError';
}

/** Appends `raw` to the Sent folder, seen, dated `date`; `pending` marks it as evidence of an attempt under way. */
export async function appendToSent(settings: ServerLogin, raw: Buffer, date: Date, options: { pending?: boolean } = {}): Promise<{ path: string; uid: number | null }> {
  return withClient(settings, async (client) => {
    const path = await sentFolderPath(client);
    if (!path) throw new NoSentFolderError(`mailbox ${settings.user} has no Sent folder (special-use \\Sent)`);
    const result = await client.append(path, raw, ['\\Seen', ...(options.pending ? [PENDING_KEYWORD] : [])], date);
    return { path, uid: result ? (result.uid ?? null) : null };
  });
}

/**
 * Settles a pending copy: `sent` removes its keyword (an ordinary copy of a sent message),
 * `not-sent` removes the copy (the server refused the message, or was never reached).
 */
export async function settleSentCopy(settings: ServerLogin, copy: { path: string; uid: number | null }, outcome: 'sent' | 'not-sent'): Promise<void> {
  if (copy.uid === null) return;
  const uid = String(copy.uid);
  await withClient(settings, async (client) => {
    const lock = await client.getMailboxLock(copy.path);
    try {
      if (outcome === 'sent') await client.messageFlagsRemove(uid, [PENDING_KEYWORD], { uid: true });
      else await client.messageDelete(uid, { uid: true });
    } finally {
      lock.release();
    }
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
      const found = await client.fetchAll(uids, { uid: true, internalDate: true, envelope: true, flags: true }, { uid: true });
      const copy = found.find((m) => m.envelope?.messageId && messageIdKey(m.envelope.messageId) === key && m.internalDate);
      return copy ? { path, uid: copy.uid, internalDate: new Date(copy.internalDate!), pending: copy.flags?.has(PENDING_KEYWORD) ?? false } : null;
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
