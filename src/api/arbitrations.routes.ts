/**
 * `GET /v1/arbitrations?campaignId=`: the arbitration queue of the double rating. A reply is
 * in it while the two raters of one of its criteria disagree on presence (see
 * `src/audit/double-rating.ts`) and no evaluation override of that criterion settled it.
 * A third auditor (not one of the two raters) or an admin settles it with
 * `PUT /v1/replies/:id/evaluation`; the reply then leaves the queue. Auditors and admins
 * only: the queue shows the ratings, which readers never see.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findCampaign } from '../db/campaigns.repo.ts';
import type { Pool } from '../db/pool.ts';
import { arbitrationQueue } from '../flow/rating-views.ts';
import { found } from './problem.ts';
import { Page, PageQuery, Timestamp, Uuid, Nullable, commonErrors } from './schemas.ts';

export interface ArbitrationsRouteOptions {
  pool: Pool;
}

const DisputedGrade = Type.Object({ rater: Type.String(), raterKeyId: Uuid, value: Type.Number(), comment: Nullable(Type.String()), ratedAt: Timestamp });

const Arbitration = Type.Object({
  replyId: Uuid,
  probeId: Uuid,
  brandId: Uuid,
  campaignId: Uuid,
  receivedAt: Timestamp,
  disputes: Type.Array(
    Type.Object({
      criterion: Type.String(),
      ratings: Type.Array(DisputedGrade, { minItems: 2, maxItems: 2, description: "the two raters' grades, first rater first" }),
    }),
    { description: 'criteria whose two raters disagree on presence and that no arbitration settled' },
  ),
  ratings: Type.Array(Type.Ref('Rating'), { description: 'every rating of the reply, whole' }),
});

export const arbitrationsRoutes: FastifyPluginAsyncTypebox<ArbitrationsRouteOptions> = async (app, { pool: db }) => {
  app.get(
    '/arbitrations',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['ratings'],
        querystring: Type.Object({ ...PageQuery, campaignId: Uuid }),
        response: { 200: Page(Arbitration), ...commonErrors },
      },
    },
    async (request) => {
      const { campaignId, limit, cursor } = request.query;
      found(await findCampaign(db, campaignId), 'campaign', campaignId);
      const page = await arbitrationQueue(db, campaignId, { limit, cursor }, request.caller?.keyId ?? null);
      return {
        nextCursor: page.nextCursor,
        items: page.items.map(({ reply, disputes, ratings }) => ({
          replyId: reply.id,
          probeId: reply.probeId,
          brandId: reply.brandId,
          campaignId: reply.campaignId,
          receivedAt: reply.receivedAt,
          disputes: disputes.map((d) => ({
            criterion: d.criterion,
            ratings: d.grades.map((g) => ({ rater: g.rater, raterKeyId: g.raterId, value: g.value, comment: g.comment, ratedAt: g.ratedAt })),
          })),
          ratings,
        })),
      };
    },
  );
};
