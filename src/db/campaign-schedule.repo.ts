/**
 * SQL of a campaign's run: its planned probes, the send claims that make a probe go out at
 * most once, reminders, and the status transitions (scheduled, running, closed, reopened).
 */
import type { PlanBrand, PlanMailbox, PlanScenario, PlannedProbe } from '../audit/schedule.ts';
import type { CampaignStatus } from './campaigns.repo.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';
import type { Pool, Queryable } from './pool.ts';
import { toProbe, type Probe, type ProbeChannel, type ProbeRow } from './probes.repo.ts';

// ---------------------------------------------------------------- one sender at a time

/**
 * Runs `work` while holding a PostgreSQL advisory lock named `key`, on one connection that
 * `work` uses for its queries (so a job never waits for a second connection while holding
 * one). The lock belongs to the session: a worker that dies mid-send loses it with its
 * connection, which is how the next attempt knows nobody is sending any more. Returns
 * `{ locked: false }` at once when another session holds it.
 */
export async function withAdvisoryLock<T>(
  pool: Pool,
  key: string,
  work: (db: Queryable) => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  const client = await pool.connect();
  // Only a failure of the lock's own queries says the connection is unusable; `work` failing is its own business.
  let broken: Error | undefined;
  try {
    const { rows } = await client
      .query<{ locked: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [key])
      .catch((err: Error) => {
        throw (broken = err);
      });
    if (!rows[0]?.locked) return { locked: false };
    try {
      return { locked: true, value: await work(client) };
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch((err: Error) => (broken = err));
    }
  } finally {
    // a connection whose unlock failed must not go back to the pool still holding the lock
    client.release(broken);
  }
}

// ---------------------------------------------------------------- planning

export interface PlanInputs {
  brands: PlanBrand[];
  scenarios: Array<PlanScenario & { name: string; reminderBody: string | null }>;
  mailboxes: Array<PlanMailbox & { label: string; smtpConfigured: boolean }>;
}

/** Everything `planCampaign` reads about a campaign's brands, scenarios and mailboxes, in three queries. */
export async function loadPlanInputs(db: Queryable, campaignId: string): Promise<PlanInputs> {
  const brands = await db.query<{ id: string; name: string; contact_addresses: string[] }>(
    `select b.id, b.name, b.contact_addresses from brands b join campaign_brands cb on cb.brand_id = b.id
      where cb.campaign_id = $1 order by b.id`,
    [campaignId],
  );
  const scenarios = await db.query<{ id: string; name: string; subject: string; body: string; reminder_body: string | null }>(
    `select s.id, s.name, s.subject, s.body, s.reminder_body from scenarios s join campaign_scenarios cs on cs.scenario_id = s.id
      where cs.campaign_id = $1 order by s.id`,
    [campaignId],
  );
  const mailboxes = await db.query<{
    id: string;
    label: string;
    address: string;
    persona_id: string;
    first_name: string;
    last_name: string;
    probe_address_pattern: string | null;
    smtp_configured: boolean;
  }>(
    `select m.id, m.label, m.address, m.persona_id, p.first_name, p.last_name, m.probe_address_pattern,
            (m.smtp_host is not null and m.smtp_port is not null and m.smtp_user is not null and m.smtp_password_enc is not null) as smtp_configured
       from mailboxes m join personas p on p.id = m.persona_id join campaign_mailboxes cm on cm.mailbox_id = m.id
      where cm.campaign_id = $1 order by m.id`,
    [campaignId],
  );
  return {
    brands: brands.rows.map((r) => ({ id: r.id, name: r.name, contactAddresses: r.contact_addresses })),
    scenarios: scenarios.rows.map((r) => ({ id: r.id, name: r.name, subject: r.subject, body: r.body, reminderBody: r.reminder_body })),
    mailboxes: mailboxes.rows.map((r) => ({
      id: r.id,
      label: r.label,
      address: r.address,
      personaId: r.persona_id,
      persona: { firstName: r.first_name, lastName: r.last_name },
      probeAddressPattern: r.probe_address_pattern,
      smtpConfigured: r.smtp_configured,
    })),
  };
}

/** Persona addresses already given to probes of these mailboxes: a new probe must not reuse one. */
export async function takenPersonaAddresses(db: Queryable, mailboxIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ address: string }>(
    `select distinct lower(persona_address) as address from probes
      where mailbox_id = any($1::uuid[]) and persona_address is not null`,
    [mailboxIds],
  );
  return new Set(rows.map((r) => r.address));
}

/**
 * The campaign's status and whether its probes were planned, its row locked until the
 * transaction ends; null when it does not exist.
 */
