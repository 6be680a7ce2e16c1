/**
 * What one poll of a mailbox folder has to do, decided from the stored checkpoint and the
 * server's STATUS alone, so that an unchanged folder costs one round trip however many
 * messages it holds. The IMAP work around these decisions lives in `src/mail`.
 */

/** The checkpoint kept per synced folder (`mailbox_folders`). */
export interface SyncCheckpoint {
  /** Null before the first sync. */
  uidValidity: bigint | number | null;
  /** Highest UID already stored; 0 before the first message. */
  lastUid: number;
  /** Null where the server has no CONDSTORE. */
  highestModseq: bigint | null;
}

/** What the server reports for the folder (STATUS or SELECT). */
export interface FolderStatus {
  uidValidity: bigint | number;
  uidNext: number;
  highestModseq: bigint | null;
  messages: number;
}

export type SyncReason =
  | 'first_sync'
  | 'uidvalidity_changed'
  | 'new_uids'
  | 'modseq_changed'
  | 'unchanged'
  | 'empty';

export type SyncPlan =
  | { action: 'none'; reason: SyncReason }
  | { action: 'fetch'; fromUid: number; reason: SyncReason }
  | { action: 'reset'; fromUid: 1; reason: SyncReason };

/**
 * - no checkpoint, or a new UIDVALIDITY (the folder was recreated, every UID is void): `reset`,
 *   re-read everything; known messages are recognised downstream by Message-ID and source hash;
 * - an empty folder: `none`;
 * - UIDs above the last one stored: `fetch` from the next one;
 * - no new UID but a HIGHESTMODSEQ that moved: `fetch` as well. It costs one cheap round trip
 *   and guards against servers whose UIDNEXT lags behind their deliveries;
 * - otherwise `none`.
 */
export function planSync(stored: SyncCheckpoint | null, status: FolderStatus): SyncPlan {
  if (stored === null || stored.uidValidity === null) {
    return { action: 'reset', fromUid: 1, reason: 'first_sync' };
  }
  if (BigInt(stored.uidValidity) !== BigInt(status.uidValidity)) {
    return { action: 'reset', fromUid: 1, reason: 'uidvalidity_changed' };
  }
  if (status.messages === 0) return { action: 'none', reason: 'empty' };

  const fromUid = stored.lastUid + 1;
  if (status.uidNext > fromUid) return { action: 'fetch', fromUid, reason: 'new_uids' };
  const modseqMoved =
    stored.highestModseq !== null &&
    status.highestModseq !== null &&
    status.highestModseq !== stored.highestModseq;
  if (modseqMoved) return { action: 'fetch', fromUid, reason: 'modseq_changed' };
  return { action: 'none', reason: 'unchanged' };
}

/**
 * The UIDs of a `fromUid:*` fetch that are really new, ascending and without repeats:
 * `N:*` always returns the folder's last message, even when its UID is below N.
 */
export function filterNewUids(uids: Iterable<number>, lastUid: number): number[] {
  const fresh = new Set<number>();
  for (const uid of uids) if (uid > lastUid) fresh.add(uid);
  return [...fresh].sort((a, b) => a - b);
}

/**
 * The checkpoint to store, in the same transaction as the messages fetched for `plan`;
 * `storedUids` must be every new UID the whole `fromUid:*` fetch returned.
 *
 * Every UID below the `uidNext` read before the fetch was either fetched or expunged
 * already (UIDs only grow), so the checkpoint may move up to `uidNext - 1` even when the
 * newest messages were deleted before we saw them: the next poll then costs nothing.
 * A poll that commits a long fetch in several batches must not use `uidNext` before its
 * last batch: it would skip the UIDs of the batches still to come.
 */
export function advanceCheckpoint(
  stored: SyncCheckpoint | null,
  status: FolderStatus,
  plan: SyncPlan,
  storedUids: Iterable<number>,
): SyncCheckpoint {
  const base = plan.action === 'reset' || stored === null ? 0 : stored.lastUid;
  let lastUid = Math.max(base, status.uidNext - 1);
  for (const uid of storedUids) lastUid = Math.max(lastUid, uid);
  return { uidValidity: status.uidValidity, lastUid, highestModseq: status.highestModseq };
}

/**
 * The UIDs of one fetch cut into batches of at most `maxMessages` messages and about
 * `maxBytes` bytes: a batch is held whole in memory (source, parse, compressed copy), and
 * the next one is read ahead, so a count alone lets twenty 25 MB messages fill the worker.
 * A message above `maxMessageBytes` is fetched headers only and counts as such; one message
 * larger than `maxBytes` goes alone. Order is kept.
 */
export function planBatches(
  uids: readonly number[],
  sizeOf: (uid: number) => number,
  limits: { maxMessages: number; maxBytes: number; maxMessageBytes: number },
): number[][] {
  const HEADERS_ONLY_BYTES = 64 * 1024;
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const uid of uids) {
    const size = sizeOf(uid);
    const cost = size > limits.maxMessageBytes ? Math.min(size, HEADERS_ONLY_BYTES) : size;
    if (current.length > 0 && (current.length >= limits.maxMessages || bytes + cost > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(uid);
    bytes += cost;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
