import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deleteBrand, findBrand, insertBrand, listBrands, updateBrand } from '../db/brands.repo.ts';
import { found } from './problem.ts';
import { Domain, Email, Hex, IdParams, Page, PageQuery, Timestamp, Uuid, commonErrors } from './schemas.ts';
import type { Pool } from '../db/pool.ts';

const Charter = Type.Object(
  {
    logoHints: Type.Optional(
      Type.Array(Type.String({ minLength: 2, maxLength: 200 }), {
        maxItems: 50,
        description: 'file names, alt texts or URL parts by which the logo is recognised',
      }),
    ),
    colors: Type.Optional(Type.Array(Hex, { maxItems: 20 })),
  },
  { additionalProperties: false },
);

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  sectorId: Uuid,
  contactAddresses: Type.Array(Email, { maxItems: 50, description: 'where probes are sent' }),
  senderDomains: Type.Array(Domain, { maxItems: 50, description: 'domains the brand answers from, helpdesk providers included' }),
  vocabulary: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 1000, description: 'words the speller must accept' }),
  charter: Charter,
};

export const Brand = Type.Object({ id: Uuid, ...fields, charter: Type.Object({ logoHints: Type.Array(Type.String()), colors: Type.Array(Type.String()) }), createdAt: Timestamp, updatedAt: Timestamp }, { $id: 'Brand' });
// Defaults are applied in code, not by the schema: a PATCH must never reset what it does not name.
const BrandInput = Type.Object(
  {
    name: fields.name,
    sectorId: fields.sectorId,
    contactAddresses: Type.Optional(fields.contactAddresses),
    senderDomains: Type.Optional(fields.senderDomains),
    vocabulary: Type.Optional(fields.vocabulary),
    charter: Type.Optional(fields.charter),
  },
  { additionalProperties: false },
);
const BrandPatch = Type.Partial(Type.Object(fields, { additionalProperties: false }));

const tags = ['brands'];

/** What the routes read. */
export interface BrandsRouteOptions {
  pool: Pool;
}

export const brandsRoutes: FastifyPluginAsyncTypebox<BrandsRouteOptions> = async (app, { pool }) => {
  const db = pool;

  app.get(
    '/brands',
    { schema: { tags, querystring: Type.Object({ ...PageQuery, sectorId: Type.Optional(Uuid) }), response: { 200: Page(Type.Ref('Brand')), ...commonErrors } } },
    async (request) => listBrands(db, request.query, { sectorId: request.query.sectorId }),
  );

  app.post(
    '/brands',
    { config: { writeRole: 'admin' }, schema: { tags, body: BrandInput, response: { 201: Type.Ref('Brand'), ...commonErrors } } },
    async (request, reply) => {
      const b = request.body;
      const brand = await insertBrand(db, {
        name: b.name,
        sectorId: b.sectorId,
        contactAddresses: b.contactAddresses ?? [],
        senderDomains: b.senderDomains ?? [],
        vocabulary: b.vocabulary ?? [],
        charter: { logoHints: b.charter?.logoHints ?? [], colors: b.charter?.colors ?? [] },
      });
      return reply.code(201).send(brand);
    },
  );

  app.get('/brands/:id', { schema: { tags, params: IdParams, response: { 200: Type.Ref('Brand'), ...commonErrors } } }, async (request) =>
    found(await findBrand(db, request.params.id), 'brand', request.params.id),
  );

  app.patch(
    '/brands/:id',
    { config: { writeRole: 'admin' }, schema: { tags, params: IdParams, body: BrandPatch, response: { 200: Type.Ref('Brand'), ...commonErrors } } },
    async (request) => found(await updateBrand(db, request.params.id, request.body), 'brand', request.params.id),
  );

  app.delete(
    '/brands/:id',
    { config: { writeRole: 'admin' }, schema: { tags, params: IdParams, response: { 204: Type.Null(), ...commonErrors } } },
    async (request, reply) => {
      found((await deleteBrand(db, request.params.id)) || null, 'brand', request.params.id);
      return reply.code(204).send(null);
    },
  );
};
