/**
 * Double rating: each auditor's own rating of a reply (`PUT /v1/replies/:id/ratings/mine`),
 * the ratings of a reply, shown blind (`GET /v1/replies/:id/ratings`), and the raters'
 * agreement over a campaign (`GET /v1/campaigns/:id/agreement`). How pairs, disputes and
 * the note's values are formed: `src/audit/double-rating.ts`; the kappa: `src/audit/agreement.ts`.
 *
 * Blindness: an auditor sees the other raters' ratings of a reply only once it has rated that
 * reply itself; before, its own (none) and how many others rated. An admin always sees them.
 * A reader sees only the count. A rater is an API key: the environment's `SONDE_ADMIN_KEY`
 * has no key id and cannot rate (it can still arbitrate through an evaluation).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PRESENCE_THRESHOLD } from '../audit/agreement.ts';
import { CRITERIA, CRITERION_MAX, type CriterionId } from '../audit/score.ts';
import { findCampaign } from '../db/campaigns.repo.ts';
import type { Pool } from '../db/pool.ts';
import { findReply } from '../db/reply-views.repo.ts';
import { rateReply, type GradeChange } from '../flow/rate-reply.ts';
import { campaignAgreement, ownRating, replyRatings } from '../flow/rating-views.ts';
import { ApiProblem, found } from './problem.ts';
import { IdParams, Nullable, Uuid, commonErrors } from './schemas.ts';

export interface RatingsRouteOptions {
  pool: Pool;
}

const GradeInput = Type.Object(
  {
    value: Type.Number({ minimum: 0, maximum: CRITERION_MAX, description: `out of ${CRITERION_MAX}` }),
    comment: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  },
  { additionalProperties: false },
);

const RatingsView = Type.Object({
  replyId: Uuid,
  count: Type.Integer({ minimum: 0, description: 'raters of this reply, the caller included' }),
  hidden: Type.Integer({ minimum: 0, description: "ratings withheld from the caller (blind until it has rated; readers see none)" }),
  ratings: Type.Array(Type.Ref('Rating')),
});

const AgreementFigures = Type.Object({
  pairs: Type.Integer({ minimum: 0, description: 'replies of the campaign whose criterion two raters graded' }),
  observed: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'observed agreement (weighted when asked); null without pairs' })),
  kappa: Nullable(Type.Number({ minimum: -1, maximum: 1, description: "Cohen's kappa; null when undefined (no pair, or expected agreement 1)" })),
  disagreements: Type.Integer({ minimum: 0, description: 'pairs in different categories' }),
});

const AgreementView = Type.Object({
  campaignId: Uuid,
  weighted: Type.Boolean({ description: 'true: linear-weighted kappa on the raw grades; false: present (> threshold) or absent' }),
  presenceThreshold: Type.Number({ description: 'a grade above this says present' }),
  criteria: Type.Record(Type.String(), AgreementFigures),
});

const tags = ['ratings'];

export const ratingsRoutes: FastifyPluginAsyncTypebox<RatingsRouteOptions> = async (app, { pool: db }) => {
  app.get(
    '/replies/:id/ratings',
    { schema: { tags, params: IdParams, response: { 200: RatingsView, ...commonErrors } } },
    async (request) => {
      found(await findReply(db, request.params.id), 'reply', request.params.id);
      return replyRatings(db, request.params.id, request.caller);
    },
  );

  app.put(
    '/replies/:id/ratings/mine',
    {
      config: { writeRole: 'auditor' },
      schema: {
        tags,
        params: IdParams,
        body: Type.Object(
          {
            criteria: Type.Partial(Type.Object(Object.fromEntries(CRITERIA.map((c) => [c.id, Nullable(GradeInput)])), { additionalProperties: false }), {
              minProperties: 1,
              description: 'criteria to grade (merged into the rating: criteria left out keep their grade); null removes a grade',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('Rating'), ...commonErrors },
      },
    },
    async (request) => {
      const id = request.params.id;
      const caller = request.caller!;
      if (caller.keyId === null) {
        throw new ApiProblem(403, 'Forbidden', `a rating belongs to an API key and ${caller.label} has none: rate with a key of your own (POST /v1/keys)`);
      }
      found(await findReply(db, id), 'reply', id);
      const changes = Object.entries(request.body.criteria).map(
        ([criterion, grade]): GradeChange => ({
          criterion: criterion as CriterionId,
          grade: grade ? { value: grade.value, comment: grade.comment ?? null } : null,
        }),
      );
      await rateReply(db, id, caller.keyId, changes);
      const mine = await ownRating(db, id, caller.keyId);
      // a rating whose every grade was removed is no rating: say so with the empty one
      const now = new Date();
      return mine ?? { rater: caller.label, raterKeyId: caller.keyId, mine: true, criteria: {}, ratedAt: now, updatedAt: now };
    },
  );

  app.get(
    '/campaigns/:id/agreement',
    {
      schema: {
        tags,
        params: IdParams,
        querystring: Type.Object({ weighted: Type.Boolean({ default: false, description: 'linear-weighted kappa on the raw grades' }) }),
        response: { 200: AgreementView, ...commonErrors },
      },
    },
    async (request) => {
      const id = request.params.id;
      found(await findCampaign(db, id), 'campaign', id);
      const weighted = request.query.weighted;
      return {
        campaignId: id,
        weighted,
        presenceThreshold: PRESENCE_THRESHOLD,
        criteria: await campaignAgreement(db, id, weighted),
      };
    },
  );
};
