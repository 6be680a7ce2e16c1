/**
 * `GET /v1/stats`: response statistics over any filter, grouped by brand, sector, campaign,
 * mailbox or week, with an optional weekly series per group for charts; JSON or CSV.
 * Metric definitions: README, "Statistics".
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { computeStats, GROUP_BYS, SERIES, type GroupBy, type Series, type StatsMetrics, type StatsReport, type StatsRow } from '../db/stats.repo.ts';
import { Format, jsonOrCsv, sendNegotiated, toCsv, type CsvColumn } from './csv.ts';
import { Interval, intervalColumns, joinWarnings, PanelSufficient, Warnings } from './stats-schema.ts';
import { presentMetrics } from '../flow/present-metrics.ts';
import { unprocessable } from './problem.ts';
import { Nullable, Timestamp, Uuid, commonErrors } from './schemas.ts';
import type { Pool } from '../db/pool.ts';

const Rate = (description: string) => Nullable(Type.Number({ minimum: 0, maximum: 1, description }));
const Hours = (description: string) => Nullable(Type.Number({ minimum: 0, description: `${description}, hours (two decimals)` }));
const Count = (description: string) => Type.Integer({ minimum: 0, description });
const RateCi = (rate: string) => Interval(`of ${rate}, by the Wilson score method over the same counts (four decimals)`);

/** The metrics of one group or week, as API.md names them. */
const metricProperties = {
  probes: Count('probes sent'),
  answered: Count('probes with a first answer, before or after the reminder'),
  responseRate: Rate('answered before any reminder / probes'),
  responseRateCi95: RateCi('responseRate'),
  responseRateAfterReminder: Rate('answered / probes'),
  responseRateAfterReminderCi95: RateCi('responseRateAfterReminder'),
  acknowledged: Count('probes with an automatic acknowledgement'),
  ackRate: Rate('acknowledged / probes'),
  ackRateCi95: RateCi('ackRate'),
  withinNorm: Type.Record(Type.String(), Nullable(Type.Number({ minimum: 0, maximum: 1 })), {
    description: 'per norm in hours: probes answered within it / probes of the campaigns that have it, e.g. {"4": 0.28, "24": 0.66}',
  }),
  withinNormCi95: Type.Record(Type.String(), RateCi('the norm'), { description: "per norm, as withinNorm: each rate's 95 % Wilson interval" }),
  delayP50Hours: Hours('median delay of the first answer (continuous percentile)'),
  delayP50HoursCi95: Interval(
    'of the median delay, distribution-free: the order statistics x(j) and x(n + 1 − j) of the n delays, j the largest rank with P(j ≤ X ≤ n − j) ≥ 0.95 for X ~ Bin(n, ½); null below 6 answers (hours, two decimals)',
    { minimum: 0 },
  ),
  delayP90Hours: Hours('90th percentile of the delay (continuous)'),
  delayMeanHours: Hours('mean delay of the first answer'),
  businessDelayP50Hours: Hours('median delay in business hours (continuous percentile)'),
  delayHistogram: Type.Object(
    {
      within1h: Count('answered within 1 h'),
      from1To4h: Count('after 1 h, within 4 h'),
      from4To24h: Count('after 4 h, within 24 h'),
      from24To48h: Count('after 24 h, within 48 h'),
      over48h: Count('after 48 h'),
      noAnswer: Count('not answered'),
    },
    { description: 'probes by delay of their first answer; the buckets add up to probes' },
  ),
  followUpRate: Rate('answered probes the brand followed up / answered'),
  followUpRateCi95: RateCi('followUpRate'),
  answersAnalysed: Count('answers with a current analysis: the denominator of the form metrics'),
  spellingErrorRate: Rate('answers with at least one spelling error / answers checked (with a dictionary for their language)'),
  spellingErrorRateCi95: RateCi('spellingErrorRate'),
  errorsPer100Words: Nullable(Type.Number({ minimum: 0, description: 'spelling errors per 100 words, over all the words of the answers checked' })),
  logoRate: Rate("answers showing the brand's logo / answers analysed"),
  logoRateCi95: RateCi('logoRate'),
  charterRate: Rate("answers in the brand's graphic charter / answers analysed"),
  charterRateCi95: RateCi('charterRate'),
  signatureRate: Rate("answers signed with a person's name / answers analysed"),
  signatureRateCi95: RateCi('signatureRate'),
  personalisedRate: Rate('personalised answers / answers analysed'),
  personalisedRateCi95: RateCi('personalisedRate'),
  scoredProbes: Count('probes with a known note: an unanswered probe scores 0, an answer not analysed yet is left out'),
  scoreMean: Nullable(Type.Number({ minimum: 0, maximum: 100, description: 'mean note out of 100, auditor overrides applied (two decimals)' })),
  scoreMeanCi95: Interval("of the mean note, Student's t: mean ± t(0.975, n − 1) · s / √n, clipped to 0..100; null below two notes (two decimals)", { minimum: 0, maximum: 100 }),
  scoreStdDev: Nullable(Type.Number({ minimum: 0, description: 'standard deviation of the notes (n − 1); null below two notes (two decimals)' })),
};

