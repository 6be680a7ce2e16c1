/**
 * From summed rollups to the metrics of one group: pure arithmetic, no I/O.
 *
 * A group (a brand, a sector, a week...) arrives as parts, one per campaign it spans, each
 * holding integer counts and the answered probes' delays themselves (see the `outcome_rollups`
 * migration). Counts add up exactly; percentiles are taken over the union of the parts'
 * delays, so they are the exact percentiles of the group's probes, never an estimate.
 *
 * Percentiles are continuous, as PostgreSQL's `percentile_cont`: with the n delays sorted,
 * the fraction f sits at position f × (n − 1), between the values on either side of it,
 * linearly interpolated (the median of 1, 2, 3 and 10 hours is 2.5 h). The arithmetic below
 * is the same as PostgreSQL's, to the last bit.
 *
 * Each rate comes with its 95 % Wilson interval over the same numerator and denominator, the
 * median delay with its distribution-free interval from the same delays' order statistics,
 * and the mean note with its t interval (src/audit/confidence.ts).
 */
import { endianness } from 'node:os';
import { medianRanks, meanInterval, standardDeviation, wilsonInterval, type Interval } from '../audit/confidence.ts';

/** One campaign's share of a group, as the statistics query sums it. */
export interface RollupPart {
  /** Norms of the part's campaign, in hours. */
  norms: readonly number[];
  probes: number;
  answered: number;
  answeredBeforeReminder: number;
  acknowledged: number;
  followedUp: number;
  analysed: number;
  spellingChecked: number;
  spellingWithErrors: number;
  spellingErrors: number;
  spellingWords: number;
  withLogo: number;
  withCharter: number;
  withNamedSignature: number;
  personalised: number;
  scored: number;
  scoreSum: number;
  scoreSquareSum: number;
  /** Delays in hours, each 8 bytes big-endian (PostgreSQL's `float8send`), in any order. */
  delays: Uint8Array;
  businessDelays: Uint8Array;
}

/** Probes by delay of their first answer; each bucket holds its upper bound, as the norms do. */
export interface DelayHistogram {
  within1h: number;
  from1To4h: number;
  from4To24h: number;
  from24To48h: number;
  over48h: number;
  noAnswer: number;
}

/** Each `…Ci95` is the 95 % interval of the figure before it, null where that figure is null (or, for the median, below 6 answers). */
export interface StatsMetrics {
  probes: number;
  answered: number;
  responseRate: number | null;
  responseRateCi95: Interval | null;
  responseRateAfterReminder: number | null;
  responseRateAfterReminderCi95: Interval | null;
  acknowledged: number;
  ackRate: number | null;
  ackRateCi95: Interval | null;
  withinNorm: Record<string, number | null>;
  withinNormCi95: Record<string, Interval | null>;
  delayP50Hours: number | null;
  delayP50HoursCi95: Interval | null;
  delayP90Hours: number | null;
  delayMeanHours: number | null;
  businessDelayP50Hours: number | null;
  delayHistogram: DelayHistogram;
  followUpRate: number | null;
  followUpRateCi95: Interval | null;
  answersAnalysed: number;
  spellingErrorRate: number | null;
  spellingErrorRateCi95: Interval | null;
  errorsPer100Words: number | null;
  logoRate: number | null;
  logoRateCi95: Interval | null;
  charterRate: number | null;
  charterRateCi95: Interval | null;
  signatureRate: number | null;
  signatureRateCi95: Interval | null;
  personalisedRate: number | null;
  personalisedRateCi95: Interval | null;
  scoredProbes: number;
  scoreMean: number | null;
  scoreMeanCi95: Interval | null;
  /** Sample standard deviation of the notes; null below two notes. */
  scoreStdDev: number | null;
}

/** Upper bounds of the histogram's buckets, in hours. */
const HISTOGRAM_BOUNDS = [1, 4, 24, 48] as const;

