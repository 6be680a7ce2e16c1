/**
 * The Fastify app, built by a function so that tests call `inject` on a fresh app
 * against a real database; `main.ts` only listens.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Redis } from 'ioredis';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../secrets.ts';
import type { Queues } from '../queue/queues.ts';
import { registerAuth } from './auth.ts';
import { registerRateLimits } from './rate-limits.ts';
import { registerErrorHandling } from './errors.ts';
import { ApiProblem } from './problem.ts';
import { Problem } from './schemas.ts';
import { OutcomeSchema } from './outcome-schema.ts';
import { healthRoutes } from './health.routes.ts';
import { keysRoutes, ApiKey } from './keys.routes.ts';
import { sectorsRoutes, Sector } from './sectors.routes.ts';
import { brandsRoutes, Brand } from './brands.routes.ts';
import { mailboxesRoutes, Mailbox } from './mailboxes.routes.ts';
import { scenariosRoutes, Scenario } from './scenarios.routes.ts';
import { campaignsRoutes, Campaign } from './campaigns.routes.ts';
import { probesRoutes, Probe } from './probes.routes.ts';
import { Message } from './message-schema.ts';
import { messagesRoutes } from './messages.routes.ts';
import { repliesRoutes, Reply } from './replies.routes.ts';
import { statsRoutes } from './stats.routes.ts';
import { rankingRoutes } from './ranking.routes.ts';
import { ratingsRoutes } from './ratings.routes.ts';
import { Rating } from './rating-schema.ts';
import { arbitrationsRoutes } from './arbitrations.routes.ts';
import { campaignLifecycleRoutes } from './campaign-lifecycle.routes.ts';
import { heldSendsRoutes } from './held-sends.routes.ts';
import { dashboardPlugin, type DashboardDeps } from '../web/dashboard/plugin.ts';
import { webhooksRoutes, Webhook } from './webhooks.routes.ts';
import { queueEventSink } from '../queue/webhooks.job.ts';
import { reportRoutes } from './report.routes.ts';
import type { PdfRenderer } from '../web/pdf.ts';

/** What the routes may call; the queue side is optional so an API-only test needs no Redis. */
export interface AppDeps {
  pool: Pool;
  redis: Redis | null;
  secretBox: SecretBox;
  logger: Logger;
  adminKey: string | null;
  /** Requests a minute per client address (default 600). */
  rateLimitPerMinute?: number;
  /** Failed authentications a minute per client address (default 10). */
  authFailuresPerMinute?: number;
  /** Namespace of the rate-limit counters in Redis (default `sonde`). */
  rateLimitPrefix?: string;
  /** Asks for a mailbox to be polled now; absent when no queue is wired. */
  requestSync?: (mailboxId: string) => Promise<{ jobId: string }>;
  /** The job queues (campaign scheduling, reminders); absent when no queue is wired. */
  queues?: Queues;
  /** The dashboard's session settings (secret key, proxy trust, session length); defaults when absent. */
  dashboard?: Omit<DashboardDeps, 'pool' | 'adminKey' | 'pdfRenderer' | 'signInLimits'>;
  /** Renders PDF reports; the process's shared Chromium renderer when absent. */
  pdfRenderer?: PdfRenderer;
}

export type App = FastifyInstance;

export async function buildApp(deps: AppDeps): Promise<App> {
  const app: App = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Behind the TLS-terminating proxy of SONDE_TRUST_PROXY, the client's address (for the rate
    // limits) is the one that proxy saw: the last X-Forwarded-For entry, one hop, never an entry
    // the client wrote itself (else everyone behind the proxy would share one budget).
    trustProxy: deps.dashboard?.trustProxy ? (_address: string, hop: number) => hop < 1 : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  });

  // Shared by reference across route modules: added at the root, where every module sees them.
  // JSON only: any other body is a 415 that says so
  app.removeContentTypeParser('text/plain');
  for (const schema of [Problem, OutcomeSchema, ApiKey, Sector, Brand, Mailbox, Scenario, Campaign, Probe, Message, Reply, Webhook, Rating]) app.addSchema(schema);
  registerErrorHandling(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sonde',
        version: '1',
        description: 'E-mail response-quality auditing: campaigns, probes, replies, outcomes and statistics.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'an API key' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  await app.register(healthRoutes, { pool: deps.pool, redis: deps.redis });
  // counted per address before authentication, by /v1 and the dashboard's sign-in alike: a refused request costs no database lookup
  const limits = await registerRateLimits(app, {
    perMinute: deps.rateLimitPerMinute ?? 600,
    authFailuresPerMinute: deps.authFailuresPerMinute ?? 10,
    redis: deps.redis,
    redisPrefix: deps.rateLimitPrefix ?? 'sonde',
  });
  // Everything under /v1 needs a key and counts against its address's rate limit; /health and /docs do not.
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', limits.guard);
      registerAuth(v1, { db: deps.pool, adminKey: deps.adminKey, onFailure: limits.countFailure });
      await v1.register(keysRoutes, { pool: deps.pool });
      await v1.register(sectorsRoutes, { pool: deps.pool });
      await v1.register(brandsRoutes, { pool: deps.pool });
      await v1.register(mailboxesRoutes, { pool: deps.pool, secretBox: deps.secretBox, requestSync: deps.requestSync });
      await v1.register(scenariosRoutes, { pool: deps.pool });
      await v1.register(campaignsRoutes, { pool: deps.pool });
      await v1.register(probesRoutes, { pool: deps.pool, queues: deps.queues });
      await v1.register(messagesRoutes, { pool: deps.pool, events: deps.queues && queueEventSink(deps.queues.webhooks) });
      await v1.register(repliesRoutes, { pool: deps.pool });
      await v1.register(statsRoutes, { pool: deps.pool });
      await v1.register(rankingRoutes, { pool: deps.pool });
      await v1.register(campaignLifecycleRoutes, { pool: deps.pool, queues: deps.queues });
      await v1.register(heldSendsRoutes, { pool: deps.pool, queues: deps.queues });
      await v1.register(webhooksRoutes, { pool: deps.pool, secretBox: deps.secretBox });
      await v1.register(reportRoutes, { pool: deps.pool, pdfRenderer: deps.pdfRenderer });
      await v1.register(ratingsRoutes, { pool: deps.pool });
      await v1.register(arbitrationsRoutes, { pool: deps.pool });
    },
    { prefix: '/v1' },
  );
  // The dashboard's pages at `/`, in a scope of their own: cookies, forms and CSRF stay out of /v1.
  await app.register(dashboardPlugin, {
    deps: { pool: deps.pool, adminKey: deps.adminKey, pdfRenderer: deps.pdfRenderer, signInLimits: limits, events: deps.queues && queueEventSink(deps.queues.webhooks), ...deps.dashboard },
  });
  return app;
}
