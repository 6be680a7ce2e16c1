/**
 * Keyset pagination on (created_at, id): stable under inserts, no OFFSET scans.
 * The cursor is opaque to clients (base64url of the last row's keys).
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface CursorKeys {
  createdAt: string;
  id: string;
}

export class BadCursorError extends Error {
  override name = 'BadCursorError';
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(cursor: string | undefined): CursorKeys | null {
  if (!cursor) return null;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    if (typeof createdAt !== 'string' || typeof id !== 'string' || !ISO_INSTANT.test(createdAt) || !UUID.test(id)) throw new Error();
    return { createdAt, id };
  } catch {
    throw new BadCursorError('cursor is not one this API gave: pass the nextCursor of the previous page as is');
  }
}

export function encodeCursor(keys: { createdAt: Date | string; id: string }): string {
  const createdAt = keys.createdAt instanceof Date ? keys.createdAt.toISOString() : keys.createdAt;
  return Buffer.from(JSON.stringify([createdAt, keys.id])).toString('base64url');
}

/**
 * SQL fragment and values for one page. Rows must expose `created_at` and `id`;
 * `firstParam` is the number of the next free `$n` placeholder. The query asks one
 * row more than the page to learn whether another page follows.
 */
export function pageClause(page: PageRequest, firstParam: number, alias = ''): { sql: string; values: unknown[] } {
  const p = alias ? `${alias}.` : '';
  // Creation times are kept to the millisecond (migration 0004), the precision of the
  // cursor: the raw column compares exactly and its (created_at, id) index serves the page.
  const at = `${p}created_at`;
  const keys = decodeCursor(page.cursor);
  const limit = `limit $${firstParam + (keys ? 2 : 0)}`;
  const where = keys ? `(${at}, ${p}id) > ($${firstParam}::timestamptz, $${firstParam + 1}::uuid)` : 'true';
  return {
    sql: `${where} order by ${at}, ${p}id ${limit}`,
    values: keys ? [keys.createdAt, keys.id, page.limit + 1] : [page.limit + 1],
  };
}

/** Cuts the extra row and builds the next cursor from the last row kept. */
export function toPage<R extends { created_at: Date; id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(map), nextCursor: more && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null };
}
