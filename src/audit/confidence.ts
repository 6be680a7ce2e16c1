/**
 * How sure a figure is: 95 % intervals for rates, the median and the mean note, and whether
 * two brands' mean notes can be told apart. Pure arithmetic over counts and sums, no I/O.
 *
 * - A rate k / n gets its Wilson score interval: unlike the textbook p ± 1.96 √(p(1 − p)/n),
 *   it stays inside 0..1 and keeps a width at 0 % and 100 %, which small panels reach often.
 * - The median gets a distribution-free interval from the order statistics: with the n values
 *   sorted, [x(j), x(n + 1 − j)] holds the true median with probability P(j ≤ X ≤ n − j) for
 *   X ~ Bin(n, ½), whatever the delays' distribution; j is the largest rank that keeps this at
 *   95 % or more. Below 6 values no such pair exists (even [x(1), x(n)] covers less than 95 %).
 * - A mean note gets Student's t interval, mean ± t(0.975, n − 1) · s / √n.
 * - Two mean notes differ when Welch's t-test (unequal variances) rejects equality at 5 %,
 *   two-sided; see `significanceGroups` for how a ranking uses it.
 */
import jStat from 'jstat';

/** Two-sided 95 %: the standard normal's 0.975 quantile. */
export const Z_95 = 1.959963984540054;
const ALPHA = 0.05;

/** `[low, high]`. */
export type Interval = [low: number, high: number];

/** Wilson score interval of `successes / trials` at 95 %; null without trials. */
export function wilsonInterval(successes: number, trials: number): Interval | null {
  if (!(trials > 0)) return null;
  if (successes < 0 || successes > trials) throw new RangeError(`${successes} successes out of ${trials} trials`);
  const p = successes / trials;
  const z2 = Z_95 * Z_95;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (Z_95 / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The fewest values that give a 95 % interval of the median. */
export const MEDIAN_INTERVAL_MIN_VALUES = 6;

/**
 * Ranks (1-based, in ascending order) of the order statistics that bound a 95 % interval of
 * the median of `n` values: the largest `lower` and smallest `upper = n + 1 − lower` with
 * P(lower ≤ X < upper) ≥ 0.95, X ~ Bin(n, ½); null when n < 6. Exact: the binomial
 * probabilities are summed term by term (in logarithms, so that n may be in the millions),
 * starting ten standard deviations below the mean, where the mass left out is under 1e-22.
 */
export function medianRanks(n: number): { lower: number; upper: number } | null {
  if (!Number.isInteger(n) || n < MEDIAN_INTERVAL_MIN_VALUES) return null;
  return remembered(rankCache, n, () => computeMedianRanks(n));
}

function computeMedianRanks(n: number): { lower: number; upper: number } | null {
  const start = Math.max(0, Math.floor(n / 2 - 5 * Math.sqrt(n)));
  const logHalfPowN = -n * Math.LN2;
  let logChoose = start === 0 ? 0 : jStat.gammaln(n + 1) - jStat.gammaln(start + 1) - jStat.gammaln(n - start + 1);
  // P(X ≤ i) for i = start, start + 1, ...: the first i where it passes α/2 is the lower rank
  let cumulative = 0;
  for (let i = start; i <= n; i++) {
    cumulative += Math.exp(logChoose + logHalfPowN);
    if (cumulative > ALPHA / 2) return i === 0 ? null : { lower: i, upper: n + 1 - i };
    logChoose += Math.log(n - i) - Math.log(i + 1);
  }
  return null;
}

/** Student's t interval of a mean at 95 %; null below two values. */
export function meanInterval(n: number, mean: number, standardDeviation: number): Interval | null {
  if (n < 2 || !Number.isFinite(standardDeviation)) return null;
  const t = remembered(quantileCache, n - 1, () => jStat.studentt.inv(1 - ALPHA / 2, n - 1));
  const half = t * (standardDeviation / Math.sqrt(n));
  return [mean - half, mean + half];
}

/** Each costs some 20 µs to compute, and a response asks for hundreds of the same few: kept, up to a bound. */
const rankCache = new Map<number, { lower: number; upper: number } | null>();
const quantileCache = new Map<number, number>();
const CACHE_SIZE = 10_000;

function remembered<V>(cache: Map<number, V>, key: number, compute: () => V): V {
  if (cache.has(key)) return cache.get(key) as V;
  if (cache.size >= CACHE_SIZE) cache.clear();
  const value = compute();
  cache.set(key, value);
  return value;
}

/** Sample standard deviation (n − 1) from a count, a sum and a sum of squares; null below two values. */
export function standardDeviation(n: number, sum: number, sumOfSquares: number): number | null {
  if (n < 2) return null;
  const mean = sum / n;
  // the sums are exact; rounding may still take a hair below zero when every value is equal
  return Math.sqrt(Math.max(0, (sumOfSquares - n * mean * mean) / (n - 1)));
}

/** A sample summed up: what a t-test needs. */
export interface SampleSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1). */
  sd: number;
}

/**
 * Welch's two-sided t-test at 5 %: whether the two samples' means differ. A sample of fewer
 * than two values cannot be told apart from anything (its spread is unknown). Two samples
 * without any spread differ exactly when their means do.
 */
export function meansDiffer(a: SampleSummary, b: SampleSummary): boolean {
  if (a.n < 2 || b.n < 2) return false;
  const va = (a.sd * a.sd) / a.n;
  const vb = (b.sd * b.sd) / b.n;
  const difference = Math.abs(a.mean - b.mean);
  if (va + vb === 0) return difference > 0;
  const t = difference / Math.sqrt(va + vb);
  // Welch–Satterthwaite degrees of freedom
  const df = (va + vb) ** 2 / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const p = 2 * (1 - jStat.studentt.cdf(t, df));
  return p < ALPHA;
}

export interface Significance {
  /** 1 for the brands that cannot be told apart from the best; shared by brands that cannot be told from their group's first. */
  group: number;
  /** The other brands whose mean note does not differ significantly from this one's (Welch, 5 %). */
  tiedWith: string[];
}

/**
 * Significance of a ranking. `ranked` lists the brands with a note, best first. `tiedWith`
 * is pairwise: every brand whose mean does not differ from this one's by Welch's test.
 * Groups are made walking down the ranking: the first brand opens group 1; each next brand
 * joins the open group when it cannot be told apart from that group's first (best) brand,
 * and opens the next group otherwise. So every brand of a group is tied with its group's
 * best, and a brand's group never comes before a better brand's.
 */
export function significanceGroups(ranked: readonly (SampleSummary & { id: string })[]): Map<string, Significance> {
  // each pair tested once: the test is symmetric
  const differ = ranked.map(() => new Array<boolean>(ranked.length).fill(false));
  for (let i = 0; i < ranked.length; i++) {
    for (let j = i + 1; j < ranked.length; j++) differ[i]![j] = differ[j]![i] = meansDiffer(ranked[i]!, ranked[j]!);
  }
  const result = new Map<string, Significance>();
  let group = 0;
  let head = -1;
  for (const [i, brand] of ranked.entries()) {
    if (head === -1 || differ[head]![i]) {
      group++;
      head = i;
    }
    const tiedWith = ranked.filter((other, j) => j !== i && !differ[i]![j]).map((other) => other.id);
    result.set(brand.id, { group, tiedWith });
  }
  return result;
}