export async function lockCampaign(db: Queryable, campaignId: string): Promise<{ status: CampaignStatus; planned: boolean } | null> {
  const { rows } = await db.query<{ status: CampaignStatus; planned: boolean }>(
    'select status, planned_at is not null as planned from campaigns where id = $1 for update',
    [campaignId],
  );
  return rows[0] ?? null;
}

/**
 * Records that the plan was made, in the plan's own transaction: the campaign is planned
 * once, whatever probes were declared by hand before or since.
 */
export async function markCampaignPlanned(db: Queryable, campaignId: string, at: Date): Promise<void> {
  await db.query('update campaigns set planned_at = $2, updated_at = now() where id = $1 and planned_at is null', [campaignId, at]);
}

/** Inserts a whole plan in one statement. */
export async function insertPlannedProbes(db: Queryable, campaignId: string, plan: readonly PlannedProbe[]): Promise<number> {
  if (plan.length === 0) return 0;
  const column = <K extends keyof PlannedProbe>(key: K) => plan.map((p) => p[key]);
  const result = await db.query(
    `insert into probes (campaign_id, brand_id, scenario_id, mailbox_id, channel, recipient, persona_address,
                         subject, body, scheduled_at, status)
     select $1, brand_id, scenario_id, mailbox_id, 'email', lower(recipient), lower(persona_address), subject, body, scheduled_at, 'planned'
       from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
         as t(brand_id, scenario_id, mailbox_id, recipient, persona_address, subject, body, scheduled_at)`,
    [
      campaignId,
      column('brandId'),
      column('scenarioId'),
      column('mailboxId'),
      column('recipient'),
      column('personaAddress'),
      column('subject'),
      column('body'),
      column('scheduledAt'),
    ],
  );
  return result.rowCount ?? 0;
}

/** Probes of the campaign still waiting for their send job. */
export async function listPlannedProbes(db: Queryable, campaignId: string): Promise<Array<{ id: string; scheduledAt: Date }>> {
  const { rows } = await db.query<{ id: string; scheduled_at: Date }>(
    `select id, scheduled_at from probes where campaign_id = $1 and status = 'planned' and channel = 'email' order by scheduled_at, id`,
    [campaignId],
  );
  return rows.map((r) => ({ id: r.id, scheduledAt: r.scheduled_at }));
}