const WeekPoint = Type.Object({
  week: Type.String({ description: 'ISO week, e.g. 2026-W10' }),
  weekStart: Type.String({ format: 'date', description: "its Monday; weeks start Monday 00:00 in the response's weekTimeZone" }),
  ...metricProperties,
});

const StatsRowSchema = Type.Object({
  group: Type.Object({
    key: Nullable(Type.String({ description: "the member's id, or the week's Monday; null without groupBy" })),
    label: Nullable(Type.String({ description: 'its name, or the ISO week' })),
  }),
  ...metricProperties,
  panelSufficient: PanelSufficient,
  warnings: Warnings,
  series: Type.Optional(Type.Array(WeekPoint, { description: 'with series=week: the same metrics week by week, over the same weeks for every row' })),
});

const StatsResponse = Type.Object({
  groupBy: Nullable(Type.String()),
  series: Nullable(Type.String()),
  norms: Type.Array(Type.Number(), { description: 'the norms reported in withinNorm, hours' }),
  weekTimeZone: Nullable(
    Type.String({
      description:
        "with groupBy=week or series=week: the IANA timezone whose Mondays 00:00 cut the weeks, the scope's first campaign's (by start date); null otherwise",
    }),
  ),
  generatedAt: Timestamp,
  rows: Type.Array(StatsRowSchema),
});


const StatsQuery = Type.Object({
  campaignId: Type.Optional(Uuid),
  brandId: Type.Optional(Uuid),
  sectorId: Type.Optional(Uuid),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'probes sent at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'probes sent before' })),
  groupBy: Type.Optional(Type.Union(GROUP_BYS.map((g) => Type.Literal(g)))),
  series: Type.Optional(Type.Union(SERIES.map((s) => Type.Literal(s)), { description: 'week: add a weekly series to every row' })),
  format: Format,
});



/** CSV columns of the metrics, nested ones flattened with a dot: `withinNorm.4`, `delayHistogram.noAnswer`. */
function metricColumns<T>(norms: readonly number[], of: (record: T) => StatsMetrics): CsvColumn<T>[] {
  const columns: CsvColumn<T>[] = [];
  for (const name of Object.keys(metricProperties) as (keyof StatsMetrics)[]) {
    if (name === 'withinNorm') {
      for (const norm of norms) columns.push({ header: `withinNorm.${norm}`, value: (r) => of(r).withinNorm[String(norm)] });
    } else if (name === 'withinNormCi95') {
      for (const norm of norms) {
        columns.push({ header: `withinNormCi95Low.${norm}`, value: (r) => of(r).withinNormCi95[String(norm)]?.[0] });
        columns.push({ header: `withinNormCi95High.${norm}`, value: (r) => of(r).withinNormCi95[String(norm)]?.[1] });
      }
    } else if (name.endsWith('Ci95')) {
      columns.push(...intervalColumns<T>(name, (r) => of(r)[name] as [number, number] | null));
    } else if (name === 'delayHistogram') {
      for (const bucket of Object.keys(metricProperties.delayHistogram.properties) as (keyof StatsMetrics['delayHistogram'])[]) {
        columns.push({ header: `delayHistogram.${bucket}`, value: (r) => of(r).delayHistogram[bucket] });
      }
    } else {
      columns.push({ header: name, value: (r) => of(r)[name] as number | null });
    }
  }
  return columns;
}

