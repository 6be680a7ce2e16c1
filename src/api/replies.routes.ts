/**
 * Replies with their analysis, their score and the auditor's overrides. An override
 * sets a criterion by hand with a comment; the automatic value stays beside it, and
 * the note and the statistics use the override.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { roundHours } from '../audit/timing.ts';
import { CRITERIA, CRITERION_MAX } from '../audit/score.ts';
import { findMessage } from '../db/messages.repo.ts';
import { findLatestAnalysis, findReply, listEvaluations } from '../db/reply-views.repo.ts';
import { evaluateReply, type CriterionOverrides } from '../flow/evaluate-reply.ts';
import { scoreOfReply, type ScoreViewer } from '../flow/score-reply.ts';
import { presentMessage } from './message-schema.ts';
import { assertMayArbitrate } from './arbitration-guard.ts';
import { found } from './problem.ts';
import { IdParams, Nullable, Timestamp, Uuid, commonErrors } from './schemas.ts';
import type { Pool } from '../db/pool.ts';

const Override = Type.Object(
  {
    value: Type.Number({ minimum: 0, maximum: CRITERION_MAX, description: `out of ${CRITERION_MAX}` }),
    comment: Type.String({ minLength: 1, maxLength: 2000, description: 'why the automatic value was wrong' }),
  },
  { additionalProperties: false },
);

const Evaluation = Type.Record(
  Type.String(),
  Type.Object({ value: Type.Number(), comment: Nullable(Type.String()), author: Nullable(Type.String()), updatedAt: Timestamp }),
  { description: 'auditor overrides, criterion by criterion' },
);

export const Reply = Type.Object(
  {
    id: Uuid,
    probeId: Uuid,
    kind: Type.String(),
    receivedAt: Timestamp,
    delayHours: Nullable(Type.Number()),
    businessDelayHours: Nullable(Type.Number()),
    late: Type.Boolean({ description: 'arrived after the campaign closed: shown, never counted' }),
    message: Type.Ref('Message'),
    analysis: Nullable(Type.Object({ version: Type.String(), createdAt: Timestamp, result: Type.Unknown() })),
    score: Type.Unknown({
      description:
        'note out of 100 and the criteria grid out of 20, each with its evidence and `source` of its value: `arbitration` (an override), `agreed`, `mean` or `rater` (the double rating), `automatic`; `ratingsWithheld` counts the ratings left out of it for an auditor who has not rated the reply yet (blind rating: the score is then the automatic values and overrides only)',
    }),
    evaluation: Evaluation,
  },
  { $id: 'Reply' },
);

const tags = ['replies'];

/** What the routes read. */
export interface RepliesRouteOptions {
  pool: Pool;
}

export const repliesRoutes: FastifyPluginAsyncTypebox<RepliesRouteOptions> = async (app, { pool }) => {
  const db = pool;

  async function present(id: string, viewer: ScoreViewer | null) {
    const reply = found(await findReply(db, id), 'reply', id);
    const [message, analysis, evaluations, score] = await Promise.all([
      findMessage(db, id),
      findLatestAnalysis(db, id),
      listEvaluations(db, id),
      scoreOfReply(db, id, viewer),
    ]);
    return {
      ...reply,
      delayHours: reply.delayHours === null ? null : roundHours(reply.delayHours),
      businessDelayHours: reply.businessDelayHours === null ? null : roundHours(reply.businessDelayHours),
      message: presentMessage(message!),
      analysis,
      score,
      evaluation: Object.fromEntries(evaluations.map((e) => [e.criterion, { value: e.value, comment: e.comment, author: e.author, updatedAt: e.updatedAt }])),
    };
  }

  app.get('/replies/:id', { schema: { tags, params: IdParams, response: { 200: Type.Ref('Reply'), ...commonErrors } } }, async (request) =>
    present(request.params.id, request.caller ?? null),
  );

  app.put(
    '/replies/:id/evaluation',
    {
      config: { writeRole: 'auditor' },
      schema: {
        tags,
        params: IdParams,
        body: Type.Object(
          {
            criteria: Type.Partial(Type.Object(Object.fromEntries(CRITERIA.map((c) => [c.id, Override])), { additionalProperties: false }), {
              description: 'the whole set of overrides: criteria left out return to their automatic value',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('Reply'), ...commonErrors },
      },
    },
    async (request) => {
      const id = request.params.id;
      await assertMayArbitrate(db, id, request.caller, request.body.criteria);
      found(await findReply(db, id), 'reply', id);
      await evaluateReply(db, id, request.body.criteria as CriterionOverrides, request.caller?.label ?? 'unknown');
      return present(id, request.caller ?? null);
    },
  );
};
