/**
 * Delivering webhook events: an event fans out to one delivery per enabled webhook
 * that asked for its type; each delivery attempt is one signed POST, kept with its
 * answer, and followed by the next attempt after a growing wait until the receiver
 * takes it (2xx) or the schedule runs out. The queue (queue/webhooks.job.ts) carries
 * the attempts; this module decides and records.
 */
import { renderBody, signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookRetryDelayMs, type WebhookEvent } from '../audit/webhook-payload.ts';
import type { Queryable } from '../db/pool.ts';
import {
  findCampaignName,
  findMailboxNames,
  findProbeNames,
  findWebhookForDelivery,
  listSubscribedWebhookIds,
  recordDeliveryAttempt,
  webhookSecretContext,
} from '../db/webhooks.repo.ts';
import { postJson, type PostJson } from '../http/webhook-post.ts';
import type { SecretBox } from '../secrets.ts';

export interface WebhookDeliveryOptions {
  db: Queryable;
  secretBox: SecretBox;
  /** Bound of one request. */
  timeoutMs: number;
  /** First wait between attempts; later waits grow from it (see `webhookRetryDelayMs`). */
  retryBaseMs: number;
  post?: PostJson;
  now?: () => Date;
}

/** The webhooks one event goes to, and the event with the names a reader wants beside the ids. */
export async function planDeliveries(db: Queryable, event: WebhookEvent): Promise<{ event: WebhookEvent; webhookIds: string[] }> {
  const webhookIds = await listSubscribedWebhookIds(db, event.type);
  if (webhookIds.length === 0) return { event, webhookIds };
  return { event: await withNames(db, event), webhookIds };
}

async function withNames(db: Queryable, event: WebhookEvent): Promise<WebhookEvent> {
  if ('probe' in event) {
    const names = await findProbeNames(db, event.probe.probeId);
    return names ? { ...event, probe: { ...event.probe, ...names } } : event;
  }
  if ('mailbox' in event) {
    const names = await findMailboxNames(db, event.mailbox.mailboxId);
    return names ? { ...event, mailbox: { ...event.mailbox, ...names } } : event;
  }
  const name = await findCampaignName(db, event.campaign.campaignId);
  return name ? { ...event, campaign: { ...event.campaign, name } } : event;
}

export type AttemptResult =
  | { outcome: 'delivered' }
  | { outcome: 'retry'; retryInMs: number }
  | { outcome: 'given_up' }
  /** The webhook was deleted or disabled since: nothing is sent. */
  | { outcome: 'skipped' };

/** One attempt (`attempt` counts from 1) of delivering `event` to one webhook. */
export async function attemptDelivery(
  options: WebhookDeliveryOptions,
  delivery: { webhookId: string; event: WebhookEvent; attempt: number },
): Promise<AttemptResult> {
  const { webhookId, event, attempt } = delivery;
  const target = await findWebhookForDelivery(options.db, webhookId);
  if (!target || !target.webhook.enabled) return { outcome: 'skipped' };
  const now = options.now ?? (() => new Date());
  const body = renderBody(event, target.webhook.format);
  const timestamp = Math.floor(now().getTime() / 1000);
  const headers = {
    [SIGNATURE_HEADER]: signBody(options.secretBox.open(target.sealedSecret, webhookSecretContext(webhookId)), timestamp, body),
    [TIMESTAMP_HEADER]: String(timestamp),
    'x-sonde-event': event.type,
    'x-sonde-event-id': event.id,
    'x-sonde-attempt': String(attempt),
  };
  const result = await (options.post ?? postJson)(target.webhook.url, body, headers, options.timeoutMs);
  const retryInMs = result.ok ? null : webhookRetryDelayMs(attempt, options.retryBaseMs);
  await recordDeliveryAttempt(options.db, {
    webhookId,
    eventId: event.id,
    eventType: event.type,
    attempt,
    ok: result.ok,
    statusCode: result.statusCode,
    error: result.error,
    durationMs: result.durationMs,
    nextAttemptAt: retryInMs === null ? null : new Date(now().getTime() + retryInMs),
  });
  if (result.ok) return { outcome: 'delivered' };
  return retryInMs === null ? { outcome: 'given_up' } : { outcome: 'retry', retryInMs };
}
