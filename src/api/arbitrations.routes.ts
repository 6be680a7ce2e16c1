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
import { openDisputes } from '../audit/double-rating.ts';
import { findCampaign } from '../db/campaigns.repo.ts';
import type { Pool, Queryable } from '../db/pool.ts';
import { listCampaignGrades, listCampaignOverriddenCriteria, pageReplies, type ReplyGrade } from '../db/ratings.repo.ts';
import { refusedArbitrations } from '../flow/rate-reply.ts';
import type { Caller } from './auth.ts';
import { ApiProblem, found } from './problem.ts';
import { Page, PageQuery, Timestamp, Uuid, Nullable, commonErrors } from './schemas.ts';
import { presentRatings } from './ratings.routes.ts';

export interface ArbitrationsRouteOptions {
  db: Pool;
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

export const arbitrationsRoutes: FastifyPluginAsyncTypebox<ArbitrationsRouteOptions> = async (app, { db }) => {
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
      const [grades, overridden] = await Promise.all([listCampaignGrades(db, campaignId), listCampaignOverriddenCriteria(db, campaignId)]);
      const byReply = new Map<string, ReplyGrade[]>();
      for (const grade of grades) byReply.set(grade.replyId, [...(byReply.get(grade.replyId) ?? []), grade]);
      const open = new Map(
        [...byReply]
          .map(([replyId, own]) => [replyId, openDisputes(own, overridden.get(replyId) ?? new Set())] as const)
          .filter(([, disputes]) => disputes.length > 0),
      );
      const page = await pageReplies(db, [...open.keys()], { limit, cursor });
      return {
        nextCursor: page.nextCursor,
        items: page.items.map((reply) => ({
          replyId: reply.id,
          probeId: reply.probeId,
          brandId: reply.brandId,
          campaignId: reply.campaignId,
          receivedAt: reply.receivedAt,
          disputes: open.get(reply.id)!.map((d) => ({
            criterion: d.criterion,
            ratings: d.grades.map((g) => ({ rater: g.rater, raterKeyId: g.raterId, value: g.value, comment: g.comment, ratedAt: g.ratedAt })),
          })),
          ratings: presentRatings(byReply.get(reply.id) ?? [], request.caller?.keyId ?? null),
        })),
      };
    },
  );
};

/**
 * Refuses (403, naming the criteria) an evaluation by which one of the two raters who disagree
 * on a criterion would set, change or remove its arbitration. Call before storing one.
 */
export async function assertMayArbitrate(
  db: Queryable,
  replyId: string,
  caller: Caller | null,
  criteria: Readonly<Record<string, { value: number } | undefined>>,
): Promise<void> {
  if (!caller) return;
  const after = Object.fromEntries(Object.entries(criteria).flatMap(([c, o]) => (o ? [[c, o.value] as const] : [])));
  const refused = await refusedArbitrations(db, replyId, caller, after);
  if (refused.length === 0) return;
  throw new ApiProblem(403, 'Forbidden', `you rated this reply: ${refused.join(', ')} must be arbitrated by a third auditor or an admin`, {
    errors: refused.map((c) => ({ field: `body/criteria/${c}`, message: 'disputed between you and another rater' })),
  });
}
