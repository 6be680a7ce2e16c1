import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { API_ROLES, createApiKey, listApiKeys, revokeApiKey } from '../db/api-keys.repo.ts';
import { found } from './problem.ts';
import { IdParams, Page, PageQuery, Timestamp, Uuid, Nullable, commonErrors } from './schemas.ts';
import type { Pool } from '../db/pool.ts';

const Role = Type.Union(API_ROLES.map((r) => Type.Literal(r)));
export const ApiKey = Type.Object(
  { id: Uuid, label: Type.String(), role: Role, prefix: Type.String(), createdAt: Timestamp, lastUsedAt: Nullable(Timestamp) },
  { $id: 'ApiKey' },
);
const CreatedApiKey = Type.Composite([
  Type.Omit(ApiKey, ['lastUsedAt']),
  Type.Object({ key: Type.String({ description: 'the secret itself: shown in this response only, never again' }) }),
]);

const tags = ['keys'];
const adminOnly = { role: 'admin' as const };

/** What the routes read. */
export interface KeysRouteOptions {
  pool: Pool;
}

export const keysRoutes: FastifyPluginAsyncTypebox<KeysRouteOptions> = async (app, { pool }) => {
  const db = pool;

  app.get('/keys', { config: adminOnly, schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(Type.Ref('ApiKey')), ...commonErrors } } }, async (request) =>
    listApiKeys(db, request.query),
  );

  app.post(
    '/keys',
    {
      config: adminOnly,
      schema: {
        tags,
        body: Type.Object({ label: Type.String({ minLength: 1, maxLength: 200 }), role: Role }, { additionalProperties: false }),
        response: { 201: CreatedApiKey, ...commonErrors },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(db, request.body);
      request.log.info({ keyId: created.id, role: created.role, by: request.caller?.label }, 'API key created');
      return reply.code(201).send(created);
    },
  );

  app.delete('/keys/:id', { config: adminOnly, schema: { tags, params: IdParams, response: { 204: Type.Null(), ...commonErrors } } }, async (request, reply) => {
    found((await revokeApiKey(db, request.params.id)) || null, 'API key', request.params.id);
    request.log.info({ keyId: request.params.id, by: request.caller?.label }, 'API key revoked');
    return reply.code(204).send(null);
  });
};
