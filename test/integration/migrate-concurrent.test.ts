/**
 * Several processes starting at once on one database (an API, workers and schedulers, as
 * the README's "Scaling out" runs them) each apply the migrations at start: the ones that
 * find another migration under way wait for it rather than exit.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { databaseUrl, dropDatabase } from '../support/database.ts';

const name = `sonde_test_migrate_${randomBytes(4).toString('hex')}`;

afterAll(() => dropDatabase(name));

describe('migrations applied by processes starting together', () => {
  it('let every process start: one applies them, the others wait and find nothing left', async () => {
    const url = databaseUrl(name);
    await migrate(url);
    // a new migration would be applied by one of them; here they all take the lock at once
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => migrate(url)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  });
});
