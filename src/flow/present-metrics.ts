/**
 * The statistics' metrics rounded as they are shown: hours, notes and error rates to two
 * decimals, rates exact with their intervals to four. One presenter for the API's stats and
 * ranking, the report and the dashboard, so that every place shows the same figures.
 */
import { roundHours } from '../audit/timing.ts';
import type { StatsMetrics } from '../db/stats.repo.ts';

const round2 = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);
const hours = (value: number | null) => (value === null ? null : roundHours(value));
export type Bounds = [number, number] | null;
const roundBounds = (interval: Bounds, decimals: number): Bounds => {
  const scale = 10 ** decimals;
  return interval && [Math.round(interval[0] * scale) / scale, Math.round(interval[1] * scale) / scale];
};
const rateBounds = (interval: Bounds) => roundBounds(interval, 4);

/** Hours, notes and error rates to two decimals, as the API shows them; rates stay exact, their intervals take four decimals. */
export function presentMetrics<T extends StatsMetrics>(m: T): T {
  return {
    ...m,
    responseRateCi95: rateBounds(m.responseRateCi95),
    responseRateAfterReminderCi95: rateBounds(m.responseRateAfterReminderCi95),
    ackRateCi95: rateBounds(m.ackRateCi95),
    withinNormCi95: Object.fromEntries(Object.entries(m.withinNormCi95).map(([norm, interval]) => [norm, rateBounds(interval)])),
    delayP50Hours: hours(m.delayP50Hours),
    delayP50HoursCi95: roundBounds(m.delayP50HoursCi95, 2),
    delayP90Hours: hours(m.delayP90Hours),
    delayMeanHours: hours(m.delayMeanHours),
    businessDelayP50Hours: hours(m.businessDelayP50Hours),
    followUpRateCi95: rateBounds(m.followUpRateCi95),
    spellingErrorRateCi95: rateBounds(m.spellingErrorRateCi95),
    errorsPer100Words: round2(m.errorsPer100Words),
    logoRateCi95: rateBounds(m.logoRateCi95),
    charterRateCi95: rateBounds(m.charterRateCi95),
    signatureRateCi95: rateBounds(m.signatureRateCi95),
    personalisedRateCi95: rateBounds(m.personalisedRateCi95),
    scoreMean: round2(m.scoreMean),
    scoreMeanCi95: roundBounds(m.scoreMeanCi95, 2),
    scoreStdDev: round2(m.scoreStdDev),
  };
}
