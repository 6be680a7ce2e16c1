/**
 * Webhooks (admin only): where Sonde posts its alerts. The secret is write-only:
 * sealed before it reaches the database and absent from every response schema.
 * `/:id/deliveries` lists every delivery attempt with the receiver's answer.
 */
import { RefusedHostError, resolveAllowedHost } from '../mail/host-guard.ts';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_FORMATS } from '../audit/webhook-payload.ts';
import { randomUUID } from 'node:crypto';
import { deleteWebhook, findWebhook, insertWebhook, listDeliveries, listWebhooks, updateWebhook, webhookSecretContext } from '../db/webhooks.repo.ts';
import type { Pool } from '../db/pool.ts';
import type { SecretBox } from '../secrets.ts';
import { found, unprocessable } from './problem.ts';
import { IdParams, Nullable, Page, PageQuery, Timestamp, Uuid, commonErrors } from './schemas.ts';

const EventType = Type.Union(WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t)));
const Format = Type.Union(WEBHOOK_FORMATS.map((f) => Type.Literal(f)), {
  description: '`json`: the event itself; `slack`: `{"text": ...}`, which Slack and Microsoft Teams incoming webhooks accept',
});

const fields = {
  url: Type.String({ format: 'uri', maxLength: 2000, description: 'http or https URL the deliveries are POSTed to' }),
  events: Type.Array(EventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true }),
  enabled: Type.Boolean(),
  format: Format,
};
const Secret = Type.String({
  minLength: 16,
  maxLength: 500,
  writeOnly: true,
  description: 'write-only: signs every delivery (X-Sonde-Signature); never returned',
});

export const Webhook = Type.Object(
  {
    id: Uuid,
    ...fields,
    lastDeliveryAt: Nullable(Timestamp),
    lastDeliveryStatus: Nullable(Type.Union([Type.Literal('delivered'), Type.Literal('failed')])),
    lastStatusCode: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    consecutiveFailures: Type.Integer({ description: 'failed attempts since the last delivered one' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Webhook' },
);

const WebhookInput = Type.Object(
  { url: fields.url, events: fields.events, secret: Secret, enabled: Type.Optional(fields.enabled), format: Type.Optional(fields.format) },
  { additionalProperties: false },
);
const WebhookPatch = Type.Partial(Type.Object({ ...fields, secret: Secret }, { additionalProperties: false }));

const WebhookDelivery = Type.Object({
  id: Uuid,
  webhookId: Uuid,
  eventId: Uuid,
  eventType: EventType,
  attempt: Type.Integer({ minimum: 1 }),
  status: Type.Union([Type.Literal('delivered'), Type.Literal('failed')]),
  statusCode: Nullable(Type.Integer({ description: "the receiver's HTTP status; null when it never answered" })),
  error: Nullable(Type.String()),
  durationMs: Type.Integer(),
  nextAttemptAt: Nullable(Timestamp),
  createdAt: Timestamp,
});

const tags = ['webhooks'];
const adminOnly = { role: 'admin' as const };

export interface WebhooksRouteOptions {
  pool: Pool;
  /** Seals the secrets. */
  secretBox: SecretBox;
}

export const webhooksRoutes: FastifyPluginAsyncTypebox<WebhooksRouteOptions> = async (app, { pool, secretBox }) => {

  app.get('/webhooks', { config: adminOnly, schema: { tags, querystring: Type.Object(PageQuery), response: { 200: Page(Type.Ref('Webhook')), ...commonErrors } } }, async (request) =>
    listWebhooks(pool, request.query),
  );

  app.post(
    '/webhooks',
    { config: adminOnly, schema: { tags, body: WebhookInput, response: { 201: Type.Ref('Webhook'), ...commonErrors } } },
    async (request, reply) => {
      const { secret, ...body } = request.body;
      await checkUrl(body.url);
      // the secret is sealed for its row: the id is chosen before the insert
      const id = randomUUID();
      const webhook = await insertWebhook(pool, { ...body, id, sealedSecret: secretBox.seal(secret, webhookSecretContext(id)) });
      request.log.info({ webhookId: webhook.id, events: webhook.events, by: request.caller?.label }, 'webhook created');
      return reply.code(201).send(webhook);
    },
  );

  app.get('/webhooks/:id', { config: adminOnly, schema: { tags, params: IdParams, response: { 200: Type.Ref('Webhook'), ...commonErrors } } }, async (request) =>
    found(await findWebhook(pool, request.params.id), 'webhook', request.params.id),
  );

  app.patch(
    '/webhooks/:id',
    { config: adminOnly, schema: { tags, params: IdParams, body: WebhookPatch, response: { 200: Type.Ref('Webhook'), ...commonErrors } } },
    async (request) => {
      const { secret, ...body }: Static<typeof WebhookPatch> = request.body;
      if (body.url !== undefined) await checkUrl(body.url);
      const updated = await updateWebhook(pool, request.params.id, { ...body, sealedSecret: secret === undefined ? undefined : secretBox.seal(secret, webhookSecretContext(request.params.id)) });
      return found(updated, 'webhook', request.params.id);
    },
  );

  app.delete('/webhooks/:id', { config: adminOnly, schema: { tags, params: IdParams, response: { 204: Type.Null(), ...commonErrors } } }, async (request, reply) => {
    found((await deleteWebhook(pool, request.params.id)) || null, 'webhook', request.params.id);
    return reply.code(204).send(null);
  });

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: adminOnly,
      schema: { tags, params: IdParams, querystring: Type.Object(PageQuery), response: { 200: Page(WebhookDelivery), ...commonErrors } },
    },
    async (request) => {
      found(await findWebhook(pool, request.params.id), 'webhook', request.params.id);
      return listDeliveries(pool, request.params.id, request.query);
    },
  );
};

/**
 * `format: uri` accepts any scheme; deliveries go over HTTP only, to a public host (as a mail
 * server's; SONDE_ALLOW_PRIVATE_HOSTS allows private ones). Checked again at every delivery's
 * connection (`http/guarded-fetch.ts`), against DNS rebinding; a name that does not resolve
 * now is accepted, and its deliveries will say so.
 */
async function checkUrl(url: string): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw unprocessable('url is not a valid URL', [{ field: 'body/url', message: 'must be an http or https URL' }]);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw unprocessable(`url must be http or https, not ${parsed.protocol.replace(':', '')}`, [{ field: 'body/url', message: 'must be an http or https URL' }]);
  }
  const refusal = await resolveAllowedHost(parsed.hostname.replace(/^\[(.*)\]$/u, '$1')).then(
    () => null,
    (err: unknown) => (err instanceof RefusedHostError ? err : null),
  );
  if (refusal) throw unprocessable(refusal.message.replace('mail servers must be public hosts', 'webhook receivers must be public hosts'), [{ field: 'body/url', message: refusal.message }]);
}
