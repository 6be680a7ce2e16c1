/**
 * Request budgets of `/v1`, counted per client address **before** authentication, so
 * that a flood (or a password-guessing run) is refused before it costs a database lookup:
 * - every request from an address counts against `perMinute`;
 * - a failed authentication also counts against `authFailuresPerMinute`; an address that
 *   used it up is refused at once, whatever key it sends, until the window ends.
 * Counters live in Redis when the app has it (@fastify/rate-limit's Redis store), so that
 * every API process shares them; without Redis (tests), in this process. When Redis is
 * unreachable the limits fail **open**: requests go through, with a warning in the log
 * (at most one a minute), rather than refusing every request while Redis is away.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiProblem } from './problem.ts';

export interface RateLimitSettings {
  perMinute: number;
  authFailuresPerMinute: number;
  redis: Redis | null;
  /** Namespace of the counters in Redis (the queue prefix: one deployment's counters apart from another's). */
  redisPrefix: string;
}

const WINDOW_MS = 60_000;

/** Registers the budgets on `app` (an onRequest hook: call before the authentication's); returns the failure counter for it. */
export async function registerRateLimits(app: FastifyInstance, settings: RateLimitSettings): Promise<(request: FastifyRequest) => Promise<void>> {
  await app.register(rateLimit, {
    global: false,
    ...(settings.redis ? { redis: settings.redis } : {}),
    nameSpace: `${settings.redisPrefix}:rate-limit:`,
    skipOnError: false,
  });
  const perAddress = app.createRateLimit({ max: settings.perMinute, timeWindow: WINDOW_MS, keyGenerator: (r) => `address:${r.ip}` });
  const failures = app.createRateLimit({ max: settings.authFailuresPerMinute, timeWindow: WINDOW_MS, keyGenerator: (r) => `auth-failure:${r.ip}` });

  let warnedAt = 0;
  const failOpen = (request: FastifyRequest, err: unknown): null => {
    if (Date.now() - warnedAt > WINDOW_MS) {
      warnedAt = Date.now();
      request.log.warn({ err: { message: (err as Error).message } }, 'rate limits not counted: Redis is unreachable; requests are let through (fail open)');
    }
    return null;
  };

  app.addHook('onRequest', async (request, reply) => {
    const counted = await perAddress(request).catch((err: unknown) => failOpen(request, err));
    if (counted && !counted.isAllowed && counted.isExceeded) {
      void reply.header('retry-after', String(counted.ttlInSeconds));
      throw new ApiProblem(429, 'Too Many Requests', `rate limit of ${counted.max} requests a minute reached for this address; retry in ${counted.ttlInSeconds} s`);
    }
    const failed = await failures(request, { increment: false }).catch((err: unknown) => failOpen(request, err));
    if (failed && !failed.isAllowed && failed.max - failed.remaining >= failed.max) {
      void reply.header('retry-after', String(failed.ttlInSeconds));
      throw new ApiProblem(
        429,
        'Too Many Requests',
        `too many failed authentications from this address (${failed.max} a minute); retry in ${failed.ttlInSeconds} s`,
      );
    }
  });

  return async (request) => {
    await failures(request).catch((err: unknown) => failOpen(request, err));
  };
}
