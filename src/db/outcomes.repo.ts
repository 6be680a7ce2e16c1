/** One outcome per probe, carrying the probe's grouping keys so that statistics read one table. */
import type { Outcome } from '../audit/outcome.ts';
import type { Queryable } from './pool.ts';

export interface OutcomeKeys {
  probeId: string;
  campaignId: string;
  brandId: string;
  sectorId: string;
  mailboxId: string;
  sentAt: Date | null;
}

export type StoredOutcome = Omit<Outcome, 'lateReplyIds'> & { score: number | null; frozen: boolean; updatedAt: Date };

export async function saveOutcome(db: Queryable, keys: OutcomeKeys, o: Outcome): Promise<void> {
  await db.query(
    `insert into outcomes (probe_id, campaign_id, brand_id, sector_id, mailbox_id, sent_at, acknowledged_at, ack_delay_hours,
                           answered_at, answer_reply_id, delay_hours, business_delay_hours, within_norms, reminders_sent,
                           answered_after_reminder, follow_ups, bounced, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, now())
     on conflict (probe_id) do update set
       campaign_id = excluded.campaign_id, brand_id = excluded.brand_id, sector_id = excluded.sector_id,
       mailbox_id = excluded.mailbox_id, sent_at = excluded.sent_at, acknowledged_at = excluded.acknowledged_at,
       ack_delay_hours = excluded.ack_delay_hours, answered_at = excluded.answered_at,
       answer_reply_id = excluded.answer_reply_id, delay_hours = excluded.delay_hours,
       business_delay_hours = excluded.business_delay_hours, within_norms = excluded.within_norms,
       reminders_sent = excluded.reminders_sent, answered_after_reminder = excluded.answered_after_reminder,
       follow_ups = excluded.follow_ups, bounced = excluded.bounced, updated_at = now()`,
    [
      keys.probeId,
      keys.campaignId,
      keys.brandId,
      keys.sectorId,
      keys.mailboxId,
      keys.sentAt,
      o.acknowledgedAt,
      o.ackDelayHours,
      o.answeredAt,
      o.answerReplyId,
      o.delayHours,
      o.businessDelayHours,
      JSON.stringify(o.withinNorms),
      o.remindersSent,
      o.answeredAfterReminder,
      o.followUps,
      o.bounced,
    ],
  );
}

interface OutcomeRow {
  acknowledged_at: Date | null;
  ack_delay_hours: number | null;
  answered_at: Date | null;
  answer_reply_id: string | null;
  delay_hours: number | null;
  business_delay_hours: number | null;
  within_norms: Record<string, boolean>;
  reminders_sent: number;
  answered_after_reminder: boolean;
  follow_ups: number;
  bounced: boolean;
  score: number | null;
  frozen: boolean;
  updated_at: Date;
}

export async function findOutcome(db: Queryable, probeId: string): Promise<StoredOutcome | null> {
  return (await findOutcomes(db, [probeId])).get(probeId) ?? null;
}

/** The outcomes of several probes in one query (a page of probes), by probe id. */
export async function findOutcomes(db: Queryable, probeIds: string[]): Promise<Map<string, StoredOutcome>> {
  if (probeIds.length === 0) return new Map();
  const { rows } = await db.query<OutcomeRow & { probe_id: string }>('select * from outcomes where probe_id = any($1::uuid[])', [probeIds]);
  return new Map(rows.map((r) => [r.probe_id, toStoredOutcome(r)]));
}

function toStoredOutcome(r: OutcomeRow): StoredOutcome {
  return {
    acknowledgedAt: r.acknowledged_at,
    ackDelayHours: r.ack_delay_hours,
    answeredAt: r.answered_at,
    answerReplyId: r.answer_reply_id,
    delayHours: r.delay_hours,
    businessDelayHours: r.business_delay_hours,
    withinNorms: r.within_norms,
    remindersSent: r.reminders_sent,
    answeredAfterReminder: r.answered_after_reminder,
    followUps: r.follow_ups,
    bounced: r.bounced,
    score: r.score,
    frozen: r.frozen,
    updatedAt: r.updated_at,
  };
}

