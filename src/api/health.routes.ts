import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '../db/pool.ts';
import type { Redis } from 'ioredis';

const Dependency = Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('not configured')]);
const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  postgres: Dependency,
  redis: Dependency,
});

/** What the routes read. */
export interface HealthRouteOptions {
  pool: Pool;
  redis: Redis | null;
}

/** Reachability of what the service needs; 503 when a part is down so that load balancers notice. */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthRouteOptions> = async (app, { pool, redis: client }) => {
  app.get(
    '/health',
    { schema: { tags: ['health'], security: [], response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      const [postgres, redis] = await Promise.all([
        probe(() => pool.query('select 1')),
        client ? probe(() => client.ping()) : Promise.resolve('not configured' as const),
      ]);
      const ok = postgres === 'up' && redis !== 'down';
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', postgres, redis });
    },
  );
};

async function probe(check: () => Promise<unknown>): Promise<'up' | 'down'> {
  const timeout = new Promise<'down'>((resolve) => setTimeout(() => resolve('down'), 2000).unref());
  return Promise.race([check().then(() => 'up' as const, () => 'down' as const), timeout]);
}
