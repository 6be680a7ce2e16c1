/**
 * Starts the roles of one process: `api`, `worker`, `scheduler` (all three by
 * default; `SONDE_ROLE` splits them across processes and machines). Applies the
 * migrations first, and says in one line what is missing when PostgreSQL or Redis
 * cannot be reached.
 */
import type { Redis } from 'ioredis';
import { buildApp, type App } from './api/app.ts';
import type { Config } from './config.ts';
import { migrate } from './db/migrate.ts';
import { createPool, type Pool } from './db/pool.ts';
import type { Logger } from './logger.ts';
import { checkStoredSecrets } from './flow/mailbox-logins.ts';
import { setHostPolicy } from './mail/host-guard.ts';
import { buildProcessors, type BuiltProcessors } from './queue/processors.ts';
import { closeQueues, createQueues, redisConnection, requestSync, type Queues } from './queue/queues.ts';
import { startScheduler, type Scheduler } from './queue/scheduler.ts';
import { startWorkers, type Workers } from './queue/worker.ts';
import { SecretKeyMismatchError, createSecretBox, resolveSecretKey } from './secrets.ts';
import { closePdfRenderers, sharedPdfRenderer } from './web/pdf.ts';

export interface Service {
  /** Where the API listens, when this process runs it. */
  url: string | null;
  app: App | null;
  pool: Pool;
  queues: Queues;
  stop(): Promise<void>;
}

export class DependencyError extends Error {
  override name = 'DependencyError';
}

export async function startService(config: Config, logger: Logger): Promise<Service> {
  await checkPostgres(config.databaseUrl);
  await checkRedis(config.redisUrl);
  await migrate(config.databaseUrl, logger);
  setHostPolicy({ allowPrivateHosts: config.allowPrivateHosts });
  if (config.allowPrivateHosts) logger.warn('SONDE_ALLOW_PRIVATE_HOSTS=true: mailbox servers may be on loopback and private networks');

  const secretKey = resolveSecretKey(config, logger);
  const secretBox = createSecretBox(secretKey);
  const pool = createPool(config.databaseUrl, 10, logger);
  const secrets = await checkStoredSecrets(pool, secretBox);
  if (secrets instanceof SecretKeyMismatchError) {
    logger.error({ variable: 'SONDE_SECRET_KEY', keyId: secretBox.keyId }, `SONDE_SECRET_KEY: ${secrets.message}`);
  }
  const producer = redisConnection(config.redisUrl, 'producer');
  const workerRedis = redisConnection(config.redisUrl, 'worker');
  const queues = createQueues(producer, config.queuePrefix);

  let workers: Workers | null = null;
  let scheduler: Scheduler | null = null;
  let app: App | null = null;
  let url: string | null = null;

  let built: BuiltProcessors | null = null;
  if (config.roles.includes('worker')) {
    built = buildProcessors({ pool, redis: workerRedis, queues, secretBox, logger, config });
    workers = startWorkers({
      connection: workerRedis,
      prefix: config.queuePrefix,
      concurrency: config.workerConcurrency,
      processors: built.processors,
      logger,
    });
  }
  if (config.roles.includes('scheduler')) scheduler = startScheduler({ pool, queues, logger, redis: producer, closeAfterDays: config.closeAfterDays });
  if (config.roles.includes('api')) {
    app = await buildApp({
      pool,
      redis: producer,
      secretBox,
      logger,
      adminKey: config.adminKey,
      rateLimitPerMinute: config.rateLimitPerMinute,
      authFailuresPerMinute: config.authFailuresPerMinute,
      rateLimitPrefix: config.queuePrefix,
      requestSync: (mailboxId) => requestSync(queues, mailboxId),
      queues,
      dashboard: { secretKey, trustProxy: config.trustProxy, sessionHours: config.sessionHours },
      pdfRenderer: sharedPdfRenderer(config.chromiumPath),
    });
    url = await app.listen({ port: config.port, host: config.host });
    logger.info({ url, docs: `${url}/docs` }, 'API listening');
    if (!config.adminKey) logger.warn('SONDE_ADMIN_KEY is not set: create a first key with `sonde keys create --role admin`');
  }
  logger.info({ roles: config.roles }, 'sonde started');

  return {
    url,
    app,
    pool,
    queues,
    async stop() {
      // stop taking work first, then finish what runs, then close the pools
      await app?.close();
      await scheduler?.close();
      await workers?.close();
      await built?.close();
      await closeQueues(queues);
      producer.disconnect();
      workerRedis.disconnect();
      await closePdfRenderers();
      await pool.end();
    },
  };
}

async function checkPostgres(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const pool = createPool(url.toString(), 1);
  try {
    await pool.query('select 1');
  } catch (err) {
    throw new DependencyError(
      `PostgreSQL is not reachable at ${url.host} (DATABASE_URL): ${(err as Error).message}; start it, or set DATABASE_URL`,
    );
  } finally {
    await pool.end();
  }
}

async function checkRedis(redisUrl: string): Promise<void> {
  const redis: Redis = redisConnection(redisUrl, 'producer', { lazyConnect: true, retryStrategy: () => null, connectTimeout: 3000 });
  let cause = '';
  redis.on('error', (err: Error) => (cause ||= err.message));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new DependencyError(
      `Redis is not reachable at ${new URL(redisUrl).host} (REDIS_URL): ${cause || (err as Error).message}; start it, or set REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}
