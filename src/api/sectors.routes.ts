import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deleteSector, findSector, insertSector, listSectors, updateSector } from '../db/sectors.repo.ts';
import { found } from './problem.ts';
import { IdParams, Page, PageQuery, Timestamp, Uuid, commonErrors } from './schemas.ts';
import type { Pool } from '../db/pool.ts';

export const Sector = Type.Object({ id: Uuid, name: Type.String(), createdAt: Timestamp, updatedAt: Timestamp }, { $id: 'Sector' });
const SectorInput = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

const tags = ['sectors'];

/** What the routes read. */
export interface SectorsRouteOptions {
  pool: Pool;
}

export const sectorsRoutes: FastifyPluginAsyncTypebox<SectorsRouteOptions> = async (app, { pool }) => {
  const db = pool;

  app.get('/sectors', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(Type.Ref('Sector')), ...commonErrors } } }, async (request) =>
    listSectors(db, request.query),
  );

  app.post(
    '/sectors',
    { config: { writeRole: 'admin' }, schema: { tags, body: SectorInput, response: { 201: Type.Ref('Sector'), ...commonErrors } } },
    async (request, reply) => reply.code(201).send(await insertSector(db, request.body)),
  );

  app.get('/sectors/:id', { schema: { tags, params: IdParams, response: { 200: Type.Ref('Sector'), ...commonErrors } } }, async (request) =>
    found(await findSector(db, request.params.id), 'sector', request.params.id),
  );

  app.patch(
    '/sectors/:id',
    { config: { writeRole: 'admin' }, schema: { tags, params: IdParams, body: Type.Partial(SectorInput), response: { 200: Type.Ref('Sector'), ...commonErrors } } },
    async (request) => found(await updateSector(db, request.params.id, request.body), 'sector', request.params.id),
  );

  app.delete(
    '/sectors/:id',
    { config: { writeRole: 'admin' }, schema: { tags, params: IdParams, response: { 204: Type.Null(), ...commonErrors } } },
    async (request, reply) => {
      found((await deleteSector(db, request.params.id)) || null, 'sector', request.params.id);
      return reply.code(204).send(null);
    },
  );
};
