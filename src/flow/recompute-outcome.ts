/**
 * Recomputes a probe's outcome and the figures of each of its replies from scratch,
 * whenever a reply arrives, is reassigned, or a reminder goes out. Call inside the
 * transaction that changed the thread, so the outcome never lags behind its replies.
 */
import { computeOutcome, replyDelay, threadKinds, type Outcome } from '../audit/outcome.ts';
import { cancelDueReminders } from '../db/reminders.repo.ts';
import { clearScore, findOutcomeContext, saveOutcome } from '../db/outcomes.repo.ts';
import { refreshReplyScore } from './score-reply.ts';
import type { Queryable } from '../db/pool.ts';
import { listProbeThread, saveReplyFigures } from '../db/replies.repo.ts';

export async function recomputeOutcome(db: Queryable, probeId: string): Promise<Outcome | null> {
  // The context query locks the probe: two transactions changing one thread (a sync and
  // an auditor's assignment) take their turns, so the last to save has seen the other's
  // reply. Callers that recompute several probes do it in id order, so two of them never
  // wait on each other.
  const context = await findOutcomeContext(db, probeId);
  if (!context) return null;
  const thread = await listProbeThread(db, probeId);
  const outcome = computeOutcome({ sentAt: context.keys.sentAt, reminders: context.reminders }, thread, context.campaign);

  const late = new Set(outcome.lateReplyIds);
  const kinds = threadKinds(thread.filter((r) => !late.has(r.id)));
  await saveReplyFigures(
    db,
    thread.map((reply) => ({
      id: reply.id,
      kind: kinds.get(reply.id) ?? reply.kind,
      ...replyDelay(context.keys.sentAt, reply.receivedAt, context.campaign),
      late: late.has(reply.id),
    })),
  );
  await saveOutcome(db, context.keys, outcome);
  // the brand answered: a reminder waiting for an auditor (web form) must not go out
  if (outcome.answerReplyId && context.hasDueReminder) await cancelDueReminders(db, probeId);
  // The note is the answer's: it follows when the answer changes, and goes when there is
  // none. An answer not analysed yet has no note (its analysis brings it), so a new reply
  // on an outcome without a note costs nothing here.
  const answer = outcome.answerReplyId;
  if (answer && (context.analysedReplyIds.includes(answer) || context.scoredReplyId !== null)) await refreshReplyScore(db, answer);
  else if (!answer && context.scoredReplyId !== null) await clearScore(db, probeId);
  return outcome;
}
