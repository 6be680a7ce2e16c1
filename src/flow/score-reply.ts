/**
 * The score of a reply from its latest analysis, its probe's outcome, the auditor's
 * overrides and the double rating's values (`audit/double-rating.ts`); and what the
 * statistics read of the probe's answer, kept on its outcome (the note and the form
 * figures), up to date whenever one of them changes.
 */
import type { ReplyAnalysis } from '../audit/analyse.ts';
import { CRITERION_MAX, scoreReply, type CriterionId, type Overrides, type ReplyScore, type ScoringOutcome } from '../audit/score.ts';
import { resolveRatings, type RatedValues } from '../audit/double-rating.ts';
import { findScoringInputs, saveAnswerScore, type ScoringInputs } from '../db/outcomes.repo.ts';
import type { Queryable } from '../db/pool.ts';
import { listReplyGrades } from '../db/ratings.repo.ts';
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

/** What the auditors' double rating says of each criterion they graded. */
async function ratedOf(db: Queryable, replyId: string): Promise<RatedValues> {
  return resolveRatings(await listReplyGrades(db, replyId));
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

/** Who looks at a score: its key (none for the environment's admin key) and role. */
export interface ScoreViewer {
  keyId: string | null;
  role: string;
}

/** A reply's score as a viewer may see it: `ratingsWithheld` counts the raters left out of it. */
export type ViewedScore = ReplyScore & { ratingsWithheld: number };

/**
 * The score of a reply. Given a `viewer`, the double rating stays blind in the score as it does
 * in the ratings (`rating-views.ts`): an auditor who has not rated the reply while others have
 * gets the score without their grades (the automatic values and overrides only), told how many
 * ratings were left out, so the grid never shows a lone rater's grade to the second rater.
 * Admins, readers (who do not rate) and the statistics get the whole score.
 */
export async function scoreOfReply(db: Queryable, replyId: string, viewer?: ScoreViewer | null): Promise<ViewedScore | null> {
  const inputs = await findScoringInputs(db, replyId);
  if (!inputs) return null;
  const [analysis, overrides, grades] = await Promise.all([latestAnalysis(db, replyId), overridesOf(db, replyId), listReplyGrades(db, replyId)]);
  const raters = new Set(grades.map((g) => g.raterId));
  const blind = viewer?.role === 'auditor' && raters.size > 0 && !(viewer.keyId !== null && raters.has(viewer.keyId));
  const rated: RatedValues = blind ? {} : resolveRatings(grades);
  const score = scoreReply(analysis?.result ?? null, { ...scoringOutcome(inputs), cannedSimilarity: analysis?.cannedSimilarity ?? null }, overrides, rated);
  return { ...score, ratingsWithheld: blind ? raters.size : 0 };
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
 * The analysis's findings, where an auditor's override (or the raters' value) of the matching
 * criterion does not say otherwise. An override at either end of the scale settles the question: 0 means absent (for
 * spelling: at least one error), full marks present (for spelling: no error). A value in
 * between grades the element without saying whether it is there, and the finding stands.
 */
export function answerFigures(analysis: ReplyAnalysis, overrides: Partial<Record<CriterionId, { value: number }>>): AnswerFigures {
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
  const rated = await ratedOf(db, replyId);
  const result = analysis?.result ?? null;
  const note = result ? scoreReply(result, { ...scoringOutcome(inputs), cannedSimilarity: analysis?.cannedSimilarity ?? null }, overrides, rated).note : null;
  const figures = result ? answerFigures(result, { ...rated, ...overrides }) : null;
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
