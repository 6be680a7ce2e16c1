import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deleteScenario, findScenario, insertScenario, listScenarios, updateScenario } from '../db/scenarios.repo.ts';
import { found } from './problem.ts';
import { IdParams, Nullable, Page, PageQuery, Timestamp, Uuid, commonErrors } from './schemas.ts';
import type { Pool } from '../db/pool.ts';

const ExpectedPoint = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 200 }),
    keywords: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 50, description: 'words or phrases; any one covers the point' }),
  },
  { additionalProperties: false },
);

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  language: Type.String({ pattern: '^[a-z]{2}$', description: 'ISO 639-1, e.g. fr' }),
  subject: Type.String({ minLength: 1, maxLength: 500 }),
  body: Type.String({ minLength: 1, maxLength: 20_000, description: 'may use {{persona.firstName}}, {{persona.lastName}}, {{brand.name}}' }),
  expectedPoints: Type.Array(ExpectedPoint, { maxItems: 50 }),
  reminderBody: Nullable(Type.String({ minLength: 1, maxLength: 20_000, description: 'the "relance"; a default in the scenario\'s language when null' })),
};

export const Scenario = Type.Object({ id: Uuid, ...fields, createdAt: Timestamp, updatedAt: Timestamp }, { $id: 'Scenario' });
const ScenarioInput = Type.Object(
  {
    name: fields.name,
    language: Type.Optional(fields.language),
    subject: fields.subject,
    body: fields.body,
    expectedPoints: Type.Optional(fields.expectedPoints),
    reminderBody: Type.Optional(fields.reminderBody),
  },
  { additionalProperties: false },
);
const ScenarioPatch = Type.Partial(Type.Object(fields, { additionalProperties: false }));

const tags = ['scenarios'];
const auditor = { writeRole: 'auditor' as const };

/** What the routes read. */
export interface ScenariosRouteOptions {
  pool: Pool;
}

export const scenariosRoutes: FastifyPluginAsyncTypebox<ScenariosRouteOptions> = async (app, { pool }) => {
  const db = pool;

  app.get('/scenarios', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(Type.Ref('Scenario')), ...commonErrors } } }, async (request) =>
    listScenarios(db, request.query),
  );

  app.post('/scenarios', { config: auditor, schema: { tags, body: ScenarioInput, response: { 201: Type.Ref('Scenario'), ...commonErrors } } }, async (request, reply) => {
    const b = request.body;
    const scenario = await insertScenario(db, { ...b, language: b.language ?? 'fr', expectedPoints: b.expectedPoints ?? [] });
    return reply.code(201).send(scenario);
  });

  app.get('/scenarios/:id', { schema: { tags, params: IdParams, response: { 200: Type.Ref('Scenario'), ...commonErrors } } }, async (request) =>
    found(await findScenario(db, request.params.id), 'scenario', request.params.id),
  );

  app.patch(
    '/scenarios/:id',
    { config: auditor, schema: { tags, params: IdParams, body: ScenarioPatch, response: { 200: Type.Ref('Scenario'), ...commonErrors } } },
    async (request) => found(await updateScenario(db, request.params.id, request.body), 'scenario', request.params.id),
  );

  app.delete('/scenarios/:id', { config: auditor, schema: { tags, params: IdParams, response: { 204: Type.Null(), ...commonErrors } } }, async (request, reply) => {
    found((await deleteScenario(db, request.params.id)) || null, 'scenario', request.params.id);
    return reply.code(204).send(null);
  });
};
