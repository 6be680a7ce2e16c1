/**
 * Each test run migrates one template database; each test file clones it into a
 * database of its own (fast: a file copy), so files run in parallel and leave nothing behind.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { migrate } from '../../src/db/migrate.ts';

/** The server tests use; only its host, port and credentials matter. */
export const TEST_SERVER_URL = process.env.SONDE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTemplate(): Promise<string> {
  const name = `sonde_tpl_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await dropStaleDatabases();
  await migrate(databaseUrl(name));
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`));
}

/** Test databases left by a run that was killed more than a day ago. */
async function dropStaleDatabases(): Promise<void> {
  await admin(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `select datname from pg_database
        where datname ~ '^sonde_(tpl|test)_'
          and (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification < now() - interval '1 day'`,
    ).catch(() => ({ rows: [] as { datname: string }[] }));
    for (const row of rows) await client.query(`drop database if exists ${pg.escapeIdentifier(row.datname)} with (force)`);
  });
}

export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(template: string): Promise<TestDatabase> {
  const name = `sonde_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  // Two files cloning the same template at once collide ("source database is being
  // accessed by other users"): retry a few times.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin((client) => client.query(`create database ${pg.escapeIdentifier(name)} template ${pg.escapeIdentifier(template)}`));
      break;
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
    }
  }
  const url = databaseUrl(name);
  const pool = createPool(url, 5);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(name);
    },
  };
}