/** `n / of`, or null when there is nothing to divide by. */
function share(n: number, of: number): number | null {
  return of > 0 ? n / of : null;
}

/**
 * The metrics of a group from its parts. `norms` lists every norm the response reports: a
 * group none of whose campaigns has a norm gets null for it.
 */
export function metricsOf(parts: readonly RollupPart[], norms: readonly number[]): StatsMetrics {
  const sum = (field: NumericField) => parts.reduce((total, part) => total + part[field], 0);
  const probes = sum('probes');
  const answered = sum('answered');
  const analysed = sum('analysed');
  const spellingChecked = sum('spellingChecked');
  const spellingWords = sum('spellingWords');
  const scored = sum('scored');

  const delays = joinFloat8s(parts.map((part) => part.delays));
  // before the percentiles, which reorder the delays: it counts each part's own
  const within = withinNormTallies(parts, delays, norms);
  const [p50, p90] = percentilesCont(delays, [0.5, 0.9]);
  const p50Ci95 = medianInterval(delays);
  const [businessP50] = percentilesCont(joinFloat8s(parts.map((part) => part.businessDelays)), [0.5]);
  const scoreMean = scored > 0 ? sum('scoreSum') / scored : null;
  const scoreStdDev = standardDeviation(scored, sum('scoreSum'), sum('scoreSquareSum'));
  const tallies = [...within];

  return {
    probes,
    answered,
    responseRate: share(sum('answeredBeforeReminder'), probes),
    responseRateCi95: wilsonInterval(sum('answeredBeforeReminder'), probes),
    responseRateAfterReminder: share(answered, probes),
    responseRateAfterReminderCi95: wilsonInterval(answered, probes),
    acknowledged: sum('acknowledged'),
    ackRate: share(sum('acknowledged'), probes),
    ackRateCi95: wilsonInterval(sum('acknowledged'), probes),
    withinNorm: Object.fromEntries(tallies.map(([norm, tally]) => [String(norm), share(tally.within, tally.probes)])),
    withinNormCi95: Object.fromEntries(tallies.map(([norm, tally]) => [String(norm), wilsonInterval(tally.within, tally.probes)])),
    delayP50Hours: p50 ?? null,
    delayP50HoursCi95: p50Ci95,
    delayP90Hours: p90 ?? null,
    delayMeanHours: mean(delays),
    businessDelayP50Hours: businessP50 ?? null,
    delayHistogram: histogram(delays, probes),
    followUpRate: share(sum('followedUp'), answered),
    followUpRateCi95: wilsonInterval(sum('followedUp'), answered),
    answersAnalysed: analysed,
    spellingErrorRate: share(sum('spellingWithErrors'), spellingChecked),
    spellingErrorRateCi95: wilsonInterval(sum('spellingWithErrors'), spellingChecked),
    errorsPer100Words: spellingWords > 0 ? (100 * sum('spellingErrors')) / spellingWords : null,
    logoRate: share(sum('withLogo'), analysed),
    logoRateCi95: wilsonInterval(sum('withLogo'), analysed),
    charterRate: share(sum('withCharter'), analysed),
    charterRateCi95: wilsonInterval(sum('withCharter'), analysed),
    signatureRate: share(sum('withNamedSignature'), analysed),
    signatureRateCi95: wilsonInterval(sum('withNamedSignature'), analysed),
    personalisedRate: share(sum('personalised'), analysed),
    personalisedRateCi95: wilsonInterval(sum('personalised'), analysed),
    scoredProbes: scored,
    scoreMean,
    scoreMeanCi95: scoreMean === null || scoreStdDev === null ? null : noteInterval(meanInterval(scored, scoreMean, scoreStdDev)),
    scoreStdDev,
  };
}

/** A note's interval clipped to the scale, 0..100. */
function noteInterval(interval: Interval | null): Interval | null {
  return interval && [Math.max(0, interval[0]), Math.min(100, interval[1])];
}

