/**
 * An auditor's overrides of a reply's score, criterion by criterion: the whole set is
 * replaced (criteria left out return to their automatic value) and the reply's score and
 * its probe's figures are refreshed in the same transaction. Shared by
 * `PUT /v1/replies/:id/evaluation` and the dashboard's override form.
 */
import type { CriterionId } from '../audit/score.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { replaceEvaluations } from '../db/reply-views.repo.ts';
import { refreshReplyScore } from './score-reply.ts';

export type CriterionOverrides = Partial<Record<CriterionId, { value: number; comment: string }>>;

export async function evaluateReply(pool: Pool, replyId: string, criteria: CriterionOverrides, by: string): Promise<void> {
  const entries = Object.entries(criteria) as [CriterionId, { value: number; comment: string }][];
  await withTransaction(pool, async (tx) => {
    await replaceEvaluations(
      tx,
      replyId,
      entries.map(([criterion, o]) => ({ criterion, value: o.value, comment: o.comment })),
      by,
    );
    await refreshReplyScore(tx, replyId);
  });
}
