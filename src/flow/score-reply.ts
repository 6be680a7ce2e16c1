/**
 * The score of a reply from its latest analysis, its probe's outcome and the
 * auditor's overrides; and the probe's stored score (used by the statistics), kept
 * up to date whenever one of the three changes.
 */
import type { ReplyAnalysis } from '../audit/analyse.ts';
import { scoreReply, type CriterionId, type Overrides, type ReplyScore } from '../audit/score.ts';
import type { Queryable } from '../db/pool.ts';
import { findLatestAnalysis, listEvaluations } from '../db/reply-views.repo.ts';

async function scoringInputs(db: Queryable, replyId: string) {
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
  return rows[0] ?? null;
}

export async function scoreOfReply(db: Queryable, replyId: string): Promise<ReplyScore | null> {
  const inputs = await scoringInputs(db, replyId);
  if (!inputs) return null;
  const [analysis, evaluations] = await Promise.all([findLatestAnalysis(db, replyId), listEvaluations(db, replyId)]);
  const overrides: Overrides = {};
  for (const e of evaluations) {
    overrides[e.criterion as CriterionId] = { value: e.value, comment: e.comment ?? '', by: e.author ?? 'unknown', at: e.updatedAt.toISOString() };
  }
  // an analysis recorded as skipped (no text to analyse) scores as no analysis
  const result = analysis?.result as (ReplyAnalysis & { skipped?: string }) | undefined;
  return scoreReply(
    result && !result.skipped ? result : null,
    { delayHours: inputs.delay_hours, ackDelayHours: inputs.ack_delay_hours, norms: inputs.norms, withinNorms: inputs.within_norms ?? {} },
    overrides,
  );
}

/** Stores the note on the probe's outcome when this reply is the probe's answer. */
export async function refreshReplyScore(db: Queryable, replyId: string): Promise<void> {
  const inputs = await scoringInputs(db, replyId);
  if (!inputs?.is_answer) return;
  const score = await scoreOfReply(db, replyId);
  await db.query('update outcomes set score = $2, updated_at = now() where probe_id = $1', [inputs.probe_id, score?.note ?? null]);
}
