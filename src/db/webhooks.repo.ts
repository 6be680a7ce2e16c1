/**
 * Webhooks and the record of their delivery attempts. The secret is sealed by the
 * caller's SecretBox before it reaches SQL and is never part of a `Webhook`: only
 * `findWebhookForDelivery` returns it (sealed), for the delivery job.
 */
import type { Queryable } from './pool.ts';
import { pageClause, toPage, type Page, type PageRequest } from './page.ts';
import { setClause } from './sql.ts';

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  format: 'json' | 'slack';
  lastDeliveryAt: Date | null;
  lastDeliveryStatus: 'delivered' | 'failed' | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** Failed attempts since the last delivered one: a receiver that stays down shows here. */
  consecutiveFailures: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookInput {
  /** Chosen by the caller, whose secret is sealed for this row (`webhookSecretContext`). */
  id: string;
  url: string;
  events: string[];
  sealedSecret: string;
  enabled?: boolean | undefined;
  format?: 'json' | 'slack' | undefined;
}

export type WebhookPatch = Partial<Omit<WebhookInput, 'id' | 'sealedSecret'>> & { sealedSecret?: string | undefined };

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  status: 'delivered' | 'failed';
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
}

interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  secret_enc: string;
  enabled: boolean;
  format: Webhook['format'];
  last_delivery_at: Date | null;
  last_delivery_status: Webhook['lastDeliveryStatus'];
  last_status_code: number | null;
  last_error: string | null;
  consecutive_failures: number;
  created_at: Date;
  updated_at: Date;
}

