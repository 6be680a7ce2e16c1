/** The incremental sync checkpoint of each folder of a mailbox. */
import type { Queryable } from './pool.ts';

export interface FolderCheckpoint {
  path: string;
  specialUse: string | null;
  uidValidity: number | null;
  lastUid: number;
  highestModseq: bigint | null;
}

interface FolderRow {
  path: string;
  special_use: string | null;
  uid_validity: number | null;
  last_uid: number;
  highest_modseq: string | null;
}

export async function listFolderCheckpoints(db: Queryable, mailboxId: string): Promise<FolderCheckpoint[]> {
  const { rows } = await db.query<FolderRow>('select * from mailbox_folders where mailbox_id = $1 order by path', [mailboxId]);
  return rows.map((r) => ({
    path: r.path,
    specialUse: r.special_use,
    uidValidity: r.uid_validity === null ? null : Number(r.uid_validity),
    lastUid: Number(r.last_uid),
    highestModseq: r.highest_modseq === null ? null : BigInt(r.highest_modseq),
  }));
}

/** Call in the transaction that stores the messages the checkpoint covers. */
export async function saveFolderCheckpoint(db: Queryable, mailboxId: string, checkpoint: FolderCheckpoint): Promise<void> {
  await db.query(
    `insert into mailbox_folders (mailbox_id, path, special_use, uid_validity, last_uid, highest_modseq, synced_at)
     values ($1, $2, $3, $4, $5, $6, now())
     on conflict (mailbox_id, path) do update
        set special_use = excluded.special_use, uid_validity = excluded.uid_validity,
            -- never backwards within one UIDVALIDITY, whatever a late poller writes
            last_uid = case when mailbox_folders.uid_validity = excluded.uid_validity
                            then greatest(mailbox_folders.last_uid, excluded.last_uid) else excluded.last_uid end,
            highest_modseq = excluded.highest_modseq, synced_at = excluded.synced_at`,
    [
      mailboxId,
      checkpoint.path,
      checkpoint.specialUse,
      checkpoint.uidValidity,
      checkpoint.lastUid,
      checkpoint.highestModseq === null ? null : checkpoint.highestModseq.toString(),
    ],
  );
}

/** Folders that no longer exist on the server (or no longer wanted) stop being tracked. */
export async function forgetFolders(db: Queryable, mailboxId: string, keep: string[]): Promise<void> {
  await db.query('delete from mailbox_folders where mailbox_id = $1 and not (path = any($2::text[]))', [mailboxId, keep]);
}

/**
 * Records a poll on the mailbox's sync state: a success clears the failure streak; a failure
 * counts one more, with its message and the time the next poll is allowed (`nextPollAt`).
 * Says whether the mailbox was failing before it (a transition is news, a repeat is not).
 */
export async function recordPoll(
  db: Queryable,
  mailboxId: string,
  failure: { error: string; nextPollAt: Date } | null,
  /** A successful sync's start: the mailbox is read through it (`read_through` only moves forward). */
  startedAt: Date | null = null,
): Promise<{ wasFailing: boolean } | null> {
  const { rows } = await db.query<{ was_failing: boolean }>(
    `with before as (select id, consecutive_failures > 0 as was_failing from mailboxes where id = $1 for update)
     update mailboxes m set last_polled_at = now(),
            read_through = case when $2::text is null then greatest(m.read_through, $4::timestamptz) else m.read_through end,
            last_error = $2, last_error_at = case when $2::text is null then null else now() end,
            consecutive_failures = case when $2::text is null then 0 else m.consecutive_failures + 1 end,
            next_poll_at = $3
       from before where m.id = before.id
     returning before.was_failing`,
    [mailboxId, failure?.error ?? null, failure?.nextPollAt ?? null, failure ? null : startedAt],
  );
  return rows[0] ? { wasFailing: rows[0].was_failing } : null;
}

export interface PollState {
  enabled: boolean;
  consecutiveFailures: number;
  lastErrorAt: Date | null;
  /** When a failing mailbox may be polled again; null while it works. */
  nextPollAt: Date | null;
  pollIntervalSeconds: number;
  /** The last poll's end, success or failure; null before the first. */
  lastPolledAt: Date | null;
  /** The start of the last successful sync: everything that arrived before it was read. Null before the first, and after new IMAP settings. */
  readThrough: Date | null;
}

export async function findPollState(db: Queryable, mailboxId: string): Promise<PollState | null> {
  const { rows } = await db.query<{
    enabled: boolean;
    consecutive_failures: number;
    last_error_at: Date | null;
    next_poll_at: Date | null;
    poll_interval_seconds: number;
    last_polled_at: Date | null;
    read_through: Date | null;
  }>(
    'select enabled, consecutive_failures, last_error_at, next_poll_at, poll_interval_seconds, last_polled_at, read_through from mailboxes where id = $1',
    [mailboxId],
  );
  const row = rows[0];
  return row
    ? {
        enabled: row.enabled,
        consecutiveFailures: row.consecutive_failures,
        lastErrorAt: row.last_error_at,
        nextPollAt: row.next_poll_at,
        pollIntervalSeconds: row.poll_interval_seconds,
        lastPolledAt: row.last_polled_at,
        readThrough: row.read_through,
      }
    : null;
}
