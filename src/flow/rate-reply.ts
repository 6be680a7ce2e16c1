/**
 * Double rating as a use case: an auditor's own rating of a reply, merged criterion by
 * criterion, and the note of the probe's answer rescored in the same transaction (as an
 * evaluation does); and who may arbitrate a disagreement between two raters.
 */
import { arbitrationsRefused } from '../audit/double-rating.ts';
import type { CriterionId } from '../audit/score.ts';
import { withTransaction, type Pool, type Queryable } from '../db/pool.ts';
import { listReplyGrades, lockReplyForRating, mergeGrades } from '../db/ratings.repo.ts';
import { listEvaluations } from '../db/reply-views.repo.ts';
import { refreshReplyScore } from './score-reply.ts';

export type GradeChange = { criterion: CriterionId; grade: { value: number; comment: string | null } | null };

export async function rateReply(pool: Pool, replyId: string, raterKeyId: string, changes: GradeChange[]): Promise<void> {
  await withTransaction(pool, async (tx) => {
    // one rating at a time per reply: the rescoring below then reads every committed grade
    await lockReplyForRating(tx, replyId);
    await mergeGrades(tx, replyId, raterKeyId, changes);
    await refreshReplyScore(tx, replyId);
  });
}

/**
 * The criteria an evaluation may not touch for this caller: those whose two raters disagree
 * and of which the caller is one. An admin may arbitrate any; a key without id (the
 * environment's admin key) rates nothing, so it is never one of the raters.
 */
export async function refusedArbitrations(
  db: Queryable,
  replyId: string,
  caller: { keyId: string | null; role: string },
  after: Readonly<Record<string, number>>,
): Promise<CriterionId[]> {
  if (caller.role === 'admin' || caller.keyId === null) return [];
  const [grades, evaluations] = await Promise.all([listReplyGrades(db, replyId), listEvaluations(db, replyId)]);
  const before = Object.fromEntries(evaluations.map((e) => [e.criterion, e.value]));
  return arbitrationsRefused(grades, caller.keyId, before, after);
}
