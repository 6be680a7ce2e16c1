/** The statistics' metrics as the API shows them: shared by the stats and ranking routes. */
import { Type } from '@sinclair/typebox';
import { roundHours } from '../audit/timing.ts';
import type { StatsMetrics } from '../db/stats.repo.ts';
import type { CsvColumn } from './csv.ts';
import { Nullable } from './schemas.ts';

const round2 = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);
const hours = (value: number | null) => (value === null ? null : roundHours(value));
type Bounds = [number, number] | null;
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

/** A 95 % interval, `[low, high]`. */
export const Interval = (description: string, bounds: { minimum?: number; maximum?: number } = { minimum: 0, maximum: 1 }) =>
  Nullable(Type.Array(Type.Number(bounds), { minItems: 2, maxItems: 2, description: `95 % interval [low, high] ${description}; null where the figure is` }));

/** A figure's warnings, today about panel sufficiency. */
export const Warnings = Type.Array(
  Type.Object({
    code: Type.Literal('panel_too_small'),
    detail: Type.String({ description: 'a plain sentence naming the numbers' }),
  }),
  { description: 'empty when nothing is wrong' },
);

export const PanelSufficient = Nullable(
  Type.Boolean({
    description:
      "brand rows: probes ≥ the campaign's minProbesPerBrand; sector rows: brands with probes ≥ its minBrandsPerSector; null for rows of weeks, campaigns, mailboxes or the whole scope, where no panel rule applies",
  }),
);

/** An interval as two CSV columns, `…Ci95Low` and `…Ci95High`. */
export function intervalColumns<T>(header: string, interval: (record: T) => Bounds | undefined): CsvColumn<T>[] {
  return [
    { header: `${header}Low`, value: (r) => interval(r)?.[0] },
    { header: `${header}High`, value: (r) => interval(r)?.[1] },
  ];
}

/** Warnings in one CSV field: their details, one after the other. */
export const joinWarnings = (warnings: readonly { detail: string }[] | undefined) => warnings?.map((w) => w.detail).join(' ');
