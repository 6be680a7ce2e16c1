/** The PostgreSQL pool and transactions. Repositories take a `Queryable`: the pool or a transaction's client. */
import pg from 'pg';

// int8 (bigint: UIDVALIDITY, UIDs) as JS numbers: IMAP UIDs are 32-bit, counts fit easily.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
// numeric (HIGHESTMODSEQ) stays a string: a modseq may exceed 2^53.

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** Where the pool reports a connection lost: the one logger, or nowhere. */
export interface PoolLog {
  warn(obj: object, msg: string): void;
}

/** Clients whose backend went away while they were checked out: released with their error, so the pool drops them. */
const broken = new WeakMap<pg.PoolClient | pg.Client, Error>();

/**
 * A pool of `max` connections. `acquireTimeoutMs` bounds the wait for a free connection (and
 * for a new one to open): past it the query fails with a timeout (`isDatabaseUnavailable`)
 * rather than waiting for ever behind long holders.
 */
export function createPool(databaseUrl: string, max = 10, log?: PoolLog, acquireTimeoutMs = 0): Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, application_name: 'sonde', connectionTimeoutMillis: acquireTimeoutMs });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', (err) => log?.warn({ err: { message: err.message, code: pgErrorCode(err) } }, 'an idle PostgreSQL connection was lost'));
  // pg-pool removes its own error listener while a client is checked out: a backend that
  // goes away then (a restart, a failover) during a long SMTP or IMAP exchange would emit an
  // unhandled 'error' and end the process. This listener stays for the client's life.
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      broken.set(client, err);
      log?.warn({ err: { message: err.message, code: pgErrorCode(err) } }, 'a PostgreSQL connection in use was lost');
    });
  });
  return pool;
}

/**
 * Gives a checked-out client back; one whose backend was lost (or `err`) is destroyed by the
 * pool rather than handed out again.
 */
export function releaseClient(client: PoolClient, err?: Error): void {
  client.release(err ?? broken.get(client));
}

/** Runs `work` in a transaction on a connection of its own from the pool. */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, () => work(client));
  } finally {
    releaseClient(client);
  }
}

/**
 * Runs `work` in a transaction on `db`, a connection the caller holds already (e.g. the one
 * holding an advisory lock): `db` must not be the pool, whose queries may each take another
 * connection.
 */
export async function inTransaction<T>(db: Queryable, work: () => Promise<T>): Promise<T> {
  await db.query('begin');
  try {
    const result = await work();
    await db.query('commit');
    return result;
  } catch (err) {
    await db.query('rollback').catch(() => {});
    throw err;
  }
}

/** PostgreSQL error codes the API turns into 4xx answers. */
export const PG_ERRORS = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  invalidText: '22P02',
} as const;

/** Connection errors that say the database cannot be reached, or no connection came free in time. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P03']);

/**
 * The database is out of reach for now, rather than refusing this query: the pool's acquire
 * timeout (pg-pool's "timeout exceeded when trying to connect"), a connection that could not
 * open in time, a refused or reset connection, a server shutting down or starting.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = pgErrorCode(err);
  if (code && UNREACHABLE_CODES.has(code)) return true;
  if (err instanceof AggregateError && err.errors.some(isDatabaseUnavailable)) return true;
  return /timeout exceeded when trying to connect|Connection terminated due to connection timeout|Connection terminated unexpectedly/.test(err.message);
}

export function pgErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Runs `work` inside a savepoint of the transaction `tx` already holds: when `work` fails,
 * only what it did is rolled back, the error is thrown again, and the transaction goes on.
 * Savepoints nest: an inner one of the same name hides the outer until released.
 */
export async function withSavepoint<T>(tx: Queryable, work: () => Promise<T>): Promise<T> {
  await tx.query('savepoint sonde_work');
  try {
    const result = await work();
    await tx.query('release savepoint sonde_work');
    return result;
  } catch (err) {
    await tx.query('rollback to savepoint sonde_work');
    throw err;
  }
}
