/**
 * Every setting of the service, read and validated once from the environment.
 * Each variable is documented in the README and in `.env.example`; every one has a
 * default that works on a developer's machine with local PostgreSQL and Redis.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const ROLES = ['api', 'worker', 'scheduler'] as const;
export type ProcessRole = (typeof ROLES)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const EnvSchema = Type.Object({
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/sonde', pattern: '^postgres(ql)?://' }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', pattern: '^rediss?://' }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  SONDE_ROLE: Type.String({ default: 'api,worker,scheduler', pattern: '^(api|worker|scheduler)(,(api|worker|scheduler))*$' }),
  SONDE_ADMIN_KEY: Type.Optional(Type.String({ minLength: 16 })),
  SONDE_SECRET_KEY: Type.Optional(Type.String({ minLength: 40 })),
  SONDE_SECRET_KEY_FILE: Type.String({ default: '.sonde/secret.key' }),
  SONDE_QUEUE_PREFIX: Type.String({ default: 'sonde', pattern: '^[A-Za-z0-9_.:-]+$' }),
  SONDE_POLL_INTERVAL_SECONDS: Type.Integer({ default: 60, minimum: 5 }),
  SONDE_MAX_MESSAGE_MB: Type.Number({ default: 25, exclusiveMinimum: 0 }),
  SONDE_WORKER_CONCURRENCY: Type.Integer({ default: 4, minimum: 1, maximum: 64 }),
  SONDE_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 600, minimum: 1 }),
  SONDE_AUTH_FAILURES_PER_MINUTE: Type.Integer({ default: 10, minimum: 1 }),
  SONDE_ALLOW_PRIVATE_HOSTS: Type.Boolean({ default: false }),
  SONDE_CLOSE_AFTER_DAYS: Type.Number({ default: 14, minimum: 0 }),
  SONDE_TRUST_PROXY: Type.Boolean({ default: false }),
  SONDE_SESSION_HOURS: Type.Number({ default: 12, exclusiveMinimum: 0, maximum: 720 }),
  SONDE_WEBHOOK_TIMEOUT_SECONDS: Type.Number({ default: 10, exclusiveMinimum: 0, maximum: 120 }),
  SONDE_WEBHOOK_RETRY_BASE_SECONDS: Type.Number({ default: 60, exclusiveMinimum: 0 }),
  SONDE_CHROMIUM_PATH: Type.String({ default: '/usr/bin/chromium', minLength: 1 }),
  SONDE_DKIM_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100, maximum: 60000 }),
  SONDE_DB_POOL_API: Type.Integer({ default: 10, minimum: 1, maximum: 500 }),
  SONDE_DB_POOL_WORKER: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  SONDE_DB_POOL_SCHEDULER: Type.Integer({ default: 2, minimum: 1, maximum: 50 }),
  SONDE_DB_ACQUIRE_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100, maximum: 600_000 }),
  SONDE_SHUTDOWN_TIMEOUT_SECONDS: Type.Number({ default: 30, exclusiveMinimum: 0, maximum: 3600 }),
  SONDE_IMAP_IDLE: Type.Boolean({ default: true }),
  LOG_LEVEL: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)), { default: 'info' }),
});
type Env = Static<typeof EnvSchema>;

export interface Config {
  databaseUrl: string;
  redisUrl: string;
  port: number;
  host: string;
  roles: ProcessRole[];
  adminKey: string | null;
  /** base64 of 32 bytes, or null: then generated once and kept in `secretKeyFile`. */
  secretKey: string | null;
  secretKeyFile: string;
  /** Prefix of every BullMQ key in Redis; tests use one of their own. */
  queuePrefix: string;
  pollIntervalSeconds: number;
  maxMessageBytes: number;
  workerConcurrency: number;
  /** API requests a minute per client address, counted before authentication. */
  rateLimitPerMinute: number;
  /** Failed authentications a minute per client address; then the address is refused until the minute ends. */
  authFailuresPerMinute: number;
  closeAfterDays: number;
  /** Mailbox servers may be on loopback, private, link-local… addresses (a trusted internal network, tests, the demo). */
  allowPrivateHosts: boolean;
  /** Trust `X-Forwarded-Proto` from a TLS-terminating proxy: the dashboard's cookies are then `Secure` behind it. */
  trustProxy: boolean;
  /** How long a dashboard sign-in lasts. */
  sessionHours: number;
  /** Bound of one webhook request. */
  webhookTimeoutMs: number;
  /** First wait before a failed webhook delivery is tried again; the waits double from it (tests shrink it). */
  webhookRetryBaseMs: number;
  /** The Chromium that renders PDF reports (Debian's `chromium` package). */
  chromiumPath: string;
  /** Bound of each DKIM DNS lookup, when a reply is analysed. */
  dkimTimeoutMs: number;
  /** PostgreSQL connections per role of this process (see `dbPoolSizes`). */
  dbPools: DbPoolSizes;
  /** How long a query waits for a free connection of its pool before it fails (the API then answers 503). */
  dbAcquireTimeoutMs: number;
  /** How long a SIGTERM waits for running jobs; a send between its SMTP conversation and its record is always waited for. */
  shutdownTimeoutMs: number;
  /** Workers hold an IMAP IDLE connection per mailbox whose server offers it, and sync on new mail (polling stays the safety net). */
  imapIdle: boolean;
  logLevel: Env['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the environment once; a bad value fails with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(EnvSchema.properties);
  const raw: Record<string, unknown> = {};
  for (const name of known) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const withDefaults = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw));
  const errors = [...Value.Errors(EnvSchema, withDefaults)];
  if (errors.length > 0) {
    const lines = errors.map((e) => `${e.path.slice(1) || '(root)'}: ${e.message} (got ${JSON.stringify(e.value)})`);
    throw new ConfigError(`invalid configuration:\n  ${[...new Set(lines)].join('\n  ')}`);
  }
  const parsed = withDefaults as Env;
  return {
    databaseUrl: parsed.DATABASE_URL,
    redisUrl: parsed.REDIS_URL,
    port: parsed.PORT,
    host: parsed.HOST,
    roles: [...new Set(parsed.SONDE_ROLE.split(',') as ProcessRole[])],
    adminKey: parsed.SONDE_ADMIN_KEY ?? null,
    secretKey: parsed.SONDE_SECRET_KEY ?? null,
    secretKeyFile: parsed.SONDE_SECRET_KEY_FILE,
    queuePrefix: parsed.SONDE_QUEUE_PREFIX,
    pollIntervalSeconds: parsed.SONDE_POLL_INTERVAL_SECONDS,
    maxMessageBytes: Math.round(parsed.SONDE_MAX_MESSAGE_MB * 1024 * 1024),
    workerConcurrency: parsed.SONDE_WORKER_CONCURRENCY,
    rateLimitPerMinute: parsed.SONDE_RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: parsed.SONDE_AUTH_FAILURES_PER_MINUTE,
    closeAfterDays: parsed.SONDE_CLOSE_AFTER_DAYS,
    allowPrivateHosts: parsed.SONDE_ALLOW_PRIVATE_HOSTS,
    trustProxy: parsed.SONDE_TRUST_PROXY,
    sessionHours: parsed.SONDE_SESSION_HOURS,
    webhookTimeoutMs: Math.round(parsed.SONDE_WEBHOOK_TIMEOUT_SECONDS * 1000),
    webhookRetryBaseMs: Math.round(parsed.SONDE_WEBHOOK_RETRY_BASE_SECONDS * 1000),
    chromiumPath: parsed.SONDE_CHROMIUM_PATH,
    dkimTimeoutMs: parsed.SONDE_DKIM_TIMEOUT_MS,
    dbPools: dbPoolSizes(parsed.SONDE_WORKER_CONCURRENCY, { api: parsed.SONDE_DB_POOL_API, worker: parsed.SONDE_DB_POOL_WORKER, scheduler: parsed.SONDE_DB_POOL_SCHEDULER }),
    dbAcquireTimeoutMs: parsed.SONDE_DB_ACQUIRE_TIMEOUT_MS,
    shutdownTimeoutMs: Math.round(parsed.SONDE_SHUTDOWN_TIMEOUT_SECONDS * 1000),
    imapIdle: parsed.SONDE_IMAP_IDLE,
    logLevel: parsed.LOG_LEVEL,
  };
}

/** The queues whose jobs hold a connection for a whole SMTP and IMAP exchange (their send lock). */
export const SEND_QUEUES = 2;
/** The other queues a worker runs: poll-mailbox, analyse-reply, campaigns, webhooks. */
export const SHORT_QUEUES = 4;

export interface DbPoolSizes {
  api: number;
  /** Short work of the worker role: every job of the non-send queues at once, plus headroom. */
  worker: number;
  /** The send locks: one connection per send job that can run at once, so they never wait for short work nor starve it. */
  sendLocks: number;
  scheduler: number;
}

/**
 * Pool sizes per role. A send job holds its connection (the advisory lock) through minutes of
 * SMTP timeouts: the send locks get a pool of their own, one connection per send job a worker
 * runs at once; the worker's pool serves everything else, one per job plus two.
 */
export function dbPoolSizes(concurrency: number, set: { api: number; worker?: number | undefined; scheduler: number }): DbPoolSizes {
  return { api: set.api, worker: set.worker ?? concurrency * SHORT_QUEUES + 2, sendLocks: concurrency * SEND_QUEUES, scheduler: set.scheduler };
}
