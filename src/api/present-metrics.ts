/** The statistics' metrics as the API shows them: shared by the stats and ranking routes. */
import { roundHours } from '../audit/timing.ts';
import type { StatsMetrics } from '../db/stats.repo.ts';

const round2 = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);
const hours = (value: number | null) => (value === null ? null : roundHours(value));

/** Hours, notes and error rates to two decimals, as the API shows them; rates stay exact. */
export function presentMetrics<T extends StatsMetrics>(m: T): T {
  return {
    ...m,
    delayP50Hours: hours(m.delayP50Hours),
    delayP90Hours: hours(m.delayP90Hours),
    delayMeanHours: hours(m.delayMeanHours),
    businessDelayP50Hours: hours(m.businessDelayP50Hours),
    errorsPer100Words: round2(m.errorsPer100Words),
    scoreMean: round2(m.scoreMean),
  };
}
