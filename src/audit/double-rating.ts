/**
 * Double rating: two auditors grade a reply's criteria independently; their agreement is
 * measured (`agreement.ts`), a disagreement waits for an arbitration, and the note takes, per
 * criterion, the first of:
 *
 * 1. `arbitration`: an auditor's evaluation override (`PUT /v1/replies/:id/evaluation`);
 * 2. `agreed`: the value both raters of the criterion gave;
 * 3. `mean`: the mean of the two raters' values (they differ, and no one arbitrated);
 * 4. `rater`: the value of the only rater who graded the criterion;
 * 5. `automatic`: what the analysers found.
 *
 * **Pairs.** The two raters of a criterion are the first two who graded it, in the order of
 * their first grade of that criterion (a later change keeps its place; equal times are
 * ordered by rater id). A third rater's grade is kept and shown, but enters neither the
 * pair, nor the note, nor the agreement figures: a third auditor settles a disagreement by
 * arbitration, not by a vote.
 *
 * **Disputes.** The two raters disagree on a criterion when one says the element is present
 * (> 10 out of 20) and the other absent; a dispute is open until an evaluation override of
 * that criterion settles it. Pure: no I/O.
 */
import { agreement, disagreeOnPresence, type Agreement, type AgreementOptions } from './agreement.ts';
import type { CriterionId } from './score.ts';

export interface Grade {
  criterion: CriterionId;
  /** The rating API key's id. */
  raterId: string;
  /** The key's label. */
  rater: string;
  value: number;
  comment: string | null;
  /** When the rater first graded this criterion. */
  ratedAt: Date;
  updatedAt: Date;
}

export type RatedSource = 'agreed' | 'mean' | 'rater';
export type CriterionSource = 'arbitration' | RatedSource | 'automatic';

export interface RatedValue {
  value: number;
  source: RatedSource;
}

export type RatedValues = Partial<Record<CriterionId, RatedValue>>;

const byTime = (a: Grade, b: Grade) => a.ratedAt.getTime() - b.ratedAt.getTime() || (a.raterId < b.raterId ? -1 : a.raterId > b.raterId ? 1 : 0);

/** Per criterion, its one or two raters' grades, first rater first (see "Pairs"). */
export function criterionPairs(grades: readonly Grade[]): Map<CriterionId, Grade[]> {
  const byCriterion = new Map<CriterionId, Grade[]>();
  for (const grade of [...grades].sort(byTime)) {
    const pair = byCriterion.get(grade.criterion) ?? [];
    if (pair.length < 2 && !pair.some((g) => g.raterId === grade.raterId)) pair.push(grade);
    byCriterion.set(grade.criterion, pair);
  }
  return byCriterion;
}

/** What the raters say of each criterion they graded: agreed, their mean, or one rater's value. */
export function resolveRatings(grades: readonly Grade[]): RatedValues {
  const rated: RatedValues = {};
  for (const [criterion, pair] of criterionPairs(grades)) {
    const [first, second] = pair;
    if (!first) continue;
    if (!second) rated[criterion] = { value: first.value, source: 'rater' };
    else if (first.value === second.value) rated[criterion] = { value: first.value, source: 'agreed' };
    else rated[criterion] = { value: (first.value + second.value) / 2, source: 'mean' };
  }
  return rated;
}

export interface Dispute {
  criterion: CriterionId;
  grades: [Grade, Grade];
}

/** The criteria whose two raters disagree on presence, arbitrated or not, by criterion name. */
export function disputes(grades: readonly Grade[]): Dispute[] {
  const found: Dispute[] = [];
  for (const [criterion, [first, second]] of criterionPairs(grades)) {
    if (first && second && disagreeOnPresence(first.value, second.value)) found.push({ criterion, grades: [first, second] });
  }
  return found.sort((a, b) => (a.criterion < b.criterion ? -1 : 1));
}

/** The disputes no evaluation override settled yet: what the arbitration queue shows. */
export function openDisputes(grades: readonly Grade[], arbitrated: ReadonlySet<string>): Dispute[] {
  return disputes(grades).filter((d) => !arbitrated.has(d.criterion));
}

/**
 * The disputed criteria a caller may not arbitrate because it is one of their two raters: an
 * evaluation that sets, changes or removes the override of such a criterion is refused.
 * `before` and `after` are the override values per criterion around the evaluation.
 */
export function arbitrationsRefused(
  grades: readonly Grade[],
  raterId: string | null,
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): CriterionId[] {
  if (raterId === null) return [];
  return disputes(grades)
    .filter((d) => d.grades.some((g) => g.raterId === raterId) && before[d.criterion] !== after[d.criterion])
    .map((d) => d.criterion);
}

/** A criterion's effective value and where it comes from, in the order of this module's list. */
export function resolveCriterion(
  override: number | null | undefined,
  rated: RatedValue | undefined,
  automatic: number | null,
): { value: number | null; source: CriterionSource } {
  if (override !== null && override !== undefined) return { value: override, source: 'arbitration' };
  if (rated) return { value: rated.value, source: rated.source };
  return { value: automatic, source: 'automatic' };
}

/**
 * The agreement of each criterion over a campaign's replies, each reply given as all its
 * grades: one pair per reply whose criterion two raters graded (see "Pairs").
 */
export function agreementByCriterion(
  replies: ReadonlyArray<readonly Grade[]>,
  criteria: readonly CriterionId[],
  options: AgreementOptions = {},
): Record<string, Agreement> {
  const values = new Map<CriterionId, Array<[number, number]>>(criteria.map((c) => [c, []]));
  for (const grades of replies) {
    for (const [criterion, [first, second]] of criterionPairs(grades)) {
      if (first && second) values.get(criterion)?.push([first.value, second.value]);
    }
  }
  return Object.fromEntries(criteria.map((c) => [c, agreement(values.get(c) ?? [], options)]));
}