interface StatsBody {
  groupBy: GroupBy | null;
  series: Series | null;
  norms: number[];
  weekTimeZone: string | null;
  generatedAt: Date;
  rows: StatsRow[];
}

/** One line per group; with a series, each group's line (week empty) followed by its weeks' lines. */
function statsCsv(body: StatsBody): string {
  type Line = { row: StatsRow; week: string | null; weekStart: string | null; metrics: StatsMetrics };
  const lines: Line[] = body.rows.flatMap((row) => [
    { row, week: null, weekStart: null, metrics: row },
    ...(row.series ?? []).map((point) => ({ row, week: point.week, weekStart: point.weekStart, metrics: point })),
  ]);
  const columns: CsvColumn<Line>[] = [
    { header: 'groupKey', value: (l) => l.row.group.key },
    { header: 'groupLabel', value: (l) => l.row.group.label },
    ...(body.series ? [{ header: 'week', value: (l: Line) => l.week }, { header: 'weekStart', value: (l: Line) => l.weekStart }] : []),
    ...metricColumns<Line>(body.norms, (l) => l.metrics),
    // the group's own, on its line only
    { header: 'panelSufficient', value: (l) => (l.week === null ? l.row.panelSufficient : undefined) },
    { header: 'warnings', value: (l) => (l.week === null ? joinWarnings(l.row.warnings) : undefined) },
  ];
  return toCsv(columns, lines);
}

function present(report: StatsReport): StatsRow[] {
  return report.rows.map(({ series, ...row }) => ({
    ...presentMetrics(row),
    ...(series && { series: series.map(presentMetrics) }),
  }));
}

/** What the routes read. */
export interface StatsRouteOptions {
  pool: Pool;
}

export const statsRoutes: FastifyPluginAsyncTypebox<StatsRouteOptions> = async (app, { pool }) => {
  app.get(
    '/stats',
    {
      schema: {
        tags: ['stats'],
        summary: 'Response statistics: rates, norms, exact delay percentiles, form and score, by group and week',
        querystring: StatsQuery,
        response: { 200: jsonOrCsv(StatsResponse), ...commonErrors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const from = q.from ? new Date(q.from) : undefined;
      const to = q.to ? new Date(q.to) : undefined;
      if (from && to && to <= from) throw unprocessable('to must come after from', [{ field: 'querystring/to', message: 'must come after from' }]);
      const groupBy = (q.groupBy as GroupBy | undefined) ?? null;
      const series = (q.series as Series | undefined) ?? null;
      if (series === 'week' && groupBy === 'week') {
        throw unprocessable('rows grouped by week have no weekly series: drop series, or group by something else', [
          { field: 'querystring/series', message: 'cannot go with groupBy=week' },
        ]);
      }
      const report = await computeStats(pool, { filter: { campaignId: q.campaignId, brandId: q.brandId, sectorId: q.sectorId, from, to }, groupBy, series });
      const body: StatsBody = { groupBy, series, norms: report.norms, weekTimeZone: report.weekTimeZone, generatedAt: new Date(), rows: present(report) };
      return sendNegotiated(request, reply, body, statsCsv, q.format);
    },
  );
};
