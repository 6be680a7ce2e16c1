/**
 * The score of a reply from its latest analysis, its probe's outcome and the auditor's
 * overrides; and what the statistics read of the probe's answer, kept on its outcome (the
 * note and the form figures), up to date whenever one of the three changes.
 */
import type { ReplyAnalysis } from '../audit/analyse.ts';
import { CRITERION_MAX, scoreReply, type CriterionId, type Overrides, type ReplyScore, type ScoringOutcome } from '../audit/score.ts';
import { findScoringInputs, saveAnswerScore, type ScoringInputs } from '../db/outcomes.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { findLatestAnalysis, listEvaluations } from '../db/reply-views.repo.ts';

const scoringOutcome = (inputs: ScoringInputs): ScoringOutcome => ({
  delayHours: inputs.delayHours,
  ackDelayHours: inputs.ackDelayHours,
  norms: inputs.norms,
  withinNorms: inputs.withinNorms,
});

async function overridesOf(db: Queryable, replyId: string): Promise<Overrides> {
  const overrides: Overrides = {};
  for (const e of await listEvaluations(db, replyId)) {
    overrides[e.criterion as CriterionId] = { value: e.value, comment: e.comment ?? '', by: e.author ?? 'unknown', at: e.updatedAt.toISOString() };
  }
  return overrides;
}

/**
 * The reply's latest analysis, or null: an analysis recorded as skipped (no text to
 * analyse) counts as none. `canned` is the brand's closest other answer.
 */
async function latestAnalysis(db: Queryable, replyId: string): Promise<{ result: ReplyAnalysis; cannedSimilarity: number | null } | null> {
  const stored = await findLatestAnalysis(db, replyId);
  const result = stored?.result as (ReplyAnalysis & { skipped?: string; canned?: { similarity: number } | null }) | undefined;
  if (!result || result.skipped) return null;
  return { result, cannedSimilarity: result.canned?.similarity ?? null };
}

export async function scoreOfReply(db: Queryable, replyId: string): Promise<ReplyScore | null> {
  const inputs = await findScoringInputs(db, replyId);
  if (!inputs) return null;
  const [analysis, overrides] = await Promise.all([latestAnalysis(db, replyId), overridesOf(db, replyId)]);
  return scoreReply(analysis?.result ?? null, { ...scoringOutcome(inputs), cannedSimilarity: analysis?.cannedSimilarity ?? null }, overrides);
}

/** What the statistics count of an answer, besides its note. */
export interface AnswerFigures {
  /** Null when no dictionary matched the answer's language. */
  spellingErrors: number | null;
  spellingWords: number | null;
  logo: boolean;
  charter: boolean;
  namedSignature: boolean;
  personalised: boolean;
}

/**
 * The analysis's findings, where an auditor's override of the matching criterion does not say
 * otherwise. An override at either end of the scale settles the question: 0 means absent (for
 * spelling: at least one error), full marks present (for spelling: no error). A value in
 * between grades the element without saying whether it is there, and the finding stands.
 */
export function answerFigures(analysis: ReplyAnalysis, overrides: Overrides): AnswerFigures {
  const judged = (criterion: CriterionId, found: boolean): boolean => {
    const value = overrides[criterion]?.value;
    return value === 0 ? false : value === CRITERION_MAX ? true : found;
  };
  const { spelling, form } = analysis;
  const found = spelling.errors.length;
  const errors = !spelling.checked ? null : judged('spelling', found === 0) ? 0 : Math.max(found, 1);
  return {
    spellingErrors: errors,
    spellingWords: spelling.checked ? spelling.wordCount : null,
    logo: judged('logo', form.logo.present),
    charter: judged('charter', form.charter.present),
    namedSignature: judged('signature', form.signature.present),
    personalised: judged('personalisation', form.personalised.present),
  };
}

/**
 * Stores the note and the figures of the probe's answer on its outcome, when this reply is the
 * probe's answer. An answer not analysed yet has neither: the statistics leave it out until
 * its analysis lands.
 */
export async function refreshReplyScore(db: Queryable, replyId: string): Promise<void> {
  const inputs = await findScoringInputs(db, replyId);
  if (!inputs?.isAnswer) return;
  const [analysis, overrides] = await Promise.all([latestAnalysis(db, replyId), overridesOf(db, replyId)]);
  const result = analysis?.result ?? null;
  const note = result ? scoreReply(result, { ...scoringOutcome(inputs), cannedSimilarity: analysis?.cannedSimilarity ?? null }, overrides).note : null;
  const figures = result ? answerFigures(result, overrides) : null;
  await saveAnswerScore(db, inputs.probeId, {
    score: note,
    scoredReplyId: result ? replyId : null,
    spellingErrors: figures?.spellingErrors ?? null,
    spellingWords: figures?.spellingWords ?? null,
    logo: figures?.logo ?? null,
    charter: figures?.charter ?? null,
    namedSignature: figures?.namedSignature ?? null,
    personalised: figures?.personalised ?? null,
  });
}
