/**
 * A PostgreSQL backend lost while its connection is checked out (a restart, a failover,
 * an administrator's pg_terminate_backend) during a long SMTP or IMAP exchange: the process
 * must not die of an unhandled 'error', the client goes back broken and is dropped, and the
 * pool serves the next query on a new connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { withAdvisoryLock } from '../../src/db/advisory-lock.ts';
import { createPool, withTransaction, type Pool, type Queryable } from '../../src/db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let pool: Pool;
const warnings: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase(inject('databaseTemplate'));
  pool = createPool(db.url, 3, { warn: (_obj, msg) => void warnings.push(msg) });
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

const backendPid = async (client: Queryable) => (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
const terminate = (pid: number) => db.pool.query('select pg_terminate_backend($1)', [pid]);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a backend lost under a checked-out connection', () => {
  it('is heard by an error listener while the advisory lock is held, and the pool recovers', async () => {
    const outcome = await withAdvisoryLock(pool, 'drill:pool', async (client) => {
      const pid = await backendPid(client);
      // what pg-pool does not do for a checked-out client: someone listens for its errors
      expect((client as unknown as NodeJS.EventEmitter).listenerCount('error')).toBeGreaterThan(0);
      await terminate(pid);
      // the long SMTP exchange goes on meanwhile; the backend's farewell arrives now
      await pause(300);
      return pid;
    });
    expect(outcome.locked).toBe(true);
    expect(warnings).toContain('a PostgreSQL connection in use was lost');
    // the broken client was dropped: the next query gets a live connection
    const { rows } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
    expect(rows[0]!.pid).not.toBe(outcome.locked ? outcome.value : 0);
  });

  it('fails the transaction whose backend was lost, and serves the next one', async () => {
    await expect(
      withTransaction(pool, async (tx) => {
        await terminate(await backendPid(tx));
        await pause(300);
        await tx.query('select 1');
      }),
    ).rejects.toThrow();
    expect((await withTransaction(pool, (tx) => tx.query<{ one: number }>('select 1 as one'))).rows[0]!.one).toBe(1);
  });
});
