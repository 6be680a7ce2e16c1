/** API keys, stored as sha256 hashes: a key is random and long, so a plain hash is enough and lookups stay O(1). */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';

export const API_ROLES = ['admin', 'auditor', 'reader'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export interface ApiKey {
  id: string;
  label: string;
  role: ApiRole;
  /** The first characters of the key, to recognise it in a list. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  label: string;
  role: ApiRole;
  key_prefix: string;
  created_at: Date;
  last_used_at: Date | null;
}

const toApiKey = (row: ApiKeyRow): ApiKey => ({
  id: row.id,
  label: row.label,
  role: row.role,
  prefix: row.key_prefix,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
});

export const hashKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

export function generateKey(): string {
  return `sonde_${randomBytes(24).toString('base64url')}`;
}

/** Creates a key and returns it with its secret, which is never readable again. */
export async function createApiKey(db: Queryable, input: { label: string; role: ApiRole }): Promise<ApiKey & { key: string }> {
  const key = generateKey();
  const { rows } = await db.query<ApiKeyRow>(
    'insert into api_keys (label, role, key_hash, key_prefix) values ($1, $2, $3, $4) returning *',
    [input.label, input.role, hashKey(key), key.slice(0, 12)],
  );
  return { ...toApiKey(rows[0]!), key };
}

export async function findApiKeyBySecret(db: Queryable, key: string): Promise<ApiKey | null> {
  const { rows } = await db.query<ApiKeyRow>('select * from api_keys where key_hash = $1 and revoked_at is null', [hashKey(key)]);
  return rows[0] ? toApiKey(rows[0]) : null;
}

export async function touchApiKey(db: Queryable, id: string): Promise<void> {
  // at most one write a minute per key
  await db.query(
    `update api_keys set last_used_at = now() where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
    [id],
  );
}

export async function listApiKeys(db: Queryable, page: PageRequest): Promise<Page<ApiKey>> {
  const clause = pageClause(page, 1);
  const { rows } = await db.query<ApiKeyRow>(`select * from api_keys where revoked_at is null and ${clause.sql}`, clause.values);
  return toPage(rows, page.limit, toApiKey);
}

/** Revokes a key; the row stays as a record of who had access. */
export async function revokeApiKey(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query('update api_keys set revoked_at = now() where id = $1 and revoked_at is null', [id]);
  return (result.rowCount ?? 0) > 0;
}

/** A key that is still valid, by its id: what a dashboard session checks on every request. */
export async function findActiveApiKey(db: Queryable, id: string): Promise<ApiKey | null> {
  const { rows } = await db.query<ApiKeyRow>('select * from api_keys where id = $1 and revoked_at is null', [id]);
  return rows[0] ? toApiKey(rows[0]) : null;
}