/** The order statistics around the median that hold it with 95 % confidence (reorders `delays`); null below 6 delays. */
function medianInterval(delays: Float64Array): Interval | null {
  const ranks = medianRanks(delays.length);
  if (!ranks) return null;
  return [selectNth(delays, ranks.lower - 1), selectNth(delays, ranks.upper - 1)];
}

type NumericField = { [K in keyof RollupPart]: RollupPart[K] extends number ? K : never }[keyof RollupPart];

/**
 * Probes answered within each norm, and the probes of the campaigns that have it: the share's
 * numerator and denominator. `delays` is the parts' delays joined in the parts' order.
 */
function withinNormTallies(parts: readonly RollupPart[], delays: Float64Array, norms: readonly number[]): Map<number, { probes: number; within: number }> {
  const within = new Map(norms.map((norm) => [norm, { probes: 0, within: 0 }]));
  let offset = 0;
  for (const part of parts) {
    const end = offset + part.delays.byteLength / 8;
    for (const norm of part.norms) {
      const tally = within.get(norm);
      if (!tally) continue;
      tally.probes += part.probes;
      for (let i = offset; i < end; i++) if ((delays[i] as number) <= norm) tally.within++;
    }
    offset = end;
  }
  return within;
}

function histogram(delays: Float64Array, probes: number): DelayHistogram {
  const counts = [0, 0, 0, 0, 0];
  for (const delay of delays) {
    let bucket = 0;
    while (bucket < HISTOGRAM_BOUNDS.length && delay > (HISTOGRAM_BOUNDS[bucket] as number)) bucket++;
    counts[bucket]!++;
  }
  const [within1h, from1To4h, from4To24h, from24To48h, over48h] = counts as [number, number, number, number, number];
  return { within1h, from1To4h, from4To24h, from24To48h, over48h, noAnswer: probes - delays.length };
}

function mean(values: Float64Array): number | null {
  if (values.length === 0) return null;
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}

/** Decodes and joins chunks of big-endian float8 values (PostgreSQL's `float8send`). */
export function joinFloat8s(chunks: readonly Uint8Array[]): Float64Array {
  const bytes = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  if (bytes.byteLength % 8 !== 0) throw new RangeError(`float8 values take 8 bytes each, got ${bytes.byteLength} bytes`);
  if (endianness() === 'LE') Buffer.from(bytes.buffer).swap64();
  return new Float64Array(bytes.buffer);
}

/**
 * Continuous percentiles of `values` (reordered in place), each `fraction` in 0..1, as
 * PostgreSQL's `percentile_cont`; empty input gives none. Linear on average: each value a
 * percentile needs is found by selection, not by sorting everything.
 */
export function percentilesCont(values: Float64Array, fractions: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) return [];
  return fractions.map((fraction) => {
    const position = fraction * (n - 1);
    const first = Math.floor(position);
    const second = Math.ceil(position);
    const low = selectNth(values, first);
    if (second === first) return low;
    // After the selection every value right of `first` is at least `low`: the next one up is their minimum.
    let high = Number.POSITIVE_INFINITY;
    for (let i = first + 1; i < n; i++) if ((values[i] as number) < high) high = values[i] as number;
    return low + (position - first) * (high - low);
  });
}

/**
 * Reorders `values` so that the value at `nth` is the one sorting would put there, smaller or
 * equal ones before it and greater or equal ones after it (Hoare's selection with a
 * median-of-three pivot; NaN never occurs in delays).
 */
export function selectNth(values: Float64Array, nth: number): number {
  let left = 0;
  let right = values.length - 1;
  while (right > left) {
    const middle = (left + right) >>> 1;
    const pivot = medianOfThree(values[left] as number, values[middle] as number, values[right] as number);
    let i = left;
    let j = right;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (nth <= j) right = j;
    else if (nth >= i) left = i;
    else break;
  }
  return values[nth] as number;
}

function medianOfThree(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}
