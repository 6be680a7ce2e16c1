/**
 * Agreement between two raters over the same items: observed agreement, Cohen's kappa and
 * the count of disagreements, for one criterion of the score grid.
 *
 * - **Presence** (the default): a grade out of 20 says the element is present when it is
 *   above `PRESENCE_THRESHOLD` (> 10), absent otherwise; the two raters agree on an item when
 *   they say the same. Kappa = (po − pe) / (1 − pe), po the share of items they agree on,
 *   pe = Σ over {present, absent} of the product of the two raters' shares of that category.
 * - **Weighted** (`weighted: true`): the raw grades are the categories (the distinct grades
 *   either rater gave, in order: c₁ < … < c_k), with linear agreement weights
 *   w(i, j) = 1 − |i − j| / (k − 1), as Cohen (1968) and scikit-learn's `weights="linear"` do;
 *   po = Σ w·p(i, j), pe = Σ w·p(i)·q(j). Items whose grades differ count as disagreements.
 *   With two distinct grades the weighted kappa equals the unweighted one.
 *
 * Kappa is null when it is undefined: no pair, or pe = 1 (both raters always gave the same,
 * single category, so chance alone explains their agreement). Pure: no I/O.
 */

/** A grade above this, out of 20, says the element is present. */
export const PRESENCE_THRESHOLD = 10;

export const isPresent = (value: number): boolean => value > PRESENCE_THRESHOLD;

/** Whether two grades disagree on presence: the test of the arbitration queue. */
export const disagreeOnPresence = (a: number, b: number): boolean => isPresent(a) !== isPresent(b);

export interface Agreement {
  /** Items graded by both raters. */
  pairs: number;
  /** Observed agreement, 0..1 (weighted in weighted mode); null without pairs. */
  observed: number | null;
  /** Cohen's kappa, −1..1; null when undefined. */
  kappa: number | null;
  /** Items on which the two raters fall in different categories. */
  disagreements: number;
}

export interface AgreementOptions {
  weighted?: boolean;
}

/** Expected agreements this close to 1 are 1: kappa would divide by a rounding error. */
const EPSILON = 1e-12;

export function agreement(pairs: ReadonlyArray<readonly [number, number]>, options: AgreementOptions = {}): Agreement {
  const n = pairs.length;
  if (n === 0) return { pairs: 0, observed: null, kappa: null, disagreements: 0 };
  const categorise = options.weighted ? (value: number) => value : (value: number) => (isPresent(value) ? 1 : 0);
  const coded = pairs.map(([a, b]) => [categorise(a), categorise(b)] as const);
  const categories = [...new Set(coded.flat())].sort((x, y) => x - y);
  const index = new Map(categories.map((category, i) => [category, i]));
  const k = categories.length;
  // linear agreement weights over the categories' ranks; presence has two categories, where
  // this is 1 on the diagonal and 0 off it, the unweighted kappa
  const weight = (i: number, j: number) => (k === 1 ? 1 : 1 - Math.abs(i - j) / (k - 1));

  const first = new Array<number>(k).fill(0);
  const second = new Array<number>(k).fill(0);
  let observed = 0;
  let disagreements = 0;
  for (const [a, b] of coded) {
    const i = index.get(a)!;
    const j = index.get(b)!;
    first[i]! += 1 / n;
    second[j]! += 1 / n;
    observed += weight(i, j) / n;
    if (i !== j) disagreements += 1;
  }
  let expected = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) expected += weight(i, j) * first[i]! * second[j]!;
  const kappa = 1 - expected < EPSILON ? null : (observed - expected) / (1 - expected);
  return { pairs: n, observed: round(observed), kappa: kappa === null ? null : round(kappa), disagreements };
}

const round = (value: number, digits = 4) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};
