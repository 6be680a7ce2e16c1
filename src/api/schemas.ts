/** Schemas shared by every route module: ids, pagination, problems, timestamps. */
import { Type, type TSchema, type Static } from '@sinclair/typebox';

export const Uuid = Type.String({ format: 'uuid', description: 'uuid' });
// Repositories hand out Dates; the serializer writes them as ISO 8601 strings.
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time', description: 'ISO 8601 with offset' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const IdParams = Type.Object({ id: Uuid });
export type IdParams = Static<typeof IdParams>;

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'page size' }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' })),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    nextCursor: Nullable(Type.String({ description: 'pass as `cursor` for the next page; null on the last page' })),
  });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem document' },
);

/** The error answers every authenticated route can give. */
export const commonErrors = {
  400: Type.Ref('Problem'),
  401: Type.Ref('Problem'),
  403: Type.Ref('Problem'),
  404: Type.Ref('Problem'),
  409: Type.Ref('Problem'),
  422: Type.Ref('Problem'),
  429: Type.Ref('Problem'),
};

export const Hex = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'colour as #rrggbb' });
export const Domain = Type.String({
  pattern: '^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,63}$',
  description: 'a DNS domain, e.g. brand.fr',
});
export const Email = Type.String({ format: 'email', maxLength: 320 });