/** Probes of the campaign that went out: those with an outcome to recompute. */
export async function listSentProbeIds(db: Queryable, campaignId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('select id from probes where campaign_id = $1 and sent_at is not null order by id', [campaignId]);
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------- sending a probe

/**
 * planned → sending, storing the Message-ID the message will carry (kept when one is stored
 * already). The row lock makes two claimers of one probe see one winner. Null when the
 * probe is not `planned` (any more).
 */
export async function claimProbe(db: Queryable, probeId: string, messageId: string): Promise<Probe | null> {
  const { rows } = await db.query<ProbeRow>(
    `with due as (select id from probes where id = $1 and status = 'planned' for update skip locked)
     update probes p set status = 'sending', internet_message_id = coalesce(p.internet_message_id, $2), error = null, updated_at = now()
       from due where p.id = due.id
     returning p.*`,
    [probeId, messageId],
  );
  return rows[0] ? toProbe(rows[0]) : null;
}

/** A planned probe of a closed campaign will never go out. */
export async function cancelPlannedProbe(db: Queryable, probeId: string): Promise<void> {
  await db.query(`update probes set status = 'cancelled', updated_at = now() where id = $1 and status = 'planned'`, [probeId]);
}

/**
 * A send job gave up for good (whatever the cause): the probe says why. One still `planned`
 * failed; one left `sending` may have gone out, so it stays so and the reconciler has its
 * Sent folder checked later. A probe sent or cancelled is left as it is.
 */
export async function failProbe(db: Queryable, probeId: string, error: string): Promise<void> {
  await db.query(
    `update probes set status = case when status = 'planned' then 'failed' else status end, error = $2, updated_at = now()
      where id = $1 and status in ('planned', 'sending')`,
    [probeId, error],
  );
}

/**
 * A fault of the mailbox rather than of one message (a refused SMTP login, no SMTP
 * settings), shown where an auditor looks at the mailbox. The poll's failure streak is left
 * alone: the mailbox still reads fine.
 */
export async function recordMailboxSendError(db: Queryable, mailboxId: string, error: string): Promise<void> {
  await db.query('update mailboxes set send_error = $2, send_error_at = now() where id = $1', [mailboxId, error]);
}

/** The mailbox sent again: its sending fault is over. */
export async function clearMailboxSendError(db: Queryable, mailboxId: string): Promise<void> {
  await db.query('update mailboxes set send_error = null, send_error_at = null where id = $1 and send_error is not null', [mailboxId]);
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

// ---------------------------------------------------------------- campaign status

/** Compare-and-set: moves the campaign to `to` only from one of `from`; false when it was elsewhere. */
export async function transitionCampaign(db: Queryable, campaignId: string, from: readonly CampaignStatus[], to: CampaignStatus): Promise<boolean> {
  const result = await db.query(
    `update campaigns set status = $3, updated_at = now() where id = $1 and status = any($2::text[])`,
    [campaignId, from, to],
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * scheduled|running → closed. Call inside a transaction: the outcomes are frozen, and what
 * was still to be sent is cancelled with the status change: planned probes, reminders due,
 * and the reminders sent probes have still to come, recorded `cancelled` (their due time
 * counted from the probe) so that none of them goes out after a reopen.
 */
export async function closeCampaign(db: Queryable, campaignId: string, at: Date): Promise<boolean> {
  const result = await db.query(
    `update campaigns set status = 'closed', closed_at = $2, updated_at = now()
      where id = $1 and status in ('scheduled', 'running')`,
    [campaignId, at],
  );
  if ((result.rowCount ?? 0) === 0) return false;
  await db.query('update outcomes set frozen = true, updated_at = now() where campaign_id = $1', [campaignId]);
  await db.query(`update probes set status = 'cancelled', updated_at = now() where campaign_id = $1 and status = 'planned'`, [campaignId]);
  await db.query(
    `update reminders r set status = 'cancelled' from probes p
      where p.id = r.probe_id and p.campaign_id = $1 and r.status = 'due'`,
    [campaignId],
  );
  await db.query(
    `insert into reminders (probe_id, seq, due_at, status)
     select p.id, s.seq, p.sent_at + make_interval(secs => c.reminder_after_hours * 3600 * s.seq), 'cancelled'
       from probes p join campaigns c on c.id = p.campaign_id
            cross join lateral generate_series(1, c.reminder_max) as s(seq)
      where p.campaign_id = $1 and p.status = 'sent' and p.sent_at is not null
     on conflict (probe_id, seq) do nothing`,
    [campaignId],
  );
  return true;
}

/** closed → running, outcomes thawed. Call inside a transaction. Nothing cancelled at closing comes back. */
export async function reopenCampaign(db: Queryable, campaignId: string): Promise<boolean> {
  const result = await db.query(
    `update campaigns set status = 'running', closed_at = null, updated_at = now() where id = $1 and status = 'closed'`,
    [campaignId],
  );
  if ((result.rowCount ?? 0) === 0) return false;
  await db.query('update outcomes set frozen = false, updated_at = now() where campaign_id = $1', [campaignId]);
  return true;
}

// ---------------------------------------------------------------- reminders

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
  filter: { status?: ReminderStatus | undefined; campaignId?: string | undefined; probeId?: string | undefined; channel?: ProbeChannel | undefined },
): Promise<Page<ReminderListItem>> {
  const clause = pageClause(page, 5, 'r');
  const { rows } = await db.query<ReminderRow & { campaign_id: string; channel: ProbeChannel }>(
    `select r.*, p.campaign_id, p.channel from reminders r join probes p on p.id = r.probe_id
      where ($1::text is null or r.status = $1) and ($2::uuid is null or p.campaign_id = $2)
        and ($3::uuid is null or r.probe_id = $3) and ($4::text is null or p.channel = $4)
        and ${clause.sql}`,
    [filter.status ?? null, filter.campaignId ?? null, filter.probeId ?? null, filter.channel ?? null, ...clause.values],
  );
  return toPage(rows, page.limit, (row) => ({ ...toReminder(row), campaignId: row.campaign_id, channel: row.channel }));
}

// ---------------------------------------------------------------- recovery

/**
 * Probes whose send job should have run and may be lost: e-mail probes of a running (or
 * scheduled) campaign still `planned` past `plannedBefore`, and probes of any campaign left
 * `sending` since before `sendingBefore` (a worker that died mid-send).
 */
export async function listStalledProbes(db: Queryable, plannedBefore: Date, sendingBefore: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `select p.id from probes p join campaigns c on c.id = p.campaign_id
      where p.channel = 'email'
        and ((p.status = 'planned' and c.status in ('scheduled', 'running') and coalesce(p.scheduled_at, p.created_at) < $1)
          or (p.status = 'sending' and p.updated_at < $2))
      order by coalesce(p.scheduled_at, p.created_at), p.id
      limit $3`,
    [plannedBefore, sendingBefore, limit],
  );
  return rows.map((r) => r.id);
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
       from reminders r join probes p on p.id = r.probe_id
      where r.status in ('due', 'sending') and r.due_at < $1
        and p.channel = 'email' and p.recipient is not null and p.subject is not null
     limit $3`,
    [dueBefore, msPerHour, limit],
  );
  return rows.map((r) => ({ probeId: r.probe_id, seq: r.seq }));
}