const toWebhook = (row: WebhookRow): Webhook => ({
  id: row.id,
  url: row.url,
  events: row.events,
  enabled: row.enabled,
  format: row.format,
  lastDeliveryAt: row.last_delivery_at,
  lastDeliveryStatus: row.last_delivery_status,
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  consecutiveFailures: row.consecutive_failures,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The place a webhook's secret is sealed for (GCM additional data): `webhooks:<id>:secret`. */
export function webhookSecretContext(webhookId: string): string {
  return `webhooks:${webhookId}:secret`;
}

/** Every sealed webhook secret, locked for update: what a key rotation re-seals. */
export async function lockSealedWebhookSecrets(db: Queryable): Promise<Array<{ id: string; sealed: string }>> {
  const { rows } = await db.query<{ id: string; secret_enc: string }>('select id, secret_enc from webhooks order by id for update');
  return rows.map((r) => ({ id: r.id, sealed: r.secret_enc }));
}

export async function updateSealedWebhookSecret(db: Queryable, id: string, sealed: string): Promise<void> {
  await db.query('update webhooks set secret_enc = $2 where id = $1', [id, sealed]);
}

/** One sealed webhook secret, to check at start that this key opens the stored secrets; null when none is stored. */
export async function findOneSealedWebhookSecret(db: Queryable): Promise<{ id: string; sealed: string } | null> {
  const { rows } = await db.query<{ id: string; secret_enc: string }>('select id, secret_enc from webhooks order by updated_at desc limit 1');
  return rows[0] ? { id: rows[0].id, sealed: rows[0].secret_enc } : null;
}

export async function insertWebhook(db: Queryable, input: WebhookInput): Promise<Webhook> {
  const { rows } = await db.query<WebhookRow>(
    `insert into webhooks (id, url, events, secret_enc, enabled, format)
     values ($6, $1, $2, $3, coalesce($4, true), coalesce($5, 'json')) returning *`,
    [input.url, [...new Set(input.events)], input.sealedSecret, input.enabled ?? null, input.format ?? null, input.id],
  );
  return toWebhook(rows[0]!);
}

export async function findWebhook(db: Queryable, id: string): Promise<Webhook | null> {
  const { rows } = await db.query<WebhookRow>('select * from webhooks where id = $1', [id]);
  return rows[0] ? toWebhook(rows[0]) : null;
}

export async function listWebhooks(db: Queryable, page: PageRequest): Promise<Page<Webhook>> {
  const clause = pageClause(page, 1);
  const { rows } = await db.query<WebhookRow>(`select * from webhooks where ${clause.sql}`, clause.values);
  return toPage(rows, page.limit, toWebhook);
}

export async function updateWebhook(db: Queryable, id: string, patch: WebhookPatch): Promise<Webhook | null> {
  const set = setClause(
    { ...patch, events: patch.events && [...new Set(patch.events)] },
    { url: 'url', events: 'events', sealedSecret: 'secret_enc', enabled: 'enabled', format: 'format' },
    2,
  );
  if (!set) return findWebhook(db, id);
  const { rows } = await db.query<WebhookRow>(`update webhooks set ${set.sql}, updated_at = now() where id = $1 returning *`, [id, ...set.values]);
  return rows[0] ? toWebhook(rows[0]) : null;
}

export async function deleteWebhook(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query('delete from webhooks where id = $1', [id]);
  return (result.rowCount ?? 0) > 0;
}

/** Ids of the enabled webhooks that asked for this event type. */
export async function listSubscribedWebhookIds(db: Queryable, eventType: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('select id from webhooks where enabled and $1 = any (events) order by id', [eventType]);
  return rows.map((r) => r.id);
}

/** A webhook with its sealed secret: for the delivery job only, never for the API. */
export async function findWebhookForDelivery(
  db: Queryable,
  id: string,
): Promise<{ webhook: Webhook; sealedSecret: string } | null> {
  const { rows } = await db.query<WebhookRow>('select * from webhooks where id = $1', [id]);
  return rows[0] ? { webhook: toWebhook(rows[0]), sealedSecret: rows[0].secret_enc } : null;
}

export interface DeliveryAttempt {
  webhookId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  nextAttemptAt: Date | null;
}

/** Keeps one attempt and updates the webhook's delivery state with it. */
export async function recordDeliveryAttempt(db: Queryable, a: DeliveryAttempt): Promise<void> {
  await db.query(
    `with attempt as (
       insert into webhook_deliveries (webhook_id, event_id, event_type, attempt, status, status_code, error, duration_ms, next_attempt_at)
       values ($1, $2, $3, $4, case when $5 then 'delivered' else 'failed' end, $6, $7, $8, $9)
       returning webhook_id
     )
     update webhooks w
        set last_delivery_at = now(),
            last_delivery_status = case when $5 then 'delivered' else 'failed' end,
            last_status_code = $6,
            last_error = $7,
            consecutive_failures = case when $5 then 0 else w.consecutive_failures + 1 end
       from attempt
      where w.id = attempt.webhook_id`,
    [a.webhookId, a.eventId, a.eventType, a.attempt, a.ok, a.statusCode, a.error, a.durationMs, a.nextAttemptAt],
  );
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status: WebhookDelivery['status'];
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  next_attempt_at: Date | null;
  created_at: Date;
}

export async function listDeliveries(db: Queryable, webhookId: string, page: PageRequest): Promise<Page<WebhookDelivery>> {
  const clause = pageClause(page, 2);
  const { rows } = await db.query<DeliveryRow>(`select * from webhook_deliveries where webhook_id = $1 and ${clause.sql}`, [webhookId, ...clause.values]);
  return toPage(rows, page.limit, (r) => ({
    id: r.id,
    webhookId: r.webhook_id,
    eventId: r.event_id,
    eventType: r.event_type,
    attempt: r.attempt,
    status: r.status,
    statusCode: r.status_code,
    error: r.error,
    durationMs: r.duration_ms,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
  }));
}

/** The names a chat message shows beside a probe's ids. */
export async function findProbeNames(db: Queryable, probeId: string): Promise<{ brandName: string; campaignName: string } | null> {
  const { rows } = await db.query<{ brand_name: string; campaign_name: string }>(
    `select b.name as brand_name, c.name as campaign_name
       from probes p join brands b on b.id = p.brand_id join campaigns c on c.id = p.campaign_id
      where p.id = $1`,
    [probeId],
  );
  return rows[0] ? { brandName: rows[0].brand_name, campaignName: rows[0].campaign_name } : null;
}

export async function findMailboxNames(db: Queryable, mailboxId: string): Promise<{ label: string; address: string } | null> {
  const { rows } = await db.query<{ label: string; address: string }>('select label, address from mailboxes where id = $1', [mailboxId]);
  return rows[0] ?? null;
}

export async function findCampaignName(db: Queryable, campaignId: string): Promise<string | null> {
  const { rows } = await db.query<{ name: string }>('select name from campaigns where id = $1', [campaignId]);
  return rows[0]?.name ?? null;
}
