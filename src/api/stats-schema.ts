/** The statistics' schemas and CSV columns shared by the stats and ranking routes; the rounding itself is `flow/present-metrics.ts`. */
import { Type } from '@sinclair/typebox';
import type { Bounds } from '../flow/present-metrics.ts';
import type { CsvColumn } from './csv.ts';
import { Nullable } from './schemas.ts';

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
