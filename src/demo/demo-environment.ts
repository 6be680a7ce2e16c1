/**
 * Everything the demo runs on, and nothing it leaves behind: a private Dovecot holding the
 * personas' test mailboxes, the brand simulator's SMTP server, a throwaway database on the
 * configured PostgreSQL server, queue keys of its own in Redis, and the service itself in
 * this process (API and scheduler as `startService` runs them, the worker with hours
 * shortened to `msPerHour`). `stop()` undoes it all, in reverse.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Config } from '../config.ts';
import { BrandSimulator, type PersonaMailbox, type SimulatedBrand, type SimulatedPersona, type SimulatorEvent } from '../devtools/brand-simulator.ts';
import { startDovecot } from '../devtools/dovecot.ts';
import type { Logger } from '../logger.ts';
import { startService } from '../main.ts';
import type { Timing } from '../clock.ts';
import { buildProcessors } from '../queue/processors.ts';
import { redisConnection, type Queues } from '../queue/queues.ts';
import { startWorkers } from '../queue/worker.ts';
import { createSecretBox } from '../secrets.ts';

export interface EnvironmentOptions {
  /** Where PostgreSQL and Redis are; the demo makes its own database on that server. */
  config: Config;
  /** API port; 0 for a free one. */
  port: number;
  /** The worker's and the brands' clock and hour length. */
  timing: Timing;
  brands: readonly SimulatedBrand[];
  personas: ReadonlyArray<Omit<SimulatedPersona, 'address'>>;
  answers: Readonly<Record<string, readonly string[]>>;
  seed: number;
  logger: Logger;
  onSimulatorEvent: (event: SimulatorEvent) => void;
  /** One line per part started. */
  say: (line: string) => void;
}

export interface DemoEnvironment {
  apiUrl: string;
  adminKey: string;
  personas: PersonaMailbox[];
  simulator: BrandSimulator;
  /** The service's queues, to tell when the campaign has nothing left to do. */
  queues: Queues;
  stop(): Promise<void>;
}

/** Demo databases are named so that a later demo can recognise, and drop, those a killed one left. */
const DATABASE_PREFIX = 'sonde_demo_';
const STALE_AFTER_MS = 24 * 3600_000;

export async function startEnvironment(options: EnvironmentOptions): Promise<DemoEnvironment> {
  const { config, logger, say } = options;
  const undo: Array<() => Promise<void>> = [];
  const stop = async () => {
    const failures: unknown[] = [];
    for (const step of undo.splice(0).reverse()) await step().catch((err: unknown) => failures.push(err));
    if (failures.length > 0) throw new AggregateError(failures, 'the demo could not remove everything it made');
  };
  try {
    const dovecot = await startDovecot().catch((err: Error) => {
      throw new Error(`the test mailboxes' IMAP server (a private Dovecot) could not start: ${err.message}`, { cause: err });
    });
    undo.push(() => dovecot.stop());
    const personas: PersonaMailbox[] = [];
    for (const persona of options.personas) {
      const user = await dovecot.createUser(`${persona.firstName}-${persona.lastName}`.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase());
      personas.push({ ...persona, address: user.address, imap: { host: dovecot.host, port: dovecot.port, user: user.user, password: user.password } });
    }
    say(`Dovecot (IMAP) on ${dovecot.host}:${dovecot.port}: test mailboxes of ${personas.map((p) => p.address).join(', ')}`);

    const simulator = await BrandSimulator.start({
      brands: options.brands,
      personas,
      answers: options.answers,
      timing: options.timing,
      seed: options.seed,
      onEvent: options.onSimulatorEvent,
    });
    undo.push(() => simulator.stop());
    say(`brand simulator (SMTP) on ${simulator.smtp.host}:${simulator.smtp.port}: ${options.brands.length} brands`);

    const database = throwawayDatabaseUrl(config.databaseUrl);
    await dropStaleDemoDatabases(config.databaseUrl);
    undo.push(() => dropDatabase(database));
    const queuePrefix = `sonde-demo-${randomBytes(5).toString('hex')}`;
    undo.push(() => deleteRedisKeys(config.redisUrl, queuePrefix));

    const adminKey = `sonde-demo-${randomBytes(18).toString('base64url')}`;
    const secretKey = randomBytes(32);
    const serviceConfig: Config = {
      ...config,
      databaseUrl: database,
      port: options.port,
      roles: ['api', 'scheduler'],
      adminKey,
      secretKey: secretKey.toString('base64'),
      queuePrefix,
      // the demo polls the API several times a second to show progress
      rateLimitPerMinute: 100_000,
      // the demo's Dovecot and brand simulator listen on loopback
      allowPrivateHosts: true,
    };
    const service = await startService(serviceConfig, logger);
    undo.push(() => service.stop());
    say(`PostgreSQL database ${new URL(database).pathname.slice(1)}, migrated; API on ${service.url}`);

    // The worker role on the demo's clock: a reminder due after 24 h goes out seconds after its probe.
    const workerRedis = redisConnection(config.redisUrl, 'worker', {}, logger);
    const built = buildProcessors({
      pool: service.pool,
      redis: workerRedis,
      queues: service.queues,
      secretBox: createSecretBox(secretKey),
      logger,
      config: serviceConfig,
      timing: options.timing,
    });
    const workers = startWorkers({ connection: workerRedis, prefix: queuePrefix, concurrency: config.workerConcurrency, processors: built.processors, logger });
    undo.push(async () => {
      await workers.close();
      await built.close();
      workerRedis.disconnect();
    });
    say(`worker: one hour lasts ${options.timing.msPerHour} ms, a 24-hour reminder delay ${((24 * options.timing.msPerHour) / 1000).toFixed(0)} s`);

    return { apiUrl: service.url!, adminKey, personas, simulator, queues: service.queues, stop };
  } catch (err) {
    await stop().catch((cleanup: unknown) => logger.error({ err: cleanup }, 'demo cleanup failed'));
    throw err;
  }
}

function throwawayDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${DATABASE_PREFIX}${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  return url.toString();
}

async function withServer<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  await withServer(databaseUrl, (client) => client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`));
}

/** Demo databases older than a day: a demo killed before its teardown. Their name says when they were made. */
async function dropStaleDemoDatabases(databaseUrl: string): Promise<void> {
  await withServer(databaseUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [DATABASE_PREFIX]);
    for (const { datname } of rows) {
      const madeAt = parseInt(datname.slice(DATABASE_PREFIX.length).split('_')[0] ?? '', 36);
      if (Date.now() - madeAt > STALE_AFTER_MS) await client.query(`drop database if exists ${pg.escapeIdentifier(datname)} with (force)`);
    }
  });
}

/** Every key under the demo's queue prefix, and nothing else. */
async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = redisConnection(redisUrl, 'producer', { enableOfflineQueue: true });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
