/** Applies the numbered SQL files of `migrations/` with node-pg-migrate, creating the database first if missing. */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../logger.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`create database ${pg.escapeIdentifier(name)}`).catch((err: unknown) => {
      // another process created it between our check and our create
      if ((err as { code?: string }).code !== '42P04') throw err;
    });
    return true;
  } finally {
    await client.end();
  }
}

/** How long a start waits for another process's migration (several roles starting at once, as the README's scale-out runs them). */
const MIGRATION_LOCK_WAIT_MS = 120_000;

export async function migrate(databaseUrl: string, logger?: Logger): Promise<string[]> {
  const created = await ensureDatabase(databaseUrl);
  if (created) logger?.info('created the database');
  const deadline = Date.now() + MIGRATION_LOCK_WAIT_MS;
  for (;;) {
    try {
      return await migrateOnce(databaseUrl, logger);
    } catch (err) {
      // another process holds node-pg-migrate's lock: wait for it, then find nothing left to do
      if (!/Another migration is already running/.test(String(err)) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * 250));
    }
  }
}

async function migrateOnce(databaseUrl: string, logger?: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count: Infinity,
    checkOrder: true,
    singleTransaction: true,
    log: () => {},
    logger: undefined,
  });
  const names = applied.map((m) => m.name);
  if (names.length > 0) logger?.info({ migrations: names }, 'applied migrations');
  return names;
}
