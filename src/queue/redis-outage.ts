/**
 * Redis outages in the log: ioredis reports each failed reconnection as an `error` event
 * (every 50 ms to 2 s while Redis is away), and without a listener it writes them to stderr,
 * outside pino. Every client and every BullMQ queue and worker of the process reports here
 * instead; one warning when a connection goes down, one line when it is back.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/** Where a connection's outages are logged: its role's name and the process logger. */
export class RedisOutageLog {
  private downSince: number | null = null;

  constructor(
    private readonly log: Pick<Logger, 'warn' | 'info'>,
    readonly name: string,
  ) {}

  get down(): boolean {
    return this.downSince !== null;
  }

  /** An error of the connection: logged only when it is the first of an outage. */
  failed(err: Error): void {
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.log.warn({ redis: this.name, err: { message: err.message, code: (err as { code?: string }).code } }, 'Redis is unreachable: work that needs it waits or fails until it is back');
  }

  /** The connection is ready again: logged once, with how long it was away. */
  back(): void {
    if (this.downSince === null) return;
    const downMs = Date.now() - this.downSince;
    this.downSince = null;
    this.log.info({ redis: this.name, downMs }, 'Redis is reachable again');
  }
}

const outages = new WeakMap<Redis, RedisOutageLog>();

/** Logs the outages of `client` through `log` (its `error` events never reach stderr); returns the client. */
export function watchRedis(client: Redis, log: Pick<Logger, 'warn' | 'info'>, name: string): Redis {
  const outage = new RedisOutageLog(log, name);
  outages.set(client, outage);
  client.on('error', (err: Error) => outage.failed(err));
  client.on('ready', () => outage.back());
  return client;
}

/** The outage log of a watched client, for the BullMQ queues and workers built on it. */
export function outageOf(client: unknown): RedisOutageLog | undefined {
  return typeof client === 'object' && client !== null ? outages.get(client as Redis) : undefined;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** An error that says the connection to Redis is away, rather than a fault of one command or job. */
export function isRedisConnectionError(err: Error): boolean {
  const code = (err as { code?: string }).code;
  if (code && CONNECTION_CODES.has(code)) return true;
  return /Connection is closed|Stream isn't writeable|connect ECONNREFUSED|Reached the max retries per request limit|Connection timeout|ECONNRESET/.test(err.message);
}
