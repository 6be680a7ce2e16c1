/**
 * The IMAP side of a poll: which folders to read, their STATUS, and the new messages in
 * batches. No database here; `src/flow/sync-mailbox.ts` decides and stores.
 * Never sends a command inside a `fetch` loop: UIDs are collected first, sources after.
 */
import type { ImapFlow } from 'imapflow';
import type { FolderStatus } from '../audit/sync-plan.ts';
import { filterNewUids, planBatches } from '../audit/sync-plan.ts';

/** A message as the IMAP fetch hands it over. */
export interface FetchedMessage {
  uid: number;
  /** IMAP INTERNALDATE: the reply's time. */
  internalDate: Date;
  size: number;
  /** The whole source, or only its header block when `oversize`. */
  source: Buffer;
  oversize: boolean;
}

export interface SyncFolder {
  path: string;
  specialUse: string | null;
}

/** INBOX, the junk folder (found by its `\Junk` special-use flag), and the extra folders asked for that exist. */
export async function discoverFolders(client: ImapFlow, extraFolders: readonly string[]): Promise<SyncFolder[]> {
  const listed = await client.list();
  const folders: SyncFolder[] = [{ path: 'INBOX', specialUse: '\\Inbox' }];
  const junk = listed.find((f) => f.specialUse === '\\Junk');
  if (junk) folders.push({ path: junk.path, specialUse: '\\Junk' });
  for (const wanted of extraFolders) {
    const found = listed.find((f) => f.path === wanted || f.path.toLowerCase() === wanted.toLowerCase());
    if (found && !folders.some((f) => f.path === found.path)) folders.push({ path: found.path, specialUse: found.specialUse ?? null });
  }
  return folders;
}

/** One STATUS: all a poll of an unchanged folder costs. */
export async function folderStatus(client: ImapFlow, path: string): Promise<FolderStatus> {
  const status = await client.status(path, { messages: true, uidNext: true, uidValidity: true, highestModseq: true });
  if (!status || status.uidValidity === undefined || status.uidNext === undefined) {
    throw new Error(`the server gave no UIDVALIDITY/UIDNEXT for ${path}`);
  }
  return {
    uidValidity: status.uidValidity,
    uidNext: status.uidNext,
    highestModseq: status.highestModseq ?? null,
    messages: status.messages ?? 0,
  };
}

/** One batch of a folder's new messages; `last` says that no batch follows it. */
export interface FetchedBatch {
  messages: FetchedMessage[];
  last: boolean;
}

/**
 * The messages of `path` with a UID above `lastUid`, from `fromUid`, in ascending UID
 * batches of at most `batchSize` messages and about `batchBytes` bytes (`planBatches`). A message above `maxBytes` comes with its header block only (`oversize`).
 * The folder stays locked (read-only) while the caller stores each batch.
 */
export async function* fetchNewMessages(
  client: ImapFlow,
  path: string,
  range: { fromUid: number; lastUid: number },
  options: { maxBytes: number; batchSize: number; batchBytes: number },
): AsyncGenerator<FetchedBatch> {
  const lock = await client.getMailboxLock(path, { readOnly: true });
  try {
    const sizes = new Map<number, number>();
    for await (const message of client.fetch(`${range.fromUid}:*`, { uid: true, size: true }, { uid: true })) {
      sizes.set(message.uid, message.size ?? 0);
    }
    const uids = filterNewUids(sizes.keys(), range.lastUid);
    const batches = planBatches(uids, (uid) => sizes.get(uid) ?? 0, { maxMessages: options.batchSize, maxBytes: options.batchBytes, maxMessageBytes: options.maxBytes });
    for (const [index, slice] of batches.entries()) {
      const whole = slice.filter((uid) => (sizes.get(uid) ?? 0) <= options.maxBytes);
      const oversize = slice.filter((uid) => (sizes.get(uid) ?? 0) > options.maxBytes);
      const batch: FetchedMessage[] = [];
      if (whole.length > 0) {
        for await (const m of client.fetch(whole.join(','), { uid: true, internalDate: true, size: true, source: true }, { uid: true })) {
          batch.push({ uid: m.uid, internalDate: toDate(m.internalDate), size: m.size ?? 0, source: m.source ?? Buffer.alloc(0), oversize: false });
        }
      }
      if (oversize.length > 0) {
        for await (const m of client.fetch(oversize.join(','), { uid: true, internalDate: true, size: true, headers: true }, { uid: true })) {
          batch.push({ uid: m.uid, internalDate: toDate(m.internalDate), size: m.size ?? 0, source: m.headers ?? Buffer.alloc(0), oversize: true });
        }
      }
      // a message expunged between the two fetches is simply absent; the order is by UID
      batch.sort((a, b) => a.uid - b.uid);
      yield { messages: batch, last: index === batches.length - 1 };
    }
  } finally {
    lock.release();
    // Leave nothing selected: a STATUS of the selected folder may be answered from the
    // client's cached state, and the next poll must see the server's.
    await client.mailboxClose().catch(() => {});
  }
}

/** INTERNALDATE is the reply's time: without it a delay would be made up, so the poll stops and says why. */
function toDate(value: Date | string | undefined): Date {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) throw new Error('the IMAP server gave a message without a readable INTERNALDATE');
  return date;
}
