/**
 * Request budgets of `/v1` and of the dashboard's sign-in, counted per client address
 * **before** authentication, so that a flood (or a password-guessing run) is refused
 * before it costs a database lookup; one budget per address for both doors, so a guesser
 * gains nothing by switching from API keys in headers to the sign-in form:
 * - every request from an address counts against `perMinute`;
 * - a failed authentication also counts against `authFailuresPerMinute`; an address that
 *   used it up is refused at once, whatever key it sends, until the window ends.
 * Counters live in Redis when the app has it (@fastify/rate-limit's Redis store), so that
 * every API process shares them; without Redis (tests), in this process. When Redis is
 * unreachable the limits fail **open**: requests go through, with a warning in the log
 * (at most one a minute), rather than refusing every request while Redis is away.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

export interface RateLimits {
  /** An `onRequest` hook: refuses (429) an address over its request budget or its failed-authentication budget. */
  guard(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Counts a failed authentication against the request's address. */
  countFailure(request: FastifyRequest): Promise<void>;
}

/** Registers the rate-limit store on `app` (the root: every scope shares the counters) and returns the budgets, for each door to apply. */
export async function registerRateLimits(app: FastifyInstance, settings: RateLimitSettings): Promise<RateLimits> {
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

  async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
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
  }

  return {
    guard,
    async countFailure(request) {
      await failures(request).catch((err: unknown) => failOpen(request, err));
    },
  };
}
