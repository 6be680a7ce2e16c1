/**
 * `GET /v1/campaigns/:id/ranking`: brands ranked by mean note within each sector, with the
 * sector's average and its leader, as the reference barometers publish them; JSON or CSV.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { computeRanking, type CampaignRanking, type RankedBrand } from '../db/ranking.repo.ts';
import { Format, jsonOrCsv, sendNegotiated, toCsv, type CsvColumn } from './csv.ts';
import { found } from './problem.ts';
import { IdParams, Nullable, Timestamp, Uuid, commonErrors } from './schemas.ts';
import { presentMetrics } from './present-metrics.ts';
import type { Pool } from '../db/pool.ts';

const Note = (description: string) => Nullable(Type.Number({ minimum: 0, maximum: 100, description: `${description}, out of 100 (two decimals)` }));
const Rate = (description: string) => Nullable(Type.Number({ minimum: 0, maximum: 1, description }));

const RankingRow = Type.Object({
  rank: Nullable(Type.Integer({ minimum: 1, description: 'equal notes share a rank (1, 1, 3); null without a note' })),
  brandId: Uuid,
  name: Type.String(),
  scoreMean: Note('mean note of its probes, an unanswered probe scoring 0'),
  scoredProbes: Type.Integer({ minimum: 0, description: 'probes with a known note' }),
  probes: Type.Integer({ minimum: 0 }),
  answered: Type.Integer({ minimum: 0 }),
  responseRate: Rate('answered before any reminder / probes'),
  responseRateAfterReminder: Rate('answered / probes'),
  delayP50Hours: Nullable(Type.Number({ minimum: 0, description: 'median delay of the first answer, hours' })),
});

const RankingResponse = Type.Object({
  campaign: Type.Object({ id: Uuid, name: Type.String(), status: Type.String(), closedAt: Nullable(Timestamp) }),
  generatedAt: Timestamp,
  sectors: Type.Array(
    Type.Object({
      sector: Type.Object({ id: Uuid, name: Type.String() }),
      scoreMean: Note("the sector's average: the mean of its brands' notes, each brand counting once"),
      leader: Nullable(Type.Object({ brandId: Uuid, name: Type.String(), scoreMean: Note("the leader's note") })),
      ranking: Type.Array(RankingRow),
    }),
  ),
});

const round2 = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

function presentBrand({ rank, brand, metrics }: RankedBrand) {
  const shown = presentMetrics(metrics);
  return {
    rank,
    brandId: brand.id,
    name: brand.name,
    scoreMean: shown.scoreMean,
    scoredProbes: shown.scoredProbes,
    probes: shown.probes,
    answered: shown.answered,
    responseRate: shown.responseRate,
    responseRateAfterReminder: shown.responseRateAfterReminder,
    delayP50Hours: shown.delayP50Hours,
  };
}

function present(ranking: CampaignRanking) {
  return {
    campaign: ranking.campaign,
    generatedAt: new Date(),
    sectors: ranking.sectors.map((s) => ({
      sector: s.sector,
      scoreMean: round2(s.scoreMean),
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
    { header: 'leaderBrandId', value: (l) => l.sector.leader?.brandId },
    { header: 'leaderName', value: (l) => l.sector.leader?.name },
    { header: 'leaderScoreMean', value: (l) => l.sector.leader?.scoreMean },
    { header: 'rank', value: (l) => l.brand.rank },
    { header: 'brandId', value: (l) => l.brand.brandId },
    { header: 'brandName', value: (l) => l.brand.name },
    { header: 'scoreMean', value: (l) => l.brand.scoreMean },
    { header: 'scoredProbes', value: (l) => l.brand.scoredProbes },
    { header: 'probes', value: (l) => l.brand.probes },
    { header: 'answered', value: (l) => l.brand.answered },
    { header: 'responseRate', value: (l) => l.brand.responseRate },
    { header: 'responseRateAfterReminder', value: (l) => l.brand.responseRateAfterReminder },
    { header: 'delayP50Hours', value: (l) => l.brand.delayP50Hours },
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
