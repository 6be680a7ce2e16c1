/**
 * A probe's reminders ("relances"): their rows, the claims that send each one at most once,
 * the checks before one goes out, and the query that finds those whose job was lost.
 */
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';
import type { Queryable } from './pool.ts';
import type { ProbeChannel } from './probes.repo.ts';

export type ReminderStatus = 'due' | 'sending' | 'sent' | 'cancelled' | 'failed';

export interface Reminder {
  id: string;
  probeId: string;
  seq: number;
  dueAt: Date;
  sentAt: Date | null;
  messageId: string | null;
  status: ReminderStatus;
  error: string | null;
  /** Held for an auditor since then (see `holdReminder`; `error` says why); null otherwise. */
  heldAt: Date | null;
  createdAt: Date;
}

interface ReminderRow {
  id: string;
  probe_id: string;
  seq: number;
  due_at: Date;
  sent_at: Date | null;
  internet_message_id: string | null;
  status: ReminderStatus;
  error: string | null;
  held_at: Date | null;
  created_at: Date;
}

const toReminder = (row: ReminderRow): Reminder => ({
  id: row.id,
  probeId: row.probe_id,
  seq: row.seq,
  dueAt: row.due_at,
  sentAt: row.sent_at,
  messageId: row.internet_message_id,
  status: row.status,
  error: row.error,
  heldAt: row.held_at,
  createdAt: row.created_at,
});

/** The reminder `seq` of a probe, recorded `due` at `dueAt` unless it exists already (whatever its status). */
export async function ensureReminder(db: Queryable, probeId: string, seq: number, dueAt: Date): Promise<Reminder> {
  await db.query(
    `insert into reminders (probe_id, seq, due_at, status) values ($1, $2, $3, 'due')
     on conflict (probe_id, seq) do nothing`,
    [probeId, seq, dueAt],
  );
  return (await findReminder(db, probeId, seq))!;
}

export async function findReminder(db: Queryable, probeId: string, seq: number): Promise<Reminder | null> {
  const { rows } = await db.query<ReminderRow>('select * from reminders where probe_id = $1 and seq = $2', [probeId, seq]);
  return rows[0] ? toReminder(rows[0]) : null;
}

/** The reminders of a probe already sent, in order: the thread a new reminder continues. */
export async function listSentReminders(db: Queryable, probeId: string): Promise<Reminder[]> {
  const { rows } = await db.query<ReminderRow>(
    `select * from reminders where probe_id = $1 and status = 'sent' order by seq`,
    [probeId],
  );
  return rows.map(toReminder);
}

/** due → sending with the Message-ID it will carry; null when it is not `due` (any more). */
export async function claimReminder(db: Queryable, reminderId: string, messageId: string): Promise<Reminder | null> {
  const { rows } = await db.query<ReminderRow>(
    `update reminders set status = 'sending', internet_message_id = coalesce(internet_message_id, $2), error = null
      where id = $1 and status = 'due' returning *`,
    [reminderId, messageId],
  );
  return rows[0] ? toReminder(rows[0]) : null;
}

/**
 * Moves a reminder on: `sent` (with its time), `cancelled` (an answer came first),
 * `failed` (refused for good), or back to `due` after a temporary failure.
 */
/** As `holdProbe`: a reminder interrupted mid-send with no copy in the Sent folder stays `sending`, held for an auditor. */
export async function holdReminder(db: Queryable, id: string, reason: string): Promise<void> {
  await db.query(`update reminders set held_at = now(), error = $2 where id = $1 and status = 'sending'`, [id, reason]);
}

export async function updateReminderStatus(
  db: Queryable,
  reminderId: string,
  change: { status: ReminderStatus; sentAt?: Date | null; error?: string | null },
): Promise<void> {
  await db.query(
    `update reminders set status = $2, sent_at = coalesce($3, sent_at), error = $4 where id = $1`,
    [reminderId, change.status, change.sentAt ?? null, change.error ?? null],
  );
}

/**
 * The brand answered: reminders waiting for an auditor (web form) are cancelled, in the
 * transaction that recomputes the outcome.
 */
export async function cancelDueReminders(db: Queryable, probeId: string): Promise<void> {
  await db.query(`update reminders set status = 'cancelled' where probe_id = $1 and status = 'due'`, [probeId]);
}

/** A reminder job gave up for good (whatever the cause): as `failProbe`, `due` fails, `sending` stays for the reconciler. */
export async function failReminder(db: Queryable, probeId: string, seq: number, error: string): Promise<void> {
  await db.query(`update reminders set status = case when status = 'due' then 'failed' else status end, error = $3
                   where probe_id = $1 and seq = $2 and status in ('due', 'sending')`, [
    probeId,
    seq,
    error,
  ]);
}

/**
 * A probe recorded sent after its campaign closed (a held send settled late): its reminders,
 * which closing cancelled for the other probes, are recorded `cancelled` as well, so that a
 * reopen never sends them.
 */