/** What recomputing an outcome needs to know of the probe, its campaign and its brand. */
export async function findOutcomeContext(db: Queryable, probeId: string): Promise<{
  keys: OutcomeKeys;
  campaign: { norms: number[]; businessHours: { days: number[]; from: string; to: string }; timezone: string; closedAt: Date | null };
  reminders: { sentAt: Date }[];
  /** The reply whose note and form figures the outcome holds now, if any. */
  scoredReplyId: string | null;
  /** Replies of the probe that have an analysis: only those can carry a note. */
  analysedReplyIds: string[];
  hasDueReminder: boolean;
} | null> {
  const { rows } = await db.query<{
    id: string;
    campaign_id: string;
    brand_id: string;
    sector_id: string;
    mailbox_id: string;
    sent_at: Date | null;
    norms: number[];
    business_hours: { days: number[]; from: string; to: string };
    timezone: string;
    closed_at: Date | null;
    reminder_times: Date[];
    scored_reply_id: string | null;
    analysed_reply_ids: string[];
    has_due_reminder: boolean;
  }>(
    // locks the probe: two transactions changing one thread take their turns here
    `select p.id, p.campaign_id, p.brand_id, b.sector_id, p.mailbox_id, p.sent_at,
            c.norms, c.business_hours, c.timezone, c.closed_at,
            array(select r.sent_at from reminders r where r.probe_id = p.id and r.sent_at is not null order by r.sent_at) as reminder_times,
            (select o.scored_reply_id from outcomes o where o.probe_id = p.id) as scored_reply_id,
            array(select distinct a.reply_id from replies rp join analyses a on a.reply_id = rp.id where rp.probe_id = p.id) as analysed_reply_ids,
            exists (select 1 from reminders r where r.probe_id = p.id and r.status = 'due') as has_due_reminder
       from probes p join brands b on b.id = p.brand_id join campaigns c on c.id = p.campaign_id
      where p.id = $1
        for update of p`,
    [probeId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    keys: { probeId: r.id, campaignId: r.campaign_id, brandId: r.brand_id, sectorId: r.sector_id, mailboxId: r.mailbox_id, sentAt: r.sent_at },
    campaign: { norms: r.norms, businessHours: r.business_hours, timezone: r.timezone, closedAt: r.closed_at },
    reminders: r.reminder_times.map((sentAt) => ({ sentAt })),
    scoredReplyId: r.scored_reply_id,
    analysedReplyIds: r.analysed_reply_ids,
    hasDueReminder: r.has_due_reminder,
  };
}

/** A probe without an answer has no note and no form figures. */
export async function clearScore(db: Queryable, probeId: string): Promise<void> {
  await db.query(
    `update outcomes set score = null, scored_reply_id = null, spelling_errors = null, spelling_words = null,
            form_logo = null, form_charter = null, form_named_signature = null, form_personalised = null
      where probe_id = $1 and scored_reply_id is not null`,
    [probeId],
  );
}

/** The probes of a campaign that have an outcome, in id order (the order locks are taken in). */
export async function listOutcomeProbeIds(db: Queryable, campaignId: string): Promise<string[]> {
  const { rows } = await db.query<{ probe_id: string }>('select probe_id from outcomes where campaign_id = $1 order by probe_id', [campaignId]);
  return rows.map((r) => r.probe_id);
}

/** What scoring a reply reads of its probe's outcome and campaign; null when the reply does not exist or has no probe. */
export interface ScoringInputs {
  probeId: string;
  /** The reply is its probe's answer. */
  isAnswer: boolean;
  delayHours: number | null;
  ackDelayHours: number | null;
  withinNorms: Record<string, boolean>;
  norms: number[];
}

export async function findScoringInputs(db: Queryable, replyId: string): Promise<ScoringInputs | null> {
  const { rows } = await db.query<{
    probe_id: string;
    is_answer: boolean;
    delay_hours: number | null;
    ack_delay_hours: number | null;
    within_norms: Record<string, boolean> | null;
    norms: number[];
  }>(
    `select r.probe_id, coalesce(o.answer_reply_id = r.id, false) as is_answer, o.delay_hours, o.ack_delay_hours, o.within_norms, c.norms
       from replies r join probes p on p.id = r.probe_id join campaigns c on c.id = p.campaign_id
       left join outcomes o on o.probe_id = r.probe_id
      where r.id = $1`,
    [replyId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    probeId: row.probe_id,
    isAnswer: row.is_answer,
    delayHours: row.delay_hours,
    ackDelayHours: row.ack_delay_hours,
    withinNorms: row.within_norms ?? {},
    norms: row.norms,
  };
}

/** The note and form figures of a probe's answer, as the statistics count them; all null when the answer is not analysed. */
export interface AnswerScore {
  score: number | null;
  scoredReplyId: string | null;
  spellingErrors: number | null;
  spellingWords: number | null;
  logo: boolean | null;
  charter: boolean | null;
  namedSignature: boolean | null;
  personalised: boolean | null;
}

export async function saveAnswerScore(db: Queryable, probeId: string, score: AnswerScore): Promise<void> {
  await db.query(
    `update outcomes
        set score = $2, scored_reply_id = $3, spelling_errors = $4, spelling_words = $5,
            form_logo = $6, form_charter = $7, form_named_signature = $8, form_personalised = $9, updated_at = now()
      where probe_id = $1`,
    [
      probeId,
      score.score,
      score.scoredReplyId,
      score.spellingErrors,
      score.spellingWords,
      score.logo,
      score.charter,
      score.namedSignature,
      score.personalised,
    ],
  );
}
