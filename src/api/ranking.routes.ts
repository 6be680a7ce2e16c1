/**
 * `GET /v1/campaigns/:id/ranking`: brands ranked by mean note within each sector, with the
 * sector's average and its leader, as the reference barometers publish them; JSON or CSV.
 * Each figure comes with its 95 % interval, each brand and sector with its panel check, and
 * brands whose order is not significant share a significance group (README, "Statistics").
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { computeRanking, type CampaignRanking, type RankedBrand } from '../db/ranking.repo.ts';
import { Format, jsonOrCsv, sendNegotiated, toCsv, type CsvColumn } from './csv.ts';
import { found } from './problem.ts';
import { IdParams, Nullable, Timestamp, Uuid, commonErrors } from './schemas.ts';
import { intervalColumns, joinWarnings, PanelSufficient, Warnings } from './stats-schema.ts';
import { presentMetrics } from '../flow/present-metrics.ts';
import type { Pool } from '../db/pool.ts';

const Note = (description: string) => Nullable(Type.Number({ minimum: 0, maximum: 100, description: `${description}, out of 100 (two decimals)` }));
const Rate = (description: string) => Nullable(Type.Number({ minimum: 0, maximum: 1, description }));
const Interval = (description: string) =>
  Nullable(Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: `95 % interval [low, high] ${description}; null where the figure is` }));

const RankingRow = Type.Object({
  rank: Nullable(Type.Integer({ minimum: 1, description: 'equal notes share a rank (1, 1, 3); null without a note' })),
  brandId: Uuid,
  name: Type.String(),
  scoreMean: Note('mean note of its probes, an unanswered probe scoring 0'),
  scoreMeanCi95: Interval("of the mean note, Student's t (two decimals)"),
  scoreStdDev: Nullable(Type.Number({ minimum: 0, description: 'standard deviation of the notes (two decimals)' })),
  significanceGroup: Nullable(
    Type.Integer({
      minimum: 1,
      description:
        "1 for the brands that cannot be told apart from the sector's best; walking down the ranking, a brand whose mean note differs significantly (Welch's t-test, 5 %) from its group's first opens the next group; null without a note",
    }),
  ),
  tiedWith: Type.Array(Uuid, { description: "the sector's other brands whose mean note does not differ significantly from this one's (Welch's t-test, 5 %)" }),
  scoredProbes: Type.Integer({ minimum: 0, description: 'probes with a known note' }),
  probes: Type.Integer({ minimum: 0 }),
  answered: Type.Integer({ minimum: 0 }),
  responseRate: Rate('answered before any reminder / probes'),
  responseRateCi95: Interval('of responseRate, Wilson (four decimals)'),
  responseRateAfterReminder: Rate('answered / probes'),
  responseRateAfterReminderCi95: Interval('of responseRateAfterReminder, Wilson (four decimals)'),
  delayP50Hours: Nullable(Type.Number({ minimum: 0, description: 'median delay of the first answer, hours' })),
  delayP50HoursCi95: Interval('of the median delay, from the order statistics; null below 6 answers (hours)'),
  panelSufficient: PanelSufficient,
  warnings: Warnings,
});

const RankingResponse = Type.Object({
  campaign: Type.Object({ id: Uuid, name: Type.String(), status: Type.String(), closedAt: Nullable(Timestamp) }),
  generatedAt: Timestamp,
  sectors: Type.Array(
    Type.Object({
      sector: Type.Object({ id: Uuid, name: Type.String() }),
      scoreMean: Note("the sector's average: the mean of its brands' notes, each brand counting once"),
      brands: Type.Integer({ minimum: 0, description: 'brands with at least one probe sent' }),
      panelSufficient: Type.Boolean({ description: "brands ≥ the campaign's minBrandsPerSector" }),
      warnings: Warnings,
      leader: Nullable(Type.Object({ brandId: Uuid, name: Type.String(), scoreMean: Note("the leader's note") })),
      ranking: Type.Array(RankingRow),
    }),
  ),
});

const round2 = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

function presentBrand({ rank, brand, metrics, panel, significanceGroup, tiedWith }: RankedBrand) {
  const shown = presentMetrics(metrics);
  return {
    rank,
    brandId: brand.id,
    name: brand.name,
    scoreMean: shown.scoreMean,
    scoreMeanCi95: shown.scoreMeanCi95,
    scoreStdDev: shown.scoreStdDev,
    significanceGroup,
    tiedWith,
    scoredProbes: shown.scoredProbes,
    probes: shown.probes,
    answered: shown.answered,
    responseRate: shown.responseRate,
    responseRateCi95: shown.responseRateCi95,
    responseRateAfterReminder: shown.responseRateAfterReminder,
    responseRateAfterReminderCi95: shown.responseRateAfterReminderCi95,
    delayP50Hours: shown.delayP50Hours,
    delayP50HoursCi95: shown.delayP50HoursCi95,
    panelSufficient: panel.panelSufficient,
    warnings: panel.warnings,
  };
}

function present(ranking: CampaignRanking) {
  return {
    campaign: ranking.campaign,
    generatedAt: new Date(),
    sectors: ranking.sectors.map((s) => ({
      sector: s.sector,
      scoreMean: round2(s.scoreMean),
      brands: s.brands,
      panelSufficient: s.panel.panelSufficient === true,
      warnings: s.panel.warnings,
      leader: s.leader && { brandId: s.leader.brand.id, name: s.leader.brand.name, scoreMean: round2(s.leader.metrics.scoreMean) },
      ranking: s.ranking.map(presentBrand),
    })),
  };
}

type RankingBody = ReturnType<typeof present>;
type Line = { sector: RankingBody['sectors'][number]; brand: RankingBody['sectors'][number]['ranking'][number] };

/** One line per brand, its sector's figures repeated on each. */
function rankingCsv(body: RankingBody): string {
  const columns: CsvColumn<Line>[] = [
    { header: 'sectorId', value: (l) => l.sector.sector.id },
    { header: 'sectorName', value: (l) => l.sector.sector.name },
    { header: 'sectorScoreMean', value: (l) => l.sector.scoreMean },
    { header: 'sectorBrands', value: (l) => l.sector.brands },
    { header: 'sectorPanelSufficient', value: (l) => l.sector.panelSufficient },
    { header: 'sectorWarnings', value: (l) => joinWarnings(l.sector.warnings) },
    { header: 'leaderBrandId', value: (l) => l.sector.leader?.brandId },
    { header: 'leaderName', value: (l) => l.sector.leader?.name },
    { header: 'leaderScoreMean', value: (l) => l.sector.leader?.scoreMean },
    { header: 'rank', value: (l) => l.brand.rank },
    { header: 'brandId', value: (l) => l.brand.brandId },
    { header: 'brandName', value: (l) => l.brand.name },
    { header: 'scoreMean', value: (l) => l.brand.scoreMean },
    ...intervalColumns<Line>('scoreMeanCi95', (l) => l.brand.scoreMeanCi95),
    { header: 'scoreStdDev', value: (l) => l.brand.scoreStdDev },
    { header: 'significanceGroup', value: (l) => l.brand.significanceGroup },
    { header: 'tiedWith', value: (l) => l.brand.tiedWith.join(' ') },
    { header: 'scoredProbes', value: (l) => l.brand.scoredProbes },
    { header: 'probes', value: (l) => l.brand.probes },
    { header: 'answered', value: (l) => l.brand.answered },
    { header: 'responseRate', value: (l) => l.brand.responseRate },
    ...intervalColumns<Line>('responseRateCi95', (l) => l.brand.responseRateCi95),
    { header: 'responseRateAfterReminder', value: (l) => l.brand.responseRateAfterReminder },
    ...intervalColumns<Line>('responseRateAfterReminderCi95', (l) => l.brand.responseRateAfterReminderCi95),
    { header: 'delayP50Hours', value: (l) => l.brand.delayP50Hours },
    ...intervalColumns<Line>('delayP50HoursCi95', (l) => l.brand.delayP50HoursCi95),
    { header: 'panelSufficient', value: (l) => l.brand.panelSufficient },
    { header: 'warnings', value: (l) => joinWarnings(l.brand.warnings) },
  ];
  return toCsv(
    columns,
    body.sectors.flatMap((sector) => sector.ranking.map((brand) => ({ sector, brand }))),
  );
}

/** What the routes read. */
export interface RankingRouteOptions {
  pool: Pool;
}

export const rankingRoutes: FastifyPluginAsyncTypebox<RankingRouteOptions> = async (app, { pool }) => {
  app.get(
    '/campaigns/:id/ranking',
    {
      schema: {
        tags: ['stats'],
        summary: "Brands ranked by mean note within each sector, beside the sector's average and leader",
        params: IdParams,
        querystring: Type.Object({ format: Format }),
        response: { 200: jsonOrCsv(RankingResponse), ...commonErrors },
      },
    },
    async (request, reply) => {
      const ranking = found(await computeRanking(pool, request.params.id), 'campaign', request.params.id);
      return sendNegotiated(request, reply, present(ranking), rankingCsv, request.query.format);
    },
  );
};