export async function cancelRemindersAfterClosing(db: Queryable, probeId: string): Promise<void> {
  await db.query(
    `insert into reminders (probe_id, seq, due_at, status)
     select p.id, s.seq, p.sent_at + make_interval(secs => c.reminder_after_hours * 3600 * s.seq), 'cancelled'
       from probes p join campaigns c on c.id = p.campaign_id
            cross join lateral generate_series(1, c.reminder_max) as s(seq)
      where p.id = $1 and c.status = 'closed' and p.status = 'sent' and p.sent_at is not null
     on conflict (probe_id, seq) do nothing`,
    [probeId],
  );
}

/** due → cancelled; false when it was not due. */
export async function cancelReminder(db: Queryable, reminderId: string): Promise<boolean> {
  const result = await db.query(`update reminders set status = 'cancelled' where id = $1 and status = 'due'`, [reminderId]);
  return (result.rowCount ?? 0) > 0;
}

/** A reminder sent by hand (web form), confirmed by an auditor: due → sent. Null when it was not due. */
export async function confirmReminder(db: Queryable, probeId: string, seq: number, sentAt: Date): Promise<Reminder | null> {
  const { rows } = await db.query<ReminderRow>(
    `update reminders set status = 'sent', sent_at = $3, error = null
      where probe_id = $1 and seq = $2 and status = 'due' returning *`,
    [probeId, seq, sentAt],
  );
  return rows[0] ? toReminder(rows[0]) : null;
}

export interface ReminderListItem extends Reminder {
  campaignId: string;
  channel: ProbeChannel;
}

/** Reminders with their probe's campaign and channel, e.g. the web-form ones due for an auditor. */
export async function listReminders(
  db: Queryable,
  page: PageRequest,
  filter: {
    status?: ReminderStatus | undefined;
    campaignId?: string | undefined;
    probeId?: string | undefined;
    channel?: ProbeChannel | undefined;
    /** true: only the reminders held for an auditor; false: none of them. */
    held?: boolean | undefined;
  },
): Promise<Page<ReminderListItem>> {
  const clause = pageClause(page, 6, 'r');
  const { rows } = await db.query<ReminderRow & { campaign_id: string; channel: ProbeChannel }>(
    `select r.*, p.campaign_id, p.channel from reminders r join probes p on p.id = r.probe_id
      where ($1::text is null or r.status = $1) and ($2::uuid is null or p.campaign_id = $2)
        and ($3::uuid is null or r.probe_id = $3) and ($4::text is null or p.channel = $4)
        and ($5::boolean is null or (r.held_at is not null) = $5)
        and ${clause.sql}`,
    [filter.status ?? null, filter.campaignId ?? null, filter.probeId ?? null, filter.channel ?? null, filter.held ?? null, ...clause.values],
  );
  return toPage(rows, page.limit, (row) => ({ ...toReminder(row), campaignId: row.campaign_id, channel: row.channel }));
}

/**
 * Why a reminder must not go out, if it must not: the brand answered (an answer reply, or an
 * outcome that says so), or the probe bounced and the address does not exist.
 */
export async function reminderObstacle(db: Queryable, probeId: string): Promise<'answered' | 'bounced' | null> {
  const { rows } = await db.query<{ answered: boolean; bounced: boolean }>(
    `select exists (select 1 from outcomes where probe_id = $1 and answered_at is not null)
         or exists (select 1 from replies where probe_id = $1 and kind = 'answer') as answered,
            exists (select 1 from outcomes where probe_id = $1 and bounced)
         or exists (select 1 from replies where probe_id = $1 and kind = 'bounce') as bounced`,
    [probeId],
  );
  if (rows[0]?.answered) return 'answered';
  return rows[0]?.bounced ? 'bounced' : null;
}

/**
 * Reminders whose job should have run and may be lost, as (probe, seq): the next reminder of
 * a sent probe of an open campaign, due (`afterHours` × `msPerHour` after the probe or the
 * last reminder sent) before `dueBefore` and with no row yet; and reminders the service sends
 * itself still `due` or `sending` since before `dueBefore`.
 */
export async function listStalledReminders(
  db: Queryable,
  dueBefore: Date,
  msPerHour: number,
  limit: number,
): Promise<Array<{ probeId: string; seq: number }>> {
  const { rows } = await db.query<{ probe_id: string; seq: number }>(
    `select p.id as probe_id, coalesce(last.seq, 0) + 1 as seq
       from probes p join campaigns c on c.id = p.campaign_id
       left join lateral (select r.seq, r.sent_at from reminders r
                           where r.probe_id = p.id and r.status = 'sent' order by r.seq desc limit 1) last on true
      where p.status = 'sent' and p.sent_at is not null and c.status in ('scheduled', 'running')
        and coalesce(last.seq, 0) < c.reminder_max
        and coalesce(last.sent_at, p.sent_at) + make_interval(secs => c.reminder_after_hours * $2 / 1000.0) < $1
        and not exists (select 1 from reminders r where r.probe_id = p.id and r.seq = coalesce(last.seq, 0) + 1)
     union
     select r.probe_id, r.seq
       from reminders r join probes p on p.id = r.probe_id join campaigns c on c.id = p.campaign_id
      where r.status in ('due', 'sending') and r.held_at is null and r.due_at < $1 and c.status <> 'closed'
        and p.channel = 'email' and p.recipient is not null and p.subject is not null
     limit $3`,
    [dueBefore, msPerHour, limit],
  );
  return rows.map((r) => ({ probeId: r.probe_id, seq: r.seq }));
}
