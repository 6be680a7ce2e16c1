/** Small builders for the parameterised SQL the repositories share. */
import type { Queryable } from './pool.ts';

/**
 * `set a = $2, b = $3` from the fields of `patch` that are defined, using `columns`
 * to map camelCase fields to columns. Returns null when nothing is to be changed.
 */
export function setClause(
  patch: Record<string, unknown>,
  columns: Record<string, string>,
  firstParam: number,
): { sql: string; values: unknown[] } | null {
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const [field, column] of Object.entries(columns)) {
    const value = patch[field];
    if (value === undefined) continue;
    values.push(value);
    parts.push(`${column} = $${firstParam + values.length - 1}`);
  }
  return parts.length ? { sql: parts.join(', '), values } : null;
}

/** Updates one row by id from a camelCase patch; returns the row, or null when the id does not exist. */
export async function updateById<R extends object>(
  db: Queryable,
  table: string,
  id: string,
  patch: Record<string, unknown>,
  columns: Record<string, string>,
): Promise<R | null> {
  const set = setClause(patch, columns, 2);
  const sql = set
    ? `update ${table} set ${set.sql}, updated_at = now() where id = $1 returning *`
    : `select * from ${table} where id = $1`;
  const result = await db.query<R & object>(sql, [id, ...(set?.values ?? [])]);
  return (result.rows[0] as R | undefined) ?? null;
}

export async function deleteById(db: Queryable, table: string, id: string): Promise<boolean> {
  const result = await db.query(`delete from ${table} where id = $1`, [id]);
  return (result.rowCount ?? 0) > 0;
}

export async function selectById<R extends object>(db: Queryable, table: string, id: string): Promise<R | null> {
  const result = await db.query<R & object>(`select * from ${table} where id = $1`, [id]);
  return (result.rows[0] as R | undefined) ?? null;
}
