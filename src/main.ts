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
import { PROCESS_SHUTDOWN } from './shutdown.ts';
import { SecretKeyMismatchError, createSecretBox, resolveSecretKey } from './secrets.ts';
import { closePdfRenderers, sharedPdfRenderer } from './web/pdf.ts';
import { closeGuardedFetch } from './http/guarded-fetch.ts';

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
  // one pool per role, so that no role waits behind another's long holders (see `dbPoolSizes`)
  const roles = config.roles;
  const poolOf = (max: number) => createPool(config.databaseUrl, max, logger, config.dbAcquireTimeoutMs);
  const apiPool = roles.includes('api') ? poolOf(config.dbPools.api) : null;
  const workerPool = roles.includes('worker') ? poolOf(config.dbPools.worker) : null;
  const lockPool = roles.includes('worker') ? poolOf(config.dbPools.sendLocks) : null;
  const schedulerPool = roles.includes('scheduler') ? poolOf(config.dbPools.scheduler) : null;
  const pool = (apiPool ?? workerPool ?? schedulerPool)!;
  const secrets = await checkStoredSecrets(pool, secretBox);
  if (secrets instanceof SecretKeyMismatchError) {
    logger.error({ variable: 'SONDE_SECRET_KEY', keyId: secretBox.keyId }, `SONDE_SECRET_KEY: ${secrets.message}`);
  }
  // the API's producer fails fast; the worker and scheduler enqueue through an offline queue that rides out a blip
  const producer = roles.includes('api') ? redisConnection(config.redisUrl, 'producer', {}, logger) : null;
  const enqueuer = roles.includes('worker') || roles.includes('scheduler') ? redisConnection(config.redisUrl, 'enqueuer', {}, logger) : null;
  const workerRedis = roles.includes('worker') ? redisConnection(config.redisUrl, 'worker', {}, logger) : null;
  const apiQueues = producer && createQueues(producer, config.queuePrefix);
  const jobQueues = enqueuer && createQueues(enqueuer, config.queuePrefix);
  const queues = (jobQueues ?? apiQueues)!;

  let workers: Workers | null = null;
  let scheduler: Scheduler | null = null;
  let app: App | null = null;
  let url: string | null = null;

  let built: BuiltProcessors | null = null;
  let stopping = false;
  if (workerPool && workerRedis && jobQueues) {
    built = buildProcessors({ pool: workerPool, lockPool: lockPool ?? undefined, redis: workerRedis, queues: jobQueues, secretBox, logger, config, stopRequested: () => stopping });
    workers = startWorkers({
      connection: workerRedis,
      prefix: config.queuePrefix,
      concurrency: config.workerConcurrency,
      processors: built.processors,
      logger,
    });
  }
  if (schedulerPool && enqueuer && jobQueues) {
    scheduler = startScheduler({ pool: schedulerPool, queues: jobQueues, logger, redis: enqueuer, closeAfterDays: config.closeAfterDays });
  }
  if (apiPool && producer && apiQueues) {
    app = await buildApp({
      pool: apiPool,
      redis: producer,
      secretBox,
      logger,
      adminKey: config.adminKey,
      rateLimitPerMinute: config.rateLimitPerMinute,
      authFailuresPerMinute: config.authFailuresPerMinute,
      rateLimitPrefix: config.queuePrefix,
      requestSync: (mailboxId) => requestSync(apiQueues, mailboxId),
      queues: apiQueues,
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
      stopping = true;
      // stop taking work first, everywhere at once: no new job on any queue, no scheduler
      // refresh, no new API connection; a running sync ends after its current batch
      // allSettled: one close failing (Redis away) must not end the wait for the others' running jobs
      const stopped = Promise.allSettled([workers?.close(), scheduler?.close(), app?.close()]);
      const waits = () => ({ jobs: workers?.running() ?? [], sending: PROCESS_SHUTDOWN.critical });
      logger.info(waits(), 'stopping: no new work taken; waiting for the running jobs');
      const progress = setInterval(() => logger.info(waits(), 'stopping: still waiting for'), 5000);
      progress.unref();
      try {
        for (const result of await stopped) {
          if (result.status === 'rejected') logger.warn({ err: result.reason }, 'stopping: a part failed to close; going on with the others');
        }
      } finally {
        clearInterval(progress);
      }
      // then release what the finished work held
      await built?.close();
      await Promise.all([apiQueues && closeQueues(apiQueues), jobQueues && closeQueues(jobQueues)]);
      for (const client of [producer, enqueuer, workerRedis]) client?.disconnect();
      await Promise.all([closePdfRenderers(), closeGuardedFetch()]);
      await Promise.all([apiPool, workerPool, lockPool, schedulerPool].map((p) => p?.end()));
      logger.info('stopped');
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
