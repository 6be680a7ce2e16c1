import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { roundHours } from '../audit/timing.ts';
import { computeStats, GROUP_BYS, type GroupBy, type StatsRow } from '../db/stats.repo.ts';
import type { RouteOptions } from './app.ts';
import { unprocessable } from './problem.ts';
import { Nullable, Timestamp, Uuid, commonErrors } from './schemas.ts';

const Rate = Nullable(Type.Number({ minimum: 0, maximum: 1 }));
const Hours = Nullable(Type.Number());

const StatsGroup = Type.Object({
  group: Type.Object({ key: Nullable(Type.String()), label: Nullable(Type.String()) }),
  probes: Type.Integer(),
  answered: Type.Integer(),
  responseRate: Rate,
  responseRateAfterReminder: Rate,
  acknowledged: Type.Integer(),
  ackRate: Rate,
  withinNorm: Type.Record(Type.String(), Type.Number(), { description: 'share of probes answered within each norm, e.g. {"4": 0.28, "24": 0.66}' }),
  delayP50Hours: Hours,
  delayP90Hours: Hours,
  delayMeanHours: Hours,
  businessDelayP50Hours: Hours,
  followUpRate: Rate,
});

const StatsQuery = Type.Object({
  campaignId: Type.Optional(Uuid),
  brandId: Type.Optional(Uuid),
  sectorId: Type.Optional(Uuid),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'probes sent at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'probes sent before' })),
  groupBy: Type.Optional(Type.Union(GROUP_BYS.map((g) => Type.Literal(g)))),
});

const round = (h: number | null) => (h === null ? null : roundHours(h));
const present = (row: StatsRow) => ({
  ...row,
  delayP50Hours: round(row.delayP50Hours),
  delayP90Hours: round(row.delayP90Hours),
  delayMeanHours: round(row.delayMeanHours),
  businessDelayP50Hours: round(row.businessDelayP50Hours),
});

export const statsRoutes: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/stats',
    {
      schema: {
        tags: ['stats'],
        querystring: StatsQuery,
        response: { 200: Type.Object({ groupBy: Nullable(Type.String()), generatedAt: Timestamp, rows: Type.Array(StatsGroup) }), ...commonErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const from = q.from ? new Date(q.from) : undefined;
      const to = q.to ? new Date(q.to) : undefined;
      if (from && to && to <= from) throw unprocessable('to must come after from', [{ field: 'querystring/to', message: 'must come after from' }]);
      const rows = await computeStats(deps.pool, { campaignId: q.campaignId, brandId: q.brandId, sectorId: q.sectorId, from, to }, (q.groupBy as GroupBy | undefined) ?? null);
      return { groupBy: q.groupBy ?? null, generatedAt: new Date(), rows: rows.map(present) };
    },
  );
};
