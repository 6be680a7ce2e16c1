/**
 * The webhook queue's jobs. `event`: one event, fanned out into one `deliver` job per
 * subscribed webhook. `deliver`: one attempt; after a failure the next attempt is a
 * new delayed job (its wait from `webhookRetryDelayMs`), so every attempt has its own
 * deterministic id and the schedule can span days. The event itself travels in the job
 * data: a small record of ids, delays and the mailbox's error, never a secret or a body.
 *
 * Delivery is at least once: a worker that dies after the POST and before the job is
 * marked done runs it again, with the same event id for the receiver to recognise.
 */
import type { Job, Queue } from 'bullmq';
import type { WebhookEvent } from '../audit/webhook-payload.ts';
import type { EventSink } from '../flow/events.ts';
import { attemptDelivery, planDeliveries, type AttemptResult, type WebhookDeliveryOptions } from '../flow/deliver-webhook.ts';
import type { Logger } from '../logger.ts';
import { jobIds } from './queues.ts';

export interface WebhookEventJob {
  event: WebhookEvent;
}
export interface WebhookDeliveryJob {
  webhookId: string;
  event: WebhookEvent;
  attempt: number;
}

/** The sink the flows emit into: one `event` job per event, idempotent on the event id. */
export function queueEventSink(queue: Queue): EventSink {
  return {
    async enqueue(events) {
      await queue.addBulk(
        events.map((event) => ({ name: 'event', data: { event } satisfies WebhookEventJob, opts: { jobId: jobIds.webhookEvent(event.id) } })),
      );
    },
  };
}

export function webhooksProcessor(deps: WebhookDeliveryOptions & { queue: Queue; logger: Logger }) {
  const log = deps.logger.child({ queue: 'webhooks' });
  return async (job: Job): Promise<{ webhooks: number } | AttemptResult> => {
    if (job.name === 'event') {
      const { event, webhookIds } = await planDeliveries(deps.db, (job.data as WebhookEventJob).event);
      await deps.queue.addBulk(
        webhookIds.map((webhookId) => ({
          name: 'deliver',
          data: { webhookId, event, attempt: 1 } satisfies WebhookDeliveryJob,
          opts: { jobId: jobIds.webhookDelivery(webhookId, event.id, 1) },
        })),
      );
      return { webhooks: webhookIds.length };
    }
    const data = job.data as WebhookDeliveryJob;
    const result = await attemptDelivery(deps, data);
    if (result.outcome === 'retry') {
      const attempt = data.attempt + 1;
      await deps.queue.add('deliver', { ...data, attempt } satisfies WebhookDeliveryJob, {
        jobId: jobIds.webhookDelivery(data.webhookId, data.event.id, attempt),
        delay: result.retryInMs,
      });
    } else if (result.outcome === 'given_up') {
      log.warn({ webhookId: data.webhookId, eventId: data.event.id, attempts: data.attempt }, 'webhook delivery given up');
    }
    return result;
  };
}
