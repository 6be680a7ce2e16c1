/** One worker at a time on a resource, with a PostgreSQL advisory lock held by one connection. */
import { releaseClient, type Pool, type Queryable } from './pool.ts';

/**
 * Runs `work` while holding a PostgreSQL advisory lock named `key`, on one connection that
 * `work` uses for its queries (so a job never waits for a second connection while holding
 * one). The lock belongs to the session: a worker that dies mid-send loses it with its
 * connection, which is how the next attempt knows nobody is sending any more. Returns
 * `{ locked: false }` at once when another session holds it.
 */
export async function withAdvisoryLock<T>(
  pool: Pool,
  key: string,
  work: (db: Queryable) => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  const client = await pool.connect();
  // Only a failure of the lock's own queries says the connection is unusable; `work` failing is its own business.
  let broken: Error | undefined;
  try {
    const { rows } = await client
      .query<{ locked: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', [key])
      .catch((err: Error) => {
        throw (broken = err);
      });
    if (!rows[0]?.locked) return { locked: false };
    try {
      return { locked: true, value: await work(client) };
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch((err: Error) => (broken = err));
    }
  } finally {
    // a connection whose unlock failed must not go back to the pool still holding the lock
    releaseClient(client, broken);
  }
}
